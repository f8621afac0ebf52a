/**
 * The mirror's own client to an `https:` candidate: TLS over the same keep-alive connections,
 * the certificate checked against Node's CA store, the URL's host sent as SNI (not for an IP
 * address), ALPN `http/1.1`. The certificate is made at test time with openssl (the tests are
 * skipped without it). The successful exchange runs in a child process started with
 * NODE_EXTRA_CA_CERTS naming it, so the client is tested as it ships, without a TLS option of
 * its own; in this process the same certificate is unknown, and the request must fail.
 */
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import * as https from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CandidatePool } from '../src/candidate-pool.js'
import { listen, type Running } from './support.js'

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** A server certificate for `localhost` and 127.0.0.1, signed by itself (so it is its own CA). */
function makeCertificate(dir: string): { key: string; cert: string } {
  const key = join(dir, 'key.pem')
  const cert = join(dir, 'cert.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  )
  return { key, cert }
}

interface Seen {
  url: string | undefined
  servername: string | false | null
  alpn: string | false | null
}

describe.skipIf(!hasOpenssl())('the mirror client to an https candidate', () => {
  let dir: string
  let files: { key: string; cert: string }
  let candidate: Running
  const seen: Seen[] = []
  let connections = 0

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'twinspan-tls-'))
    files = makeCertificate(dir)
    const server = https.createServer(
      { key: readFileSync(files.key), cert: readFileSync(files.cert), ALPNProtocols: ['http/1.1'] },
      (req, res) => {
        const socket = req.socket as TLSSocket
        seen.push({ url: req.url, servername: socket.servername, alpn: socket.alpnProtocol })
        res.setHeader('content-type', 'text/plain')
        res.end(`order ${req.url?.split('/').pop()} over ${socket.getProtocol()}`)
      },
    )
    server.on('secureConnection', () => connections++)
    candidate = await listen(server)
  })

  afterAll(async () => {
    await candidate?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('reads answers over one kept-alive TLS connection, with SNI for a host name and none for an IP', async () => {
    seen.length = 0
    connections = 0
    const byName = `https://localhost:${candidate.port}`
    const byAddress = `https://127.0.0.1:${candidate.port}`
    const output = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(new URL('./tls-client.fixture.ts', import.meta.url))],
        {
          env: { ...process.env, NODE_EXTRA_CA_CERTS: files.cert, CANDIDATES: `${byName},${byAddress}` },
          timeout: 20_000,
        },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      )
    })
    const results = JSON.parse(output) as Record<
      string,
      { answers: { status: number; body: string | null }[]; connections: number }
    >
    for (const base of [byName, byAddress]) {
      const protocol = results[base]?.answers[0]?.body?.split(' over ')[1]
      expect(protocol).toMatch(/^TLSv1\.[23]$/)
      expect(results[base]).toEqual({
        answers: [
          { status: 200, body: `order 1 over ${protocol}` },
          { status: 200, body: `order 2 over ${protocol}` },
          { status: 200, body: `order 3 over ${protocol}` },
          { status: 200, body: null }, // HEAD: no body, whatever content-length says
        ],
        connections: 1,
      })
    }
    expect(connections).toBe(2) // one per origin, each reused for its four requests
    expect(seen.map((s) => s.url)).toEqual(
      [...Array(2)].flatMap(() => ['/orders/1', '/orders/2', '/orders/3', '/orders/4']),
    )
    expect(seen.slice(0, 4).every((s) => s.servername === 'localhost' && s.alpn === 'http/1.1')).toBe(true)
    expect(seen.slice(4).every((s) => s.servername === false && s.alpn === 'http/1.1')).toBe(true)
  })

  it('refuses a certificate Node does not trust: the request fails, nothing is read', async () => {
    const pool = new CandidatePool(new URL(`https://localhost:${candidate.port}`), 2, 1 << 20)
    try {
      const answer = new Promise((resolve, reject) => {
        pool.request('GET', 'GET /orders/1 HTTP/1.1\r\nhost: candidate\r\n\r\n', {
          response: resolve,
          failed: reject,
        })
      })
      await expect(answer).rejects.toMatchObject({ code: expect.stringMatching(/SELF_SIGNED|CERT/) })
      expect(pool.connections).toBe(0)
    } finally {
      pool.close()
    }
  })
})
