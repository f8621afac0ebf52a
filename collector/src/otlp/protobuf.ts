import {
  type Attributes,
  type AttributeValue,
  emptySpan,
  MAX_VALUE_DEPTH,
  OtlpDecodeError,
  type ResourceSpans,
  type ScopeSpans,
  type Span,
  type SpanEvent,
  type SpanLink,
  type StatusCode,
  setAttribute,
  type TraceExport,
} from './model.js'
import { FIXED64, LENGTH_DELIMITED, ProtoReader, VARINT } from './protobuf-reader.js'

// Field numbers from opentelemetry-proto (collector/trace/v1, trace/v1, common/v1, resource/v1).
// Decoding by hand, not by a generated schema: see docs/decisions/0002-protobuf-decoding.md.

/** Decode an `ExportTraceServiceRequest` protobuf body. */
export function decodeTraceExportProto(body: Uint8Array): TraceExport {
  const reader = new ProtoReader(body)
  const resourceSpans: ResourceSpans[] = []
  while (!reader.done()) {
    const tag = reader.tag()
    const field = tag >>> 3
    const wire = tag & 7
    if (field === 1 && wire === LENGTH_DELIMITED) resourceSpans.push(readResourceSpans(reader.message()))
    else reader.skip(wire)
  }
  return { resourceSpans }
}

function readResourceSpans(reader: ProtoReader): ResourceSpans {
  let resource: Attributes = {}
  const scopeSpans: ScopeSpans[] = []
  while (!reader.done()) {
    const tag = reader.tag()
    const field = tag >>> 3
    const wire = tag & 7
    if (field === 1 && wire === LENGTH_DELIMITED) resource = readResource(reader.message())
    else if (field === 2 && wire === LENGTH_DELIMITED) scopeSpans.push(readScopeSpans(reader.message()))
    else reader.skip(wire)
  }
  return { resource, scopeSpans }
}

function readResource(reader: ProtoReader): Attributes {
  const attributes: Attributes = {}
  while (!reader.done()) {
    const tag = reader.tag()
    const field = tag >>> 3
    const wire = tag & 7
    if (field === 1 && wire === LENGTH_DELIMITED) readKeyValue(reader, attributes)
    else reader.skip(wire)
  }
  return attributes
}

function readScopeSpans(reader: ProtoReader): ScopeSpans {
  const scope = { name: '', version: '' }
  const spans: Span[] = []
  while (!reader.done()) {
    const tag = reader.tag()
    const field = tag >>> 3
    const wire = tag & 7
    if (field === 1 && wire === LENGTH_DELIMITED) {
      const scopeReader = reader.message()
      while (!scopeReader.done()) {
        const itemTag = scopeReader.tag()
        const f = itemTag >>> 3
        const w = itemTag & 7
        if (f === 1 && w === LENGTH_DELIMITED) scope.name = scopeReader.string()
        else if (f === 2 && w === LENGTH_DELIMITED) scope.version = scopeReader.string()
        else scopeReader.skip(w)
      }
    } else if (field === 2 && wire === LENGTH_DELIMITED) spans.push(readSpan(reader.message()))
    else reader.skip(wire)
  }
  return { scope, spans }
}

function readSpan(reader: ProtoReader): Span {
  const span = emptySpan()
  while (!reader.done()) {
    const tag = reader.tag()
    const field = tag >>> 3
    const wire = tag & 7
    const expected = SPAN_FIELD_WIRE[field]
    if (expected === undefined) {
      reader.skip(wire) // unknown or unused field (flags, dropped counts)
      continue
    }
    if (wire !== expected)
      throw new OtlpDecodeError(`Span field ${field} has wire type ${wire}, expected ${expected}`)
    switch (field) {
      case 1:
        span.traceId = reader.hex()
        break
      case 2:
        span.spanId = reader.hex()
        break
      case 3:
        span.traceState = reader.string()
        break
      case 4:
        span.parentSpanId = reader.hex()
        break
      case 5:
        span.name = reader.string()
        break
      case 6:
        span.kind = reader.varint32()
        break
      case 7:
        span.startTimeUnixNano = reader.fixed64()
        break
      case 8:
        span.endTimeUnixNano = reader.fixed64()
        break
      case 9:
        readKeyValue(reader, span.attributes)
        break
      case 11:
        span.events.push(readEvent(reader.message()))
        break
      case 13:
        span.links.push(readLink(reader.message()))
        break
      case 15:
        span.status = readStatus(reader.message())
        break
    }
  }
  return span
}

/** Wire type of each `Span` field this decoder reads. */
const SPAN_FIELD_WIRE: Record<number, number> = {
  1: LENGTH_DELIMITED,
  2: LENGTH_DELIMITED,
  3: LENGTH_DELIMITED,
  4: LENGTH_DELIMITED,
  5: LENGTH_DELIMITED,
  6: VARINT,
  7: FIXED64,
  8: FIXED64,
  9: LENGTH_DELIMITED,
  11: LENGTH_DELIMITED,
  13: LENGTH_DELIMITED,
  15: LENGTH_DELIMITED,
}

function readEvent(reader: ProtoReader): SpanEvent {
  const event: SpanEvent = { timeUnixNano: 0n, name: '', attributes: {} }
  while (!reader.done()) {
    const tag = reader.tag()
    const field = tag >>> 3
    const wire = tag & 7
    if (field === 1 && wire === FIXED64) event.timeUnixNano = reader.fixed64()
    else if (field === 2 && wire === LENGTH_DELIMITED) event.name = reader.string()
    else if (field === 3 && wire === LENGTH_DELIMITED) readKeyValue(reader, event.attributes)
    else reader.skip(wire)
  }
  return event
}

function readLink(reader: ProtoReader): SpanLink {
  const link: SpanLink = { traceId: '', spanId: '', traceState: '', attributes: {} }
  while (!reader.done()) {
    const tag = reader.tag()
    const field = tag >>> 3
    const wire = tag & 7
    if (field === 1 && wire === LENGTH_DELIMITED) link.traceId = reader.hex()
    else if (field === 2 && wire === LENGTH_DELIMITED) link.spanId = reader.hex()
    else if (field === 3 && wire === LENGTH_DELIMITED) link.traceState = reader.string()
    else if (field === 4 && wire === LENGTH_DELIMITED) readKeyValue(reader, link.attributes)
    else reader.skip(wire)
  }
  return link
}

function readStatus(reader: ProtoReader): { code: StatusCode; message: string } {
  const status: { code: StatusCode; message: string } = { code: 0, message: '' }
  while (!reader.done()) {
    const tag = reader.tag()
    const field = tag >>> 3
    const wire = tag & 7
    if (field === 2 && wire === LENGTH_DELIMITED) status.message = reader.string()
    else if (field === 3 && wire === VARINT) {
      const code = reader.varint32()
      status.code = code === 1 || code === 2 ? code : 0
    } else reader.skip(wire)
  }
  return status
}

/** Read the `KeyValue` message the reader is at into `into`. */
function readKeyValue(reader: ProtoReader, into: Record<string, AttributeValue>, depth = 0): void {
  const outer = reader.enter()
  let key = ''
  let value: AttributeValue = null
  while (!reader.done()) {
    const tag = reader.tag()
    const field = tag >>> 3
    const wire = tag & 7
    if (field === 1 && wire === LENGTH_DELIMITED) key = reader.key()
    else if (field === 2 && wire === LENGTH_DELIMITED) value = readAnyValue(reader, depth)
    else reader.skip(wire)
  }
  reader.leave(outer)
  setAttribute(into, key, value)
}

/** Read the `AnyValue` message the reader is at. */
function readAnyValue(reader: ProtoReader, depth: number): AttributeValue {
  if (depth > MAX_VALUE_DEPTH)
    throw new OtlpDecodeError(`attribute values nest deeper than ${MAX_VALUE_DEPTH} levels`)
  const outer = reader.enter()
  let value: AttributeValue = null
  while (!reader.done()) {
    const tag = reader.tag()
    const field = tag >>> 3
    const wire = tag & 7
    if (field === 1 && wire === LENGTH_DELIMITED) value = reader.string()
    else if (field === 2 && wire === VARINT) value = reader.bool()
    else if (field === 3 && wire === VARINT) value = reader.int64()
    else if (field === 4 && wire === FIXED64) value = reader.double()
    else if (field === 5 && wire === LENGTH_DELIMITED) {
      const array: AttributeValue[] = []
      const arrayReader = reader.message()
      while (!arrayReader.done()) {
        const itemTag = arrayReader.tag()
        const f = itemTag >>> 3
        const w = itemTag & 7
        if (f === 1 && w === LENGTH_DELIMITED) array.push(readAnyValue(arrayReader, depth + 1))
        else arrayReader.skip(w)
      }
      value = array
    } else if (field === 6 && wire === LENGTH_DELIMITED) {
      const kvlist: Record<string, AttributeValue> = {}
      const listReader = reader.message()
      while (!listReader.done()) {
        const itemTag = listReader.tag()
        const f = itemTag >>> 3
        const w = itemTag & 7
        if (f === 1 && w === LENGTH_DELIMITED) readKeyValue(listReader, kvlist, depth + 1)
        else listReader.skip(w)
      }
      value = kvlist
    } else if (field === 7 && wire === LENGTH_DELIMITED) value = reader.bytes().slice()
    else reader.skip(wire)
  }
  reader.leave(outer)
  return value
}

/** int64 as a number when it is exact, as bigint otherwise. */
export function narrowInt(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value
}

// ---- encoding of the receiver's replies ----

class ProtoWriter {
  private readonly chunks: number[] = []
  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value))
    while (v >= 0x80n) {
      this.chunks.push(Number(v & 0x7fn) | 0x80)
      v >>= 7n
    }
    this.chunks.push(Number(v))
    return this
  }
  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire)
  }
  bytes(field: number, payload: Uint8Array): this {
    this.tag(field, LENGTH_DELIMITED).varint(payload.length)
    for (const byte of payload) this.chunks.push(byte)
    return this
  }
  string(field: number, text: string): this {
    return this.bytes(field, Buffer.from(text, 'utf8'))
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.chunks)
  }
}

/** Encode an `ExportTraceServiceResponse`; an empty message when nothing was rejected. */
export function encodeTraceExportResponseProto(rejectedSpans: number, errorMessage: string): Uint8Array {
  if (rejectedSpans === 0 && errorMessage === '') return new Uint8Array(0)
  const partial = new ProtoWriter()
  if (rejectedSpans !== 0) partial.tag(1, VARINT).varint(rejectedSpans)
  if (errorMessage !== '') partial.string(2, errorMessage)
  return new ProtoWriter().bytes(1, partial.finish()).finish()
}

/** Encode a `google.rpc.Status` (the body of OTLP error responses). */
export function encodeStatusProto(code: number, message: string): Uint8Array {
  const writer = new ProtoWriter()
  if (code !== 0) writer.tag(1, VARINT).varint(code)
  if (message !== '') writer.string(2, message)
  return writer.finish()
}
