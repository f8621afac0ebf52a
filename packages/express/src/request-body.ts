/**
 * The request body the candidate gets. Two sources, best first:
 *
 * 1. The raw bytes as the app reads them. `req.emit` is wrapped so every `'data'` chunk the app's
 *    body parser consumes (in flowing or paused mode, buffered before we looked or not) is noted
 *    as it passes; nothing is read on the app's behalf and the stream's mode is untouched. The
 *    candidate gets the same bytes with the same `content-type` and `content-encoding`.
 * 2. When the body was consumed before this middleware ran (a body parser mounted in front of it),
 *    `req.body` re-serialised per content type: JSON, URL-encoded forms, text and raw bytes.
 *    Equal in meaning, not necessarily in bytes (whitespace, number spelling).
 *
 * A body that can be neither (multipart, an unknown type, over `maxBodyBytes` by its
 * `content-length`) is not mirrored at all: the request is counted and passed on.
 */
import type { Request } from 'express'

/** Where the candidate's request body will come from, decided before a run starts. */
export type BodySource =
  | { readonly kind: 'none' }
  | { readonly kind: 'raw' }
  | { readonly kind: 'parsed'; readonly body: Buffer }
  | { readonly kind: 'unmirrorable'; readonly reason: 'request_body_too_large' | 'request_body_unreadable' }

/** The body to send, and request headers that no longer describe it (a re-serialised body is not encoded). */
export interface MirroredBody {
  readonly body: Buffer | undefined
  readonly dropHeaders: readonly string[]
}

/** A request body that could not be mirrored after the run had started (the run records a shadow error). */
export class RequestBodyError extends Error {
  override readonly name = 'RequestBodyError'
}

const NONE: BodySource = Object.freeze({ kind: 'none' })
const RAW: BodySource = Object.freeze({ kind: 'raw' })

/** Decide where the body comes from; cheap, and touches nothing. */
export function bodySource(req: Request, maxBytes: number): BodySource {
  const length = req.headers['content-length']
  const chunked = req.headers['transfer-encoding'] !== undefined
  if (!chunked && (length === undefined || Number(length) === 0)) return NONE
  if (req.readableEnded || (req as { _body?: unknown })._body === true) {
    // consumed before we ran: only the parser's result is left
    const contentType = req.headers['content-type']
    const body = serialise(req.body, contentType)
    if (body === undefined) return { kind: 'unmirrorable', reason: 'request_body_unreadable' }
    if (body.length > maxBytes) return { kind: 'unmirrorable', reason: 'request_body_too_large' }
    return { kind: 'parsed', body }
  }
  if (length !== undefined && Number(length) > maxBytes)
    return { kind: 'unmirrorable', reason: 'request_body_too_large' }
  return RAW
}

/**
 * Start collecting the body from `source` (for `raw`, from now on, as the app reads it). The
 * promise settles when the body is complete; a raw body that ends over `maxBytes` or is cut off
 * rejects with a {@link RequestBodyError}.
 */
export function collectBody(req: Request, source: BodySource, maxBytes: number): Promise<MirroredBody> {
  if (source.kind !== 'raw') return Promise.resolve(knownBody(source))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let bytes = 0
    let done = false
    const emit = req.emit
    const finish = (outcome: () => void) => {
      if (done) return
      done = true
      req.emit = emit // back to the original: later events pay nothing
      outcome()
    }
    req.emit = function (this: Request, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'data' && !done) {
        const chunk = args[0]
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer)
        bytes += buffer.length
        if (bytes > maxBytes)
          finish(() => reject(new RequestBodyError(`request body over maxBodyBytes (${maxBytes} bytes)`)))
        else chunks.push(buffer)
      } else if (event === 'end')
        finish(() => resolve({ body: Buffer.concat(chunks, bytes), dropHeaders: [] }))
      else if (event === 'close' || event === 'aborted' || event === 'error')
        finish(() => reject(new RequestBodyError('the request body was cut off before it ended')))
      return emit.call(this, event, ...args)
    } as Request['emit']
  })
}

const NO_BODY: MirroredBody = Object.freeze({ body: undefined, dropHeaders: Object.freeze([]) })
const REBUILT = Object.freeze(['content-encoding'])

/** The body of a source that needs no reading: none, or `req.body` re-serialised (no longer encoded). */
export function knownBody(source: BodySource): MirroredBody {
  return source.kind === 'parsed' ? { body: source.body, dropHeaders: REBUILT } : NO_BODY
}

/** `req.body` as bytes of its content type, or `undefined` when it cannot be rebuilt faithfully. */
function serialise(body: unknown, contentType: string | undefined): Buffer | undefined {
  if (Buffer.isBuffer(body)) return body
  if (typeof body === 'string') return Buffer.from(body)
  if (body === undefined || body === null || contentType === undefined) return undefined
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? ''
  if (type === 'application/json' || type.endsWith('+json')) return Buffer.from(JSON.stringify(body))
  if (type === 'application/x-www-form-urlencoded' && typeof body === 'object')
    return Buffer.from(formEncode(body as Record<string, unknown>))
  return undefined
}

/**
 * URL-encode a parsed form as both of Express's parsers read it back: a list of plain values as
 * the key repeated (`a=1&a=2`), anything nested in bracket notation (`a[b]=1`, as `qs` writes it).
 */
export function formEncode(form: Record<string, unknown>): string {
  const pairs: string[] = []
  const pair = (key: string, value: unknown) =>
    pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(value === null ? '' : String(value))}`)
  const add = (key: string, value: unknown) => {
    if (value === undefined) return
    if (Array.isArray(value) && value.every((item) => item === null || typeof item !== 'object')) {
      for (const item of value) pair(key, item)
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) add(`${key}[${k}]`, v)
    } else pair(key, value)
  }
  for (const [key, value] of Object.entries(form)) add(key, value)
  return pairs.join('&')
}
