/**
 * The mirror's own HTTP/1.1 client: the response reader on byte streams cut anywhere, and the
 * connection pool against real servers on loopback (reuse, bounds, stale connections, aborts).
 */
import * as http from 'node:http'
import * as net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { CandidatePool, type PendingRequest } from '../src/candidate-pool.js'
import { ResponseFormatError, ResponseReader } from '../src/response-reader.js'
import { listen, type Running } from './support.js'

/** Feed `wire` to a reader `step` bytes at a time; returns the reader and whether it completed. */
function read(wire: string, step: number, bodyless = false) {
  const reader = new ResponseReader(bodyless, 1 << 20)
  const bytes = Buffer.from(wire, 'latin1')
  let done = false
  for (let at = 0; at < bytes.length; at += step) done = reader.read(bytes.subarray(at, at + step))
  return { reader, done }
}

const text = (reader: ResponseReader) => reader.body.take()?.toString('latin1')

describe('ResponseReader', () => {
  const lengthFramed =
    'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nSet-Cookie: a=1\r\n' +
    'Vary: accept\r\nset-cookie: b=2\r\nVARY: origin\r\n\r\n{"id":4711}'

  it('reads a Content-Length body, whatever the chunk boundaries', () => {
    for (const step of [1, 2, 7, 1000]) {
      const { reader, done } = read(lengthFramed, step)
      expect(done).toBe(true)
      expect(reader.status).toBe(200)
      expect(reader.headers).toEqual({
        'content-type': 'application/json',
        'content-length': '11',
        'set-cookie': ['a=1', 'b=2'],
        vary: 'accept, origin',
      })
      expect(text(reader)).toBe('{"id":4711}')
      expect(reader.reusable).toBe(true)
    }
  })

  it('reads a chunked body with extensions and trailers, whatever the chunk boundaries', () => {
    const wire =
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n' +
      '7\r\n, world\r\n0\r\nX-Checksum: 1\r\n\r\n'
    const bare = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n'
    for (const step of [1, 3, 1000]) {
      const chunked = read(wire, step)
      expect(chunked.done).toBe(true)
      expect(text(chunked.reader)).toBe('hello, world')
      expect(chunked.reader.reusable).toBe(true)
      expect(text(read(bare, step).reader)).toBe('0123456789')
    }
  })

  it('skips interim 1xx responses', () => {
    const { reader, done } = read(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n' +
        'HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok',
      4,
    )
    expect(done).toBe(true)
    expect(reader.status).toBe(201)
    expect(reader.headers).toEqual({ 'content-length': '2' })
  })

  it('reads a body without framing until the connection ends, and does not reuse it', () => {
    const { reader, done } = read('HTTP/1.1 200 OK\r\n\r\nuntil the end', 5)
    expect(done).toBe(false)
    expect(reader.end()).toBe(true)
    expect(text(reader)).toBe('until the end')
    expect(reader.reusable).toBe(false)
  })

  it('reads no body for HEAD, 204 and 304, whatever the headers say', () => {
    expect(read('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n', 3, true).done).toBe(true)
    expect(read('HTTP/1.1 204 No Content\r\nContent-Length: 50\r\n\r\n', 3).done).toBe(true)
    expect(read('HTTP/1.1 304 Not Modified\r\n\r\n', 3).done).toBe(true)
  })

  it('knows when the connection cannot carry another request', () => {
    expect(read('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', 9).reader.reusable).toBe(
      false,
    )
    expect(read('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', 9).reader.reusable).toBe(false)
    expect(
      read('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n', 9).reader.reusable,
    ).toBe(true)
    // bytes past the end of the answer: something is wrong with the connection
    expect(read('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy', 100).reader.reusable).toBe(false)
  })

  it('refuses what is not HTTP/1.x or breaks its own framing', () => {
    const cases = [
      '\x00\x01 this is not HTTP at all \r\n\r\n\xff',
      'HTTP/2 200\r\n\r\n',
      'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
      'HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nx',
      'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxyz',
      'HTTP/1.1 101 Switching Protocols\r\n\r\n',
    ]
    for (const wire of cases) expect(() => read(wire, 4), wire).toThrow(ResponseFormatError)
    expect(() => read(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(70_000)}`, 8192)).toThrow(/within 65536 bytes/)
  })

  it('keeps at most its bound of the body, and counts all of it', () => {
    const reader = new ResponseReader(false, 4)
    reader.read(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789'))
    expect(reader.done).toBe(true)
    expect(reader.body.bytes).toBe(10)
    expect(reader.body.truncated).toBe(true)
    expect(reader.body.take()).toBeUndefined()
  })
})

describe('CandidatePool', () => {
  const open: Running[] = []
  const pools: CandidatePool[] = []
  afterEach(async () => {
    for (const pool of pools.splice(0)) pool.close()
    await Promise.all(open.splice(0).map((r) => r.close()))
  })

  /** An HTTP server counting the connections it accepted. */
  async function server(handler: http.RequestListener) {
    const created = http.createServer(handler)
    let connections = 0
    created.on('connection', () => connections++)
    const running = await listen(created)
    open.push(running)
    return { ...running, connections: () => connections }
  }
  const pool = (url: string, maxSockets: number) => {
    const created = new CandidatePool(new URL(url), maxSockets, 1 << 20)
    pools.push(created)
    return created
  }
  const get = (path: string) => Buffer.from(`GET ${path} HTTP/1.1\r\nhost: candidate\r\n\r\n`, 'latin1')
  /** Send through `candidates`; the answer as a promise, and the pending request. */
  const ask = (candidates: CandidatePool, method: string, payload: Buffer) => {
    let pending: PendingRequest | undefined
    const answer = new Promise<ResponseReader>((resolve, reject) => {
      pending = candidates.request(method, payload, { response: resolve, failed: reject })
    })
    return { answer, pending: pending as unknown as PendingRequest }
  }
  const request = (candidates: CandidatePool, method: string, payload: Buffer) =>
    ask(candidates, method, payload).answer

  it('keeps connections alive and reuses them', async () => {
    const candidate = await server((req, res) => res.end(`you asked for ${req.url}`))
    const candidates = pool(candidate.url, 4)
    for (let i = 0; i < 20; i++) {
      const reader = await request(candidates, 'GET', get(`/orders/${i}`))
      expect(text(reader)).toBe(`you asked for /orders/${i}`)
    }
    expect(candidate.connections()).toBe(1)
    expect(candidates.connections).toBe(1)
  })

  it('opens at most maxSockets connections; requests beyond wait for one', async () => {
    let concurrent = 0
    let most = 0
    const candidate = await server((_req, res) => {
      most = Math.max(most, ++concurrent)
      setTimeout(() => {
        concurrent--
        res.end('ok')
      }, 10)
    })
    const candidates = pool(candidate.url, 3)
    const readers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => request(candidates, 'GET', get(`/${i}`))),
    )
    expect(readers.map(text)).toEqual(Array(6).fill('ok'))
    expect(most).toBe(3)
    expect(candidate.connections()).toBe(3)
    // beyond maxSockets waiting as well, a request fails at once
    const flood = Array.from({ length: 7 }, (_, i) => request(candidates, 'GET', get(`/${i}`)))
    const settled = await Promise.allSettled(flood)
    expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(1)
  })

  it('retries a safe request once when a reused connection turns out closed, never an unsafe one', async () => {
    // answers the first request on each connection, hangs up on the second without answering
    const seen = new WeakMap<net.Socket, number>()
    const closing = net.createServer((socket) => {
      socket.on('data', () => {
        const count = (seen.get(socket) ?? 0) + 1
        seen.set(socket, count)
        if (count === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfirst')
        else socket.destroy()
      })
      socket.on('error', () => {})
    })
    const running = await listen(closing)
    open.push(running)
    const candidates = pool(running.url, 4)
    expect(text(await request(candidates, 'GET', get('/a')))).toBe('first')
    expect(text(await request(candidates, 'GET', get('/b')))).toBe('first') // retried
    const post = Buffer.from('POST /c HTTP/1.1\r\nhost: candidate\r\ncontent-length: 0\r\n\r\n', 'latin1')
    await expect(request(candidates, 'POST', post)).rejects.toThrow(/closed|reset|hang/i)
  })

  it('aborts a request: its connection is closed, the listener told the reason', async () => {
    const closed: string[] = []
    const candidate = await server((req, res) => res.on('close', () => closed.push(String(req.url))))
    const candidates = pool(candidate.url, 2)
    const { answer, pending } = ask(candidates, 'GET', get('/slow'))
    setTimeout(() => pending.abort(new Error('deadline')), 30)
    await expect(answer).rejects.toThrow('deadline')
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(closed).toEqual(['/slow'])
    expect(candidates.connections).toBe(0)
  })

  it('reports a refused connection', async () => {
    const probe = await listen(net.createServer())
    await probe.close()
    await expect(request(pool(probe.url, 2), 'GET', get('/'))).rejects.toThrow(/ECONNREFUSED/)
  })
})
