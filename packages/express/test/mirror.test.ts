/** What is mirrored and how: methods, request bodies, headers, compressed and streamed responses, bounds. */
import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import * as net from 'node:net'
import * as zlib from 'node:zlib'
import { DEFAULT_IGNORED_HEADERS } from '@twinspan/compare'
import {
  ATTR_DIFF,
  ATTR_DIFF_PATHS,
  ATTR_OPERATION,
  ATTR_OUTCOME,
  ATTR_SEVERITY,
} from '@twinspan/conventions'
import { parallelRun, SHADOW_HEADER } from '@twinspan/express'
import express from 'express'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  candidateServer,
  exporter,
  legacyApp,
  order,
  type Running,
  rawRequest,
  type SeenRequest,
  serve,
  shadowSpans,
  theShadowSpan,
  tracer,
} from './support.js'

const open: Running[] = []
beforeEach(() => exporter.reset())
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()))
})

/** A candidate answering like the legacy app for the routes the tests use. */
async function echoCandidate() {
  const candidate = await candidateServer((req, res) => {
    const path = req.url.split('?')[0] ?? ''
    if (req.method === 'POST') {
      res.writeHead(201, { 'content-type': 'application/json; charset=utf-8' })
      const type = req.headers['content-type'] ?? ''
      const text = (
        req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(req.body) : req.body
      ).toString()
      const echo = type.includes('json') ? JSON.parse(text) : text
      res.end(JSON.stringify({ created: true, echo }))
    } else if (path === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('line 0\nline 1\nline 2\nline 3\nline 4\ndone\n')
    } else if (path === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('y'.repeat(10_000))
    } else {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
      res.end(JSON.stringify(order(path.split('/').pop() ?? '')))
    }
  })
  open.push(candidate)
  return candidate
}

async function app(middleware: ReturnType<typeof parallelRun>, front: express.RequestHandler[] = []) {
  const legacy = await serve(legacyApp([...front, middleware]))
  open.push(legacy)
  return legacy
}

async function post(url: string, body: string, contentType: string) {
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': contentType } })
  return { status: response.status, json: (await response.json()) as Record<string, unknown> }
}

describe('methods', () => {
  it('mirrors GET and HEAD only by default: the candidate never sees a POST', async () => {
    const candidate = await echoCandidate()
    const middleware = parallelRun({ candidate: candidate.url, tracer })
    const legacy = await app(middleware)
    const created = await post(`${legacy.url}/orders`, '{"sku":"A-1"}', 'application/json')
    expect(created).toEqual({ status: 201, json: { created: true, echo: { sku: 'A-1' } } })
    await fetch(`${legacy.url}/orders/1`, { method: 'HEAD' })
    await fetch(`${legacy.url}/orders/1`, { method: 'DELETE' })
    await middleware.flush()
    expect(candidate.seen.map((r) => r.method)).toEqual(['HEAD'])
    expect(shadowSpans().map((s) => s.attributes[ATTR_OPERATION])).toEqual(['HEAD /orders/:id'])
  })

  it('refuses unsafe methods in `methods` unless unsafeMethods is set', () => {
    expect(() => parallelRun({ candidate: 'http://127.0.0.1:1', methods: ['GET', 'post'] })).toThrow(
      /methods includes POST, which can change state.*unsafeMethods: true/,
    )
    expect(() =>
      parallelRun({ candidate: 'http://127.0.0.1:1', methods: ['GET', 'POST'], unsafeMethods: true }),
    ).not.toThrow()
    expect(() => parallelRun({ candidate: 'ftp://x' })).toThrow(/candidate must be an http or https URL/)
    expect(() => parallelRun({ candidate: 'http://x', maxBodyBytes: -1 })).toThrow(/maxBodyBytes/)
    expect(() => parallelRun({ candidate: 'http://x', sampleRate: 2 })).toThrow(/sampleRate/)
    expect(() =>
      parallelRun({ candidate: 'http://x', compare: { rules: { body: { tolerance: -1 } } } }),
    ).toThrow(/compare:/)
  })

  it('with unsafeMethods: true mirrors every method, body parsed by a route-level parser', async () => {
    const candidate = await echoCandidate()
    const middleware = parallelRun({ candidate: candidate.url, tracer, unsafeMethods: true })
    const legacy = await app(middleware)
    const body = '{ "sku": "A-1",  "qty": 2 }' // odd spacing: the candidate gets these very bytes
    const created = await post(`${legacy.url}/orders`, body, 'application/json')
    expect(created.json).toEqual({ created: true, echo: { sku: 'A-1', qty: 2 } })
    await middleware.flush()
    expect(candidate.seen).toHaveLength(1)
    expect(candidate.seen[0]?.method).toBe('POST')
    expect(candidate.seen[0]?.body.toString()).toBe(body)
    expect(candidate.seen[0]?.headers['content-length']).toBe(String(Buffer.byteLength(body)))
    const shadow = theShadowSpan()
    expect(shadow.attributes[ATTR_OUTCOME]).toBe('match')
    expect(shadow.attributes[ATTR_OPERATION]).toBe('POST /orders')
  })
})

describe('request bodies consumed by a body parser', () => {
  it('a parser in front of the middleware: req.body re-serialised per content type', async () => {
    const candidate = await echoCandidate()
    const middleware = parallelRun({ candidate: candidate.url, tracer, unsafeMethods: true })
    const legacy = await app(middleware, [express.json(), express.urlencoded({ extended: true })])
    await post(`${legacy.url}/orders`, '{ "sku": "A-1" }', 'application/json')
    await post(
      `${legacy.url}/forms`,
      'sku=A-1&tags=a&tags=b&address[city]=Berlin',
      'application/x-www-form-urlencoded',
    )
    await middleware.flush()
    const [json, form] = candidate.seen
    expect(json?.body.toString()).toBe('{"sku":"A-1"}')
    expect(form?.body.toString()).toBe('sku=A-1&tags=a&tags=b&address%5Bcity%5D=Berlin')
    expect(form?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(middleware.skipped).toEqual({ request_body_too_large: 0, request_body_unreadable: 0 })
  })

  it('a gzip-encoded request body, read raw, is forwarded with its encoding', async () => {
    const candidate = await echoCandidate()
    const middleware = parallelRun({ candidate: candidate.url, tracer, unsafeMethods: true })
    const legacy = await app(middleware)
    const gzipped = zlib.gzipSync('{"sku":"Z-9"}')
    const response = await fetch(`${legacy.url}/orders`, {
      method: 'POST',
      body: gzipped,
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    })
    expect(await response.json()).toEqual({ created: true, echo: { sku: 'Z-9' } })
    await middleware.flush()
    expect(candidate.seen[0]?.headers['content-encoding']).toBe('gzip')
    expect(Buffer.compare(candidate.seen[0]?.body ?? Buffer.alloc(0), gzipped)).toBe(0)
  })

  it('a body it cannot mirror is not mirrored, and counted', async () => {
    const candidate = await echoCandidate()
    const middleware = parallelRun({
      candidate: candidate.url,
      tracer,
      unsafeMethods: true,
      maxBodyBytes: 64,
    })
    // a multipart parser in front of the middleware: it consumed the stream, and fields are not the body
    const multipartParser: express.RequestHandler = (req, _res, next) => {
      if (!req.is('multipart/form-data')) return next()
      req.resume()
      req.once('end', () => {
        req.body = { field: 'value' }
        next()
      })
    }
    const legacy = await app(middleware, [multipartParser])
    const big = await post(
      `${legacy.url}/orders`,
      JSON.stringify({ pad: 'p'.repeat(100) }),
      'application/json',
    )
    expect(big.status).toBe(201)
    const multipart = await fetch(`${legacy.url}/forms`, {
      method: 'POST',
      body: '--b\r\nContent-Disposition: form-data; name="field"\r\n\r\nvalue\r\n--b--\r\n',
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
    })
    expect(multipart.status).toBe(201)
    await middleware.flush()
    expect(candidate.seen).toEqual([])
    expect(middleware.skipped).toEqual({ request_body_too_large: 1, request_body_unreadable: 1 })
  })
})

describe('headers', () => {
  it('marks mirrored requests, drops hop-by-hop headers, rewrites Host, keeps the rest', async () => {
    const candidate = await echoCandidate()
    const middleware = parallelRun({ candidate: `${candidate.url}/v2/`, tracer })
    const legacy = await app(middleware)
    await rawRequest(legacy.port, 'GET', '/orders/5?x=1', {
      'Keep-Alive': 'timeout=5',
      TE: 'trailers',
      'X-Hop': 'connection-scoped',
      'Proxy-Authorization': 'Basic c2VjcmV0',
      Authorization: 'Bearer end-user',
      'Accept-Language': 'de',
      Connection: 'close, X-Hop',
    })
    await middleware.flush()
    const [seen] = candidate.seen as [SeenRequest]
    expect(seen.url).toBe('/v2/orders/5?x=1')
    expect(seen.headers[SHADOW_HEADER]).toBe('1')
    expect(seen.headers.host).toBe(`127.0.0.1:${candidate.port}`)
    expect(seen.headers['x-forwarded-host']).toBe('legacy.test')
    expect(seen.headers.authorization).toBe('Bearer end-user')
    expect(seen.headers['accept-language']).toBe('de')
    for (const name of ['te', 'x-hop', 'proxy-authorization']) expect(seen.headers[name]).toBeUndefined()
    expect(seen.headers.connection).toBe('keep-alive') // the mirror's own connection, not the client's
  })
})

describe('compressed and streamed responses', () => {
  it('compares decoded bodies: legacy gzip against candidate identity matches; a changed field inside gzip is found', async () => {
    let total = 42.5
    const candidate = await candidateServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
      res.end(JSON.stringify({ ...order(req.url.split('/').pop() ?? ''), total }))
    })
    open.push(candidate)
    const middleware = parallelRun({
      candidate: candidate.url,
      tracer,
      compare: { ignoreHeaders: [...DEFAULT_IGNORED_HEADERS, 'content-encoding'] },
    })
    const legacy = await app(middleware)
    await rawRequest(legacy.port, 'GET', '/gzip/orders/8')
    await middleware.flush()
    expect(theShadowSpan().attributes[ATTR_OUTCOME]).toBe('match')

    exporter.reset()
    total = 43
    await rawRequest(legacy.port, 'GET', '/gzip/orders/8')
    await middleware.flush()
    expect(theShadowSpan().attributes[ATTR_DIFF_PATHS]).toEqual(['body.total'])
  })

  it('sees the bytes the client gets even behind a middleware in front that rewrites the body (compression)', async () => {
    const candidate = await candidateServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
      res.end(JSON.stringify(order(req.url.split('/').pop() ?? '')))
    })
    open.push(candidate)
    // like compression(): mounted first, it wraps res.write/res.end and sends the body gzipped
    const gzipInFront: express.RequestHandler = (_req, res, next) => {
      const chunks: Buffer[] = []
      const end = res.end.bind(res) as (chunk: Buffer) => unknown
      res.write = ((chunk: string | Buffer) => {
        chunks.push(Buffer.from(chunk))
        return true
      }) as typeof res.write
      res.end = ((chunk?: string | Buffer) => {
        if (chunk !== undefined) chunks.push(Buffer.from(chunk))
        res.setHeader('content-encoding', 'gzip')
        res.removeHeader('content-length')
        return end(zlib.gzipSync(Buffer.concat(chunks)))
      }) as typeof res.end
      next()
    }
    const legacyBytes: number[] = []
    const middleware = parallelRun({
      candidate: candidate.url,
      tracer,
      compare: { ignoreHeaders: [...DEFAULT_IGNORED_HEADERS, 'content-encoding'] },
      onResult: (r) => {
        legacyBytes.push((r.primary.value as { bodyBytes: number }).bodyBytes)
      },
    })
    const legacy = await serve(legacyApp([gzipInFront, middleware]))
    open.push(legacy)
    const got = await rawRequest(legacy.port, 'GET', '/orders/9')
    expect(got).toMatch(/content-encoding: gzip/i)
    await middleware.flush()
    const span = theShadowSpan()
    expect(span.attributes[ATTR_OUTCOME]).toBe('match') // decoded, the gzipped bytes equal the candidate's
    // what was captured is what went out: the gzipped body, not the handler's JSON
    expect(legacyBytes).toEqual([zlib.gzipSync(JSON.stringify(order('9'))).length])
  })

  it('decodes br and deflate on the candidate side too; a content-encoding that differs is reported', async () => {
    const json = JSON.stringify(order('8'))
    const encodings: Record<string, (b: string) => Buffer> = {
      br: (b) => zlib.brotliCompressSync(b),
      deflate: (b) => zlib.deflateSync(b),
      gzip: (b) => zlib.gzipSync(b),
    }
    const candidate = await candidateServer((req, res) => {
      const encoding = String(req.headers['x-test-encoding'])
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-encoding': encoding })
      res.end(encodings[encoding]?.(json))
    })
    open.push(candidate)
    const middleware = parallelRun({ candidate: candidate.url, tracer })
    const legacy = await app(middleware)
    for (const encoding of Object.keys(encodings))
      await rawRequest(legacy.port, 'GET', '/gzip/orders/8', { 'X-Test-Encoding': encoding })
    await middleware.flush()
    const diffs = shadowSpans().map((s) => JSON.parse(String(s.attributes[ATTR_DIFF])))
    // bodies equal once decoded; only the header says how each was sent
    expect(diffs.filter((d) => d.length === 0)).toHaveLength(1)
    expect(diffs.flat().map((d: { path: string }) => d.path)).toEqual([
      'headers.content-encoding',
      'headers.content-encoding',
    ])
  })

  it('a streamed response reaches the client chunk by chunk, and is compared whole', async () => {
    const candidate = await echoCandidate()
    const middleware = parallelRun({ candidate: candidate.url, tracer })
    const legacy = await app(middleware)
    const socket = net.connect(legacy.port, '127.0.0.1')
    await once(socket, 'connect')
    socket.write('GET /stream HTTP/1.1\r\nHost: legacy.test\r\n\r\n')
    const [first] = (await once(socket, 'data')) as [Buffer]
    // the first line arrived while the app was still streaming: nothing held it back
    expect(first.toString()).toContain('line 0')
    expect(first.toString()).not.toContain('done')
    socket.destroy()

    await rawRequest(legacy.port, 'GET', '/stream')
    await middleware.flush()
    const outcomes = shadowSpans().map((s) => [s.attributes[ATTR_OUTCOME], s.attributes[ATTR_SEVERITY]])
    expect(outcomes.sort()).toEqual([
      ['match', 'cosmetic'], // the client went away mid-stream: not compared, said so
      ['match', 'none'],
    ])
    const cut = shadowSpans().find((s) => s.attributes[ATTR_SEVERITY] === 'cosmetic')
    expect(String(cut?.attributes[ATTR_DIFF])).toContain('the legacy response did not finish')
  })
})

describe('bounds', () => {
  it('a body over maxBodyBytes is compared by status and headers, and recorded as truncated', async () => {
    const candidate = await echoCandidate()
    const middleware = parallelRun({ candidate: candidate.url, tracer, maxBodyBytes: 1000 })
    const legacy = await app(middleware)
    const response = await rawRequest(legacy.port, 'GET', '/big')
    expect(response.endsWith('x'.repeat(10_000))).toBe(true) // the client still gets all of it
    await middleware.flush()
    const shadow = theShadowSpan()
    // the bodies differ (x… against y…), but neither was kept
    expect(shadow.attributes[ATTR_OUTCOME]).toBe('match')
    expect(shadow.attributes[ATTR_SEVERITY]).toBe('cosmetic')
    expect(JSON.parse(String(shadow.attributes[ATTR_DIFF]))).toEqual([
      {
        path: 'body',
        kind: 'changed',
        severity: 'cosmetic',
        note: 'not compared: legacy and candidate body over maxBodyBytes (1000 bytes)',
      },
    ])
  })

  it('sampleRate 0 mirrors nothing; a sticky sampleKey decides the same way for the same key', async () => {
    const candidate = await echoCandidate()
    const none = parallelRun({ candidate: candidate.url, tracer, sampleRate: 0 })
    const legacy = await app(none)
    await rawRequest(legacy.port, 'GET', '/orders/1')
    await none.flush()
    expect(candidate.seen).toHaveLength(0)
    expect(shadowSpans()).toHaveLength(0)

    const half = parallelRun({
      candidate: candidate.url,
      tracer,
      sampleRate: 0.5,
      sampleKey: (req) => req.get('x-customer'),
    })
    const sticky = await app(half)
    const customers = Array.from({ length: 20 }, () => randomUUID())
    for (let round = 0; round < 2; round++)
      for (const customer of customers)
        await rawRequest(sticky.port, 'GET', `/orders/${customer}`, { 'X-Customer': customer })
    await half.flush()
    const mirrored = candidate.seen.map((r) => r.url)
    expect(mirrored.length).toBeGreaterThan(0)
    expect(mirrored.length).toBeLessThan(40)
    for (const url of new Set(mirrored)) expect(mirrored.filter((u) => u === url)).toHaveLength(2)
  })

  it('beyond maxInFlight requests are served but not mirrored; nothing is left in flight', async () => {
    const waiting: (() => void)[] = []
    const candidate = await candidateServer((_req, res) => {
      waiting.push(() => res.end('late'))
    })
    open.push(candidate)
    const middleware = parallelRun({ candidate: candidate.url, tracer, maxInFlight: 2 })
    const legacy = await app(middleware)
    const responses = await Promise.all(
      Array.from({ length: 5 }, (_, i) => rawRequest(legacy.port, 'GET', `/orders/${i}`)),
    )
    for (const response of responses) expect(response).toMatch(/^HTTP\/1.1 200 OK/)
    expect(middleware.inFlight).toBe(2)
    while (candidate.seen.length < 2) await new Promise((resolve) => setTimeout(resolve, 5))
    for (const release of waiting) release()
    await middleware.flush()
    expect(middleware.inFlight).toBe(0)
    expect(candidate.seen).toHaveLength(2)
    expect(shadowSpans()).toHaveLength(2)
  })
})
