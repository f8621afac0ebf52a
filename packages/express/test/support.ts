/**
 * Test wiring: a real OTel tracer with in-memory spans, a legacy orders app, candidate servers
 * on loopback, and a raw HTTP client that sees the exact bytes a client gets.
 */
import { once } from 'node:events'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import * as net from 'node:net'
import * as zlib from 'node:zlib'
import { context } from '@opentelemetry/api'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { ATTR_ROLE } from '@twinspan/conventions'
import express, { type RequestHandler } from 'express'

export const exporter = new InMemorySpanExporter()
export const tracer = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(exporter)],
}).getTracer('test')
// no context manager on purpose: the middleware must attribute spans without one
void context

export function shadowSpans(): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.attributes[ATTR_ROLE] === 'shadow')
}
export function primarySpans(): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.attributes[ATTR_ROLE] === 'primary')
}
/** The only shadow span; fails when there is not exactly one. */
export function theShadowSpan(): ReadableSpan {
  const all = shadowSpans()
  if (all.length !== 1) throw new Error(`expected one shadow span, got ${all.length}`)
  return all[0] as ReadableSpan
}

/** An order as both services should render it. */
export function order(id: string): Record<string, unknown> {
  return { id, status: 'shipped', total: 42.5, items: [{ sku: 'A-1', qty: 2 }], customer: { id: 'c-7' } }
}

/**
 * The legacy orders service. `front` is mounted before every route (the middleware under test, or
 * nothing for the reference app).
 */
export function legacyApp(front: RequestHandler[] = []): express.Express {
  const app = express()
  app.set('etag', false)
  for (const handler of front) app.use(handler)
  app.get('/orders/:id', (req, res) => {
    res.json(order(String(req.params.id)))
  })
  app.get('/gzip/orders/:id', (req, res) => {
    res.set('content-type', 'application/json; charset=utf-8')
    res.set('content-encoding', 'gzip')
    res.end(zlib.gzipSync(JSON.stringify(order(String(req.params.id)))))
  })
  app.get('/stream', async (_req, res) => {
    res.type('text/plain')
    for (let i = 0; i < 5; i++) {
      res.write(`line ${i}\n`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    res.end('done\n')
  })
  app.get('/big', (_req, res) => {
    res.type('text/plain').send('x'.repeat(10_000))
  })
  app.post('/orders', express.json(), (req, res) => {
    res.status(201).json({ created: true, echo: req.body })
  })
  app.post('/forms', (req, res) => {
    res.status(201).json({ created: true, echo: req.body })
  })
  const api = express.Router()
  api.get('/customers/:customerId', (req, res) => {
    res.json({ id: req.params.customerId })
  })
  app.use('/api', api)
  return app
}

/** What a candidate server saw. */
export interface SeenRequest {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: Buffer
}

export interface Running {
  url: string
  port: number
  close(): Promise<void>
}

/** Listen on an ephemeral loopback port. */
export async function listen(server: http.Server | net.Server): Promise<Running> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        if (server instanceof http.Server) server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Serve `app` on loopback. */
export function serve(app: http.RequestListener): Promise<Running> {
  return listen(http.createServer(app))
}

/** A candidate HTTP server answering with `handler`, recording every request it gets. */
export async function candidateServer(
  handler: (req: SeenRequest, res: http.ServerResponse) => void,
): Promise<Running & { seen: SeenRequest[] }> {
  const seen: SeenRequest[] = []
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const request = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks),
    }
    seen.push(request)
    handler(request, res)
  })
  return { ...(await listen(server)), seen }
}

/** A candidate that answers like the legacy app (it is the legacy app, on another port). */
export async function twinCandidate(): Promise<Running & { seen: SeenRequest[] }> {
  const seen: SeenRequest[] = []
  const app = legacyApp([
    (req, _res, next) => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.alloc(0) })
      next()
    },
  ])
  return { ...(await serve(app)), seen }
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = net.createServer()
  const running = await listen(server)
  await running.close()
  return running.port
}

/**
 * Send a raw HTTP/1.1 request and return every byte of the response, with the `Date` header's
 * value blanked (the one thing two identical responses a second apart may differ in).
 */
export async function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body = '',
): Promise<string> {
  const socket = net.connect(port, '127.0.0.1')
  await once(socket, 'connect')
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: legacy.test', 'Connection: close']
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
  if (body !== '') lines.push(`Content-Length: ${Buffer.byteLength(body)}`)
  // written, not ended: a client that half-closes gets its streamed responses cut off by Node
  socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`)
  const chunks: Buffer[] = []
  for await (const chunk of socket) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
    .toString('latin1')
    .replace(/\r\nDate: [^\r]*/i, '\r\nDate: -')
}

/** GET `url` and return status, headers and body text. */
export async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(url, { headers })
  return { status: response.status, headers: response.headers, text: await response.text() }
}
