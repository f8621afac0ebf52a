/**
 * The legacy response, captured as it is sent. `writeHead`, `write` and `end` are hooked once per
 * process on `http.ServerResponse.prototype`: each hook calls the method it replaced first,
 * unchanged, with the same arguments and return value, and only then, for a response being
 * captured (one lookup in a WeakMap), notes what went out. Nothing is buffered in front of the
 * client and nothing waits: chunks are referenced (not copied) up to `maxBodyBytes`, so a streamed
 * response streams as before.
 *
 * Why on the prototype and not on each response: a property added to an Express response object
 * allocates a new hidden class for it (its objects share none), about 1.6 KB each, measured; three
 * wrappers per mirrored request were the largest allocation of the mirror (decision 0041). On the
 * prototype the hooks also sit below every wrapper other middleware puts on `res` (compression),
 * so what they note is what the client gets, whatever the order the middleware was mounted in.
 */
import { type OutgoingHttpHeaders, ServerResponse } from 'node:http'
import { decodeBody } from './decode.js'
import { comparableHeaders } from './headers.js'
import { BoundedBody, type ObservedResponse } from './response.js'

/**
 * One response being captured. Subclassed by what consumes it (the middleware's mirror), so a
 * captured response costs one object besides its body, not a capture, a callback and a mirror.
 */
export abstract class Capture {
  readonly body: BoundedBody
  status = 0
  headers: OutgoingHttpHeaders | undefined
  /** HEAD, or a status Node sends no body for: writes are not noted. */
  bodyless: boolean

  constructor(
    readonly maxBytes: number,
    method: string,
  ) {
    this.body = new BoundedBody(maxBytes)
    this.bodyless = method === 'HEAD'
  }

  /** Called once the response has finished (or closed without finishing, then `incomplete`), with the body decoded. */
  protected abstract captured(legacy: ObservedResponse): void

  /** The head went out: its status and headers are final. `explicit`: headers passed to `writeHead` itself. */
  head(res: ServerResponse, explicit: unknown): void {
    if (this.headers !== undefined) return
    this.status = res.statusCode
    this.headers = res.getHeaders() // a copy, ours to add to
    if (explicit !== undefined && explicit !== null) Object.assign(this.headers, explicitHeaders(explicit))
    const status = this.status
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) this.bodyless = true
  }

  /** The response closed: finished, or not (the client went away). */
  closed(res: ServerResponse): void {
    const { body, headers, maxBytes } = this
    const status = this.status || res.statusCode
    const comparable = comparableHeaders(headers ?? res.getHeaders())
    if (!res.writableFinished) {
      this.captured(observed(status, comparable, body.bytes, undefined, body.truncated, true))
      return
    }
    const encoding = headers?.['content-encoding']
    const kept = body.take()
    if (encoding === undefined) {
      this.captured(observed(status, comparable, body.bytes, kept, body.truncated, undefined))
      return
    }
    decodeBody(kept, String(encoding), maxBytes).then((decoded) =>
      this.captured(
        observed(
          status,
          comparable,
          body.bytes,
          decoded.body,
          body.truncated || decoded.truncated,
          undefined,
        ),
      ),
    )
  }
}

/** An `ObservedResponse`, every field set in one order (one shape for every response). */
function observed(
  status: number,
  headers: Record<string, string | string[]>,
  bodyBytes: number,
  body: Buffer | undefined,
  truncated: boolean,
  incomplete: true | undefined,
): ObservedResponse {
  return incomplete
    ? { status, headers, bodyBytes, body, truncated, incomplete }
    : { status, headers, bodyBytes, body, truncated }
}

const captures = new WeakMap<ServerResponse, Capture>()
let hooked = false

type Method = (this: ServerResponse, a?: unknown, b?: unknown, c?: unknown) => unknown

/** Hook `writeHead`, `write` and `end` of every server response, once per process. */
function hookResponses(): void {
  if (hooked) return
  hooked = true
  const proto = ServerResponse.prototype as unknown as Record<string, Method>
  const writeHead = proto.writeHead as Method
  const write = proto.write as Method
  const end = proto.end as Method
  // Each hook passes on exactly the arguments it was given (their number too: no rest array per
  // call). `res.write`/`res.end` write the head through `this.writeHead` (`_implicitHeader`), so
  // every response passes here exactly when its status and headers are final.
  proto.writeHead = function (this: ServerResponse, a?: unknown, b?: unknown, c?: unknown) {
    // biome-ignore lint/complexity/noArguments: how many were passed, without a rest array per call
    const n = arguments.length
    const result =
      n <= 1 ? writeHead.call(this, a) : n === 2 ? writeHead.call(this, a, b) : writeHead.call(this, a, b, c)
    const capture = captures.get(this)
    if (capture !== undefined) capture.head(this, n <= 1 ? undefined : typeof b === 'string' ? c : b)
    return result
  }
  proto.write = function (this: ServerResponse, a?: unknown, b?: unknown, c?: unknown) {
    // biome-ignore lint/complexity/noArguments: how many were passed, without a rest array per call
    const n = arguments.length
    const accepted =
      n <= 1 ? write.call(this, a) : n === 2 ? write.call(this, a, b) : write.call(this, a, b, c)
    const capture = captures.get(this)
    if (capture !== undefined && !capture.bodyless) note(capture.body, a, b)
    return accepted
  }
  proto.end = function (this: ServerResponse, a?: unknown, b?: unknown, c?: unknown) {
    // biome-ignore lint/complexity/noArguments: how many were passed, without a rest array per call
    const n = arguments.length
    const result =
      n === 0
        ? end.call(this)
        : n === 1
          ? end.call(this, a)
          : n === 2
            ? end.call(this, a, b)
            : end.call(this, a, b, c)
    const capture = captures.get(this)
    if (capture !== undefined && !capture.bodyless && typeof a !== 'function') note(capture.body, a, b)
    return result
  }
}

function onClose(this: ServerResponse): void {
  const capture = captures.get(this)
  if (capture === undefined) return
  captures.delete(this)
  capture.closed(this)
}

/** Start capturing `res` into `capture`. Never throws into the response. */
export function captureResponse(res: ServerResponse, capture: Capture): void {
  hookResponses()
  captures.set(res, capture)
  // 'close' comes after 'finish' on a completed response, and alone when it never completed
  res.on('close', onClose)
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
function explicitHeaders(given: unknown): OutgoingHttpHeaders {
  if (typeof given !== 'object' || given === null) return {}
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
