/**
 * Reading one HTTP/1.1 response off a connection, as its bytes arrive: the status line and
 * headers, then the body framed by `Content-Length`, chunked transfer coding or the end of the
 * connection (RFC 9112 §6). Interim 1xx responses are skipped. Anything that is not HTTP as
 * RFC 9112 writes it throws a {@link ResponseFormatError}, and the run records a `shadow_error`.
 *
 * Small on purpose: the mirror sends one request at a time per connection and reads the answer
 * whole, so no pipelining, no upgrades and no streaming to a consumer are needed.
 */
import { BoundedBody } from './response.js'

/** What the candidate sent is not an HTTP/1.x response (or breaks its own framing). */
export class ResponseFormatError extends Error {
  override readonly name = 'ResponseFormatError'
}

/** Bound on a response head (status line and headers) and on a chunked body's trailers. */
const MAX_HEAD_BYTES = 64 * 1024
const CRLF = 0x0a0d // '\r\n' read as a little-endian uint16
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: [^\r\n]*)?$/
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const HEX = /^[0-9a-fA-F]{1,15}$/

enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  Done,
}

/** Reads one response; feed it every chunk the connection delivers. */
export class ResponseReader {
  status = 0
  /** Lower-case names; a repeated header joined with `, `, except `set-cookie` (a list). */
  headers: Record<string, string | string[]> = {}
  /** The connection may carry another request once this response is read. */
  reusable = true
  readonly body: BoundedBody
  private state = State.Head
  /** Bytes of a head or a chunk-size line not complete yet. */
  private pending: Buffer | undefined
  private remaining = 0

  /** `bodyless`: the request was HEAD, so no body follows whatever the headers say. */
  constructor(
    private readonly bodyless: boolean,
    maxBodyBytes: number,
  ) {
    this.body = new BoundedBody(maxBodyBytes)
  }

  /** True once the response has been read whole. */
  get done(): boolean {
    return this.state === State.Done
  }

  /** True once some byte of a response arrived. */
  get started(): boolean {
    return this.state !== State.Head || this.pending !== undefined
  }

  /** Read `chunk`; true once the response is complete. Bytes past its end make the connection unusable. */
  read(chunk: Buffer): boolean {
    const data = this.pending === undefined ? chunk : Buffer.concat([this.pending, chunk])
    this.pending = undefined
    let at = 0
    while (at < data.length && this.state !== State.Done) {
      switch (this.state) {
        case State.Head:
        case State.Trailers: {
          const end = data.indexOf('\r\n\r\n', at, 'latin1')
          // trailers may be none at all: the empty line follows the last chunk's size line
          if (this.state === State.Trailers && data.length - at >= 2 && data.readUInt16LE(at) === CRLF) {
            this.state = State.Done
            at += 2
            break
          }
          if (end === -1) return this.keep(data, at)
          if (this.state === State.Head) this.readHead(data.toString('latin1', at, end))
          else this.state = State.Done
          at = end + 4
          break
        }
        case State.Length:
        case State.ChunkData: {
          const take = Math.min(this.remaining, data.length - at)
          this.body.add(at === 0 && take === data.length ? data : data.subarray(at, at + take))
          at += take
          this.remaining -= take
          if (this.remaining === 0) this.state = this.state === State.Length ? State.Done : State.ChunkEnd
          break
        }
        case State.ChunkEnd:
          if (data.length - at < 2) return this.keep(data, at)
          if (data.readUInt16LE(at) !== CRLF) throw new ResponseFormatError('a chunk does not end with CRLF')
          at += 2
          this.state = State.ChunkSize
          break
        case State.ChunkSize: {
          const end = data.indexOf('\r\n', at, 'latin1')
          if (end === -1) return this.keep(data, at)
          const line = data.toString('latin1', at, end)
          const size = line.split(';', 1)[0]?.trim() ?? ''
          if (!HEX.test(size)) throw new ResponseFormatError(`bad chunk size '${line.slice(0, 40)}'`)
          this.remaining = Number.parseInt(size, 16)
          this.state = this.remaining === 0 ? State.Trailers : State.ChunkData
          at = end + 2
          break
        }
        case State.UntilClose:
          this.body.add(at === 0 ? data : data.subarray(at))
          at = data.length
          break
      }
    }
    if (at < data.length) this.reusable = false // more than one answer to one request
    return this.state === State.Done
  }

  /** The connection ended: true when that completes the response (a body read until close). */
  end(): boolean {
    if (this.state === State.UntilClose) this.state = State.Done
    return this.state === State.Done
  }

  private keep(data: Buffer, at: number): false {
    const rest = at === 0 ? data : data.subarray(at)
    if (this.state !== State.ChunkData && rest.length > MAX_HEAD_BYTES)
      throw new ResponseFormatError(`no end of the response head within ${MAX_HEAD_BYTES} bytes`)
    this.pending = rest
    return false
  }

  private readHead(text: string): void {
    // line by line with indexOf: no array of lines per response
    const first = text.indexOf('\r\n')
    const statusEnd = first === -1 ? text.length : first
    const match = STATUS_LINE.exec(text.slice(0, statusEnd))
    if (match === null)
      throw new ResponseFormatError(`not an HTTP/1.x status line: '${preview(text.slice(0, statusEnd))}'`)
    const status = Number(match[2])
    const headers: Record<string, string | string[]> = {}
    for (let start = statusEnd + 2; start <= text.length; ) {
      const found = text.indexOf('\r\n', start)
      const stop = found === -1 ? text.length : found
      const colon = text.indexOf(':', start)
      const name = colon > start && colon < stop ? text.slice(start, colon).toLowerCase() : ''
      if (!TOKEN.test(name))
        throw new ResponseFormatError(`not a header line: '${preview(text.slice(start, stop))}'`)
      const value = text.slice(colon + 1, stop).trim()
      const earlier = headers[name]
      if (earlier === undefined) headers[name] = name === 'set-cookie' ? [value] : value
      else if (Array.isArray(earlier)) earlier.push(value)
      else headers[name] = `${earlier}, ${value}`
      start = stop + 2
    }
    if (status < 200) {
      // 100 Continue, 103 Early Hints: the answer follows. 101 would switch protocols: not asked for.
      if (status === 101) throw new ResponseFormatError('the candidate switched protocols (101)')
      return
    }
    this.status = status
    this.headers = headers
    const connection = String(headers.connection ?? '').toLowerCase()
    this.reusable = match[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive')
    this.frame(headers)
  }

  /** How the body is delimited (RFC 9112 §6.3). */
  private frame(headers: Record<string, string | string[]>): void {
    if (this.bodyless || this.status === 204 || this.status === 304) {
      this.state = State.Done
      return
    }
    const coding = headers['transfer-encoding']
    if (coding !== undefined) {
      const codings = String(coding).toLowerCase().split(',')
      this.reusable &&= headers['content-length'] === undefined
      if (codings[codings.length - 1]?.trim() === 'chunked') this.state = State.ChunkSize
      else {
        this.state = State.UntilClose
        this.reusable = false
      }
      return
    }
    const length = headers['content-length']
    if (length === undefined) {
      this.state = State.UntilClose
      this.reusable = false
      return
    }
    const values = String(length).split(',')
    const first = values[0]?.trim() ?? ''
    if (!/^\d{1,15}$/.test(first) || values.some((value) => value.trim() !== first))
      throw new ResponseFormatError(`bad content-length '${preview(String(length))}'`)
    this.remaining = Number(first)
    this.state = this.remaining === 0 ? State.Done : State.Length
  }
}

function preview(text: string | undefined): string {
  const value = text ?? ''
  return value.length > 60 ? `${value.slice(0, 59)}…` : value
}
