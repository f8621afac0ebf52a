/**
 * The legacy response, captured as it is sent. `writeHead`, `write` and `end` are wrapped on this
 * one response: each wrapper calls the original first, unchanged, with the same arguments and
 * return value, and only then notes what went out. Nothing is buffered in front of the client and
 * nothing waits: chunks are referenced (not copied) up to `maxBodyBytes`, so a streamed response
 * streams as before.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { decodeBody } from './decode.js'
import { comparableHeaders } from './headers.js'
import { BoundedBody, type ObservedResponse } from './response.js'

type Write = ServerResponse['write']
type End = ServerResponse['end']
type WriteHead = ServerResponse['writeHead']

/**
 * Start capturing `res`; `done` is called once the response has finished (or closed without
 * finishing, then `incomplete`), with the body decoded. Never throws into the response.
 */
export function captureResponse(
  res: ServerResponse,
  method: string,
  maxBytes: number,
  done: (legacy: ObservedResponse) => void,
): void {
  const body = new BoundedBody(maxBytes)
  let status = 0
  let headers: OutgoingHttpHeaders | undefined
  let bodyless = method === 'HEAD'

  const writeHead = res.writeHead as (this: ServerResponse, ...args: unknown[]) => ServerResponse
  const write = res.write as (this: ServerResponse, ...args: unknown[]) => boolean
  const end = res.end as (this: ServerResponse, ...args: unknown[]) => ServerResponse

  // `res.write`/`res.end` write the head through `this.writeHead` (`_implicitHeader`), so every
  // response passes here exactly when its status and headers are final.
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    const result = writeHead.apply(this, args)
    if (headers === undefined) {
      status = this.statusCode
      headers = this.getHeaders() // a copy, ours to add to
      if (args.length > 1) Object.assign(headers, explicitHeaders(args))
      // Node sends no body for these, whatever is written
      if (status === 204 || status === 304 || (status >= 100 && status < 200)) bodyless = true
    }
    return result
  } as WriteHead

  res.write = function (this: ServerResponse, ...args: unknown[]) {
    const accepted = write.apply(this, args)
    if (!bodyless) note(body, args[0], args[1])
    return accepted
  } as Write

  res.end = function (this: ServerResponse, ...args: unknown[]) {
    const result = end.apply(this, args)
    if (!bodyless && typeof args[0] !== 'function') note(body, args[0], args[1])
    return result
  } as End

  // 'close' comes after 'finish' on a completed response, and alone when it never completed
  res.on('close', () => {
    const observed = {
      status: status || res.statusCode,
      headers: comparableHeaders(headers ?? res.getHeaders()),
      bodyBytes: body.bytes,
    }
    if (!res.writableFinished) {
      done({ ...observed, body: undefined, truncated: body.truncated, incomplete: true })
      return
    }
    const encoding = headers?.['content-encoding']
    const kept = body.take()
    if (encoding === undefined) {
      done({ ...observed, body: kept, truncated: body.truncated })
      return
    }
    decodeBody(kept, String(encoding), maxBytes).then((decoded) =>
      done({ ...observed, body: decoded.body, truncated: body.truncated || decoded.truncated }),
    )
  })
}

/** Note one written chunk (string, Buffer or other bytes, as `write` accepts). */
function note(body: BoundedBody, chunk: unknown, encoding: unknown): void {
  if (chunk === undefined || chunk === null) return
  if (typeof chunk === 'string') {
    if (chunk.length > 0)
      body.add(Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'))
  } else if (Buffer.isBuffer(chunk)) body.add(chunk)
  else if (ArrayBuffer.isView(chunk)) body.add(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
}

/**
 * Headers passed to `writeHead` itself (an object or a flat/paired array). When no header was set
 * before, Node sends them without storing them where `getHeaders()` looks.
 */
function explicitHeaders(args: unknown[]): OutgoingHttpHeaders {
  const given = typeof args[1] === 'string' ? args[2] : args[1]
  if (given === undefined || given === null || typeof given !== 'object') return {}
  const result: OutgoingHttpHeaders = {}
  if (Array.isArray(given)) {
    const pairs: unknown[][] = Array.isArray(given[0])
      ? (given as unknown[][])
      : Array.from({ length: given.length >> 1 }, (_, i) => [given[2 * i], given[2 * i + 1]])
    for (const [name, value] of pairs) {
      if (typeof name === 'string' && value !== undefined) result[name.toLowerCase()] = value as string
    }
  } else {
    for (const [name, value] of Object.entries(given)) {
      if (value !== undefined) result[name.toLowerCase()] = value as string
    }
  }
  return result
}
