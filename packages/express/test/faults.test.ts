/**
 * A candidate that is down, slow, failing or not speaking HTTP changes nothing for the client:
 * every byte it gets equals what the same app sends without the middleware, and the run is
 * recorded as `shadow_error`, `timeout` or `mismatch`.
 */
import * as net from 'node:net'
import { ATTR_DIFF_PATHS, ATTR_ERROR_TYPE, ATTR_OUTCOME, ATTR_SEVERITY } from '@twinspan/conventions'
import { parallelRun } from '@twinspan/express'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  candidateServer,
  closedPort,
  exporter,
  legacyApp,
  listen,
  type Running,
  rawRequest,
  serve,
  shadowSpans,
  tracer,
} from './support.js'

const open: Running[] = []
let reference: Running
beforeAll(async () => {
  reference = await serve(legacyApp())
  open.push(reference)
})
afterAll(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()))
})
beforeEach(() => exporter.reset())

/** Requests covering JSON, streaming, compression, 404 and HEAD. */
const REQUESTS: [method: string, path: string][] = [
  ['GET', '/orders/1'],
  ['GET', '/stream'],
  ['GET', '/gzip/orders/2'],
  ['GET', '/nowhere'],
  ['HEAD', '/orders/3'],
]

/** Every response of the mirrored app, byte for byte, equals the reference app's; returns the runs' outcomes. */
async function clientSeesNoDifference(candidate: string, timeoutMs = 2000) {
  const middleware = parallelRun({ candidate, tracer, timeoutMs })
  const legacy = await serve(legacyApp([middleware]))
  open.push(legacy)
  for (const [method, path] of REQUESTS) {
    const started = performance.now()
    const got = await rawRequest(legacy.port, method, path)
    const elapsed = performance.now() - started
    expect(got).toBe(await rawRequest(reference.port, method, path))
    if (path === '/stream') expect(got).toMatch(/line 4\n\r\n5\r\ndone\n\r\n0\r\n\r\n$/) // streamed to the end
    expect(elapsed, `${method} ${path} waited for the candidate`).toBeLessThan(timeoutMs / 2)
  }
  await middleware.flush()
  expect(middleware.inFlight).toBe(0)
  const spans = shadowSpans()
  expect(spans).toHaveLength(REQUESTS.length)
  return spans
}

describe('a misbehaving candidate changes nothing for the client', () => {
  it('down (connection refused): recorded as shadow_error', async () => {
    const port = await closedPort()
    const spans = await clientSeesNoDifference(`http://127.0.0.1:${port}`)
    for (const span of spans) {
      expect(span.attributes[ATTR_OUTCOME]).toBe('shadow_error')
      expect(span.attributes[ATTR_ERROR_TYPE]).toBeDefined()
    }
  })

  it('slow (beyond timeoutMs): recorded as timeout, and its request is aborted', async () => {
    const closed: string[] = []
    const candidate = await candidateServer((req, res) => {
      res.on('close', () => closed.push(req.url)) // never answered: closed only by the mirror's abort
    })
    open.push(candidate)
    const spans = await clientSeesNoDifference(candidate.url, 300)
    for (const span of spans) {
      expect(span.attributes[ATTR_OUTCOME]).toBe('timeout')
      expect(span.attributes[ATTR_ERROR_TYPE]).toBe('timeout')
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(closed.sort()).toEqual(REQUESTS.map(([, path]) => path).sort())
  })

  it('failing with 500: recorded as a critical status mismatch', async () => {
    const candidate = await candidateServer((_req, res) => {
      res.statusCode = 500
      res.end('internal error')
    })
    open.push(candidate)
    const spans = await clientSeesNoDifference(candidate.url)
    for (const span of spans) {
      expect(span.attributes[ATTR_OUTCOME]).toBe('mismatch')
      expect(span.attributes[ATTR_SEVERITY]).toBe('critical')
      expect(span.attributes[ATTR_DIFF_PATHS]).toContain('status')
    }
  })

  it('answering garbage (not HTTP): recorded as shadow_error', async () => {
    const garbage = net.createServer((socket) => {
      socket.on('data', () => socket.end('\x00\x01 this is not HTTP at all \r\n\r\n\xff'))
      socket.on('error', () => {})
    })
    const server = await listen(garbage)
    open.push(server)
    const spans = await clientSeesNoDifference(server.url)
    for (const span of spans) expect(span.attributes[ATTR_OUTCOME]).toBe('shadow_error')
  })

  it('hanging up mid-response: recorded as shadow_error', async () => {
    const candidate = await candidateServer((_req, res) => {
      res.setHeader('content-length', '1000')
      res.write('partial')
      setTimeout(() => res.destroy(), 10)
    })
    open.push(candidate)
    const spans = await clientSeesNoDifference(candidate.url)
    // HEAD included: its head was never flushed before the socket went
    for (const span of spans) expect(span.attributes[ATTR_OUTCOME]).toBe('shadow_error')
  })
})
