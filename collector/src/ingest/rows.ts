import type { Attributes, AttributeValue, Span, SpanEvent, SpanLink } from '../otlp/model.js'

const MAX_NANOS = 2n ** 63n - 1n

// The exporter's spellings (pdata's SpanKind/StatusCode String()).
const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer']
const STATUS_CODES = ['Unset', 'Ok', 'Error']

/**
 * What every span of one resource and scope shares, already as RowBinary bytes: encoded once per
 * resource and scope, not once per span (the resource attributes are a good part of a row's bytes).
 */
export interface RowContext {
  /** ServiceName and ResourceAttributes: {@link resourceValues}. */
  readonly resource: Buffer
  /** ScopeName and ScopeVersion: {@link scopeValues}. */
  readonly scope: Buffer
}

/**
 * Rows in ClickHouse's RowBinary format, in the column order of `OTEL_TRACE_COLUMNS`
 * (collector/src/store/spans.ts): each value as its bytes, strings with a LEB128 length, integers
 * little-endian, Maps and Arrays as a count and their elements. The engine parses it without a JSON
 * tokenizer (about 3 µs less of its CPU per row, docs/decisions/0003-spool-and-batching.md), and
 * writing it makes no string per row in Node.
 *
 * One writer is reused: bytes accumulate in a scratch buffer that only grows, and
 * {@link RowWriter.finish} copies them out. Not reentrant; a request is written synchronously.
 */
export class RowWriter {
  private buf: Buffer
  private pos = 0
  /** Rows written since the last {@link finish}. */
  rows = 0

  constructor(initialBytes = 1 << 18) {
    this.buf = Buffer.allocUnsafe(initialBytes)
  }

  /** What was written so far as one buffer of its own (undefined when nothing was); starts afresh. */
  finish(): Buffer | undefined {
    const body = this.pos === 0 ? undefined : Buffer.from(this.buf.subarray(0, this.pos))
    this.pos = 0
    this.rows = 0
    return body
  }

  /** Drop what was written since the last {@link finish} (a request that failed half-way). */
  reset(): void {
    this.pos = 0
    this.rows = 0
  }

  /** Append the `otel_traces` row of one span. */
  span(span: Span, context: RowContext): void {
    this.nanos(span.startTimeUnixNano)
    this.ascii(span.traceId)
    this.ascii(span.spanId)
    this.ascii(span.parentSpanId)
    this.string(span.traceState)
    this.string(span.name)
    this.ascii(SPAN_KINDS[span.kind] ?? 'Unspecified')
    this.bytes(context.resource)
    this.bytes(context.scope)
    this.map(span.attributes)
    const { startTimeUnixNano: start, endTimeUnixNano: end } = span
    this.uint64(end > start ? end - start : 0n)
    this.ascii(STATUS_CODES[span.status.code] ?? 'Unset')
    this.string(span.status.message)
    this.events(span.events)
    this.links(span.links)
    this.rows++
  }

  private events(events: SpanEvent[]): void {
    const count = events.length
    if (count === 0) {
      this.emptyArrays(3)
      return
    }
    this.varint(count)
    for (const event of events) this.nanos(event.timeUnixNano)
    this.varint(count)
    for (const event of events) this.string(event.name)
    this.varint(count)
    for (const event of events) this.map(event.attributes)
  }

  private links(links: SpanLink[]): void {
    const count = links.length
    if (count === 0) {
      this.emptyArrays(4)
      return
    }
    this.varint(count)
    for (const link of links) this.ascii(link.traceId)
    this.varint(count)
    for (const link of links) this.ascii(link.spanId)
    this.varint(count)
    for (const link of links) this.string(link.traceState)
    this.varint(count)
    for (const link of links) this.map(link.attributes)
  }

  private emptyArrays(count: number): void {
    this.ensure(count)
    this.buf.fill(0, this.pos, this.pos + count)
    this.pos += count
  }

  /** Attributes as the exporter stores them, a Map(String, String): non-strings as text (see {@link attributeText}). */
  map(attributes: Attributes): void {
    let count = 0
    for (const _ in attributes) count++
    this.varint(count)
    for (const key in attributes) {
      this.string(key)
      const value = attributes[key] as AttributeValue
      this.string(typeof value === 'string' ? value : attributeText(value))
    }
  }

  /** Nanoseconds since the epoch as DateTime64(9), an Int64, clamped to what it holds. */
  private nanos(time: bigint): void {
    // A time outside DateTime64(9) would fail the whole batch's insert.
    this.uint64(time < 0n ? 0n : time > MAX_NANOS ? MAX_NANOS : time)
  }

  private uint64(value: bigint): void {
    this.ensure(8)
    // Through a 64-bit array: assigning a bigint to one allocates nothing, unlike shifting it apart.
    word[0] = value
    const buf = this.buf
    const pos = this.pos
    for (let i = 0; i < 8; i++) buf[pos + i] = wordBytes[i] as number
    this.pos = pos + 8
  }

  private varint(value: number): void {
    this.ensure(5)
    let v = value
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80
      v >>>= 7
    }
    this.buf[this.pos++] = v
  }

  private bytes(bytes: Buffer): void {
    this.ensure(bytes.length)
    bytes.copy(this.buf, this.pos)
    this.pos += bytes.length
  }

  /** A string known to be ASCII (ids are lower-case hex, see Span; kind and status names). */
  private ascii(value: string): void {
    const length = value.length
    this.varint(length)
    this.ensure(length)
    const buf = this.buf
    let pos = this.pos
    for (let i = 0; i < length; i++) buf[pos++] = value.charCodeAt(i)
    this.pos = pos
  }

  /**
   * A string as UTF-8 with its byte length. Short ASCII strings (nearly all attribute keys and
   * values) are copied a character at a time, which costs less than a call into the runtime;
   * anything else is written by `Buffer.write`.
   */
  string(value: string): void {
    const length = value.length
    if (length < 128) {
      this.ensure(length + 1)
      const buf = this.buf
      const start = this.pos
      let pos = start + 1
      let i = 0
      for (; i < length; i++) {
        const code = value.charCodeAt(i)
        if (code >= 0x80) break
        buf[pos++] = code
      }
      if (i === length) {
        buf[start] = length
        this.pos = pos
        return
      }
    }
    const bytes = Buffer.byteLength(value)
    this.varint(bytes)
    this.ensure(bytes)
    this.pos += this.buf.write(value, this.pos, bytes, 'utf8')
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes))
    this.buf.copy(grown, 0, 0, this.pos)
    this.buf = grown
  }
}

const word = new BigUint64Array(1)
const wordBytes = new Uint8Array(word.buffer)

/** The ServiceName (`service.name`, or empty) and ResourceAttributes values of a resource's rows. */
export function resourceValues(resource: Attributes): Buffer {
  const serviceName = resource['service.name']
  const writer = new RowWriter(256)
  writer.string(typeof serviceName === 'string' ? serviceName : '')
  writer.map(resource)
  return writer.finish() as Buffer
}

/** The ScopeName and ScopeVersion values of a scope's rows. */
export function scopeValues(scope: { name: string; version: string }): Buffer {
  const writer = new RowWriter(64)
  writer.string(scope.name)
  writer.string(scope.version)
  return writer.finish() as Buffer
}

/** An attribute value as the exporter stores it: strings as they are, everything else as text (arrays and maps as JSON). */
function attributeText(value: AttributeValue): string {
  if (typeof value === 'string') return value
  if (value === null) return ''
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value)
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  return JSON.stringify(value, jsonReplacer)
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString()
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64')
  return value
}
