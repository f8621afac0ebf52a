import {
  type Attributes,
  type AttributeValue,
  emptySpan,
  MAX_VALUE_DEPTH,
  OtlpDecodeError,
  type ResourceSpans,
  type ScopeSpans,
  type Span,
  setAttribute,
  type TraceExport,
} from './model.js'
import { narrowInt } from './protobuf.js'

/**
 * Decode an OTLP/JSON `ExportTraceServiceRequest` (the protobuf JSON mapping with OTLP's quirks):
 * ids are hex strings (any case), enums are integers, 64-bit integers are strings or numbers,
 * unknown fields are ignored. Shape errors throw {@link OtlpDecodeError}.
 */
export function decodeTraceExportJson(body: Uint8Array): TraceExport {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.length).toString('utf8'))
  } catch (error) {
    throw new OtlpDecodeError(`body is not valid JSON: ${(error as Error).message}`)
  }
  const root = object(parsed, 'request')
  return { resourceSpans: list(root.resourceSpans, 'resourceSpans').map(resourceSpans) }
}

type Json = Record<string, unknown>

function object(value: unknown, where: string): Json {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value))
    throw new OtlpDecodeError(`${where} must be an object`)
  return value as Json
}

function list(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw new OtlpDecodeError(`${where} must be an array`)
  return value
}

function text(value: unknown, where: string): string {
  if (value === undefined || value === null) return ''
  if (typeof value !== 'string') throw new OtlpDecodeError(`${where} must be a string`)
  return value
}

function hexId(value: unknown, where: string): string {
  const id = text(value, where)
  if (id !== '' && !/^[0-9a-fA-F]*$/.test(id)) throw new OtlpDecodeError(`${where} must be hex`)
  return id.toLowerCase()
}

function uint64(value: unknown, where: string): bigint {
  if (value === undefined || value === null) return 0n
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return BigInt(value)
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value)
  throw new OtlpDecodeError(`${where} must be an unsigned 64-bit integer, as a number or a decimal string`)
}

function int(value: unknown, where: string): number {
  if (value === undefined || value === null) return 0
  if (typeof value === 'number' && Number.isInteger(value)) return value
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value)
  throw new OtlpDecodeError(`${where} must be an integer`)
}

function resourceSpans(value: unknown, index: number): ResourceSpans {
  const where = `resourceSpans[${index}]`
  const entry = object(value, where)
  const resource = object(entry.resource, `${where}.resource`)
  return {
    resource: attributes(resource.attributes, `${where}.resource.attributes`),
    scopeSpans: list(entry.scopeSpans, `${where}.scopeSpans`).map((scope, i) =>
      scopeSpans(scope, `${where}.scopeSpans[${i}]`),
    ),
  }
}

function scopeSpans(value: unknown, where: string): ScopeSpans {
  const entry = object(value, where)
  const scope = object(entry.scope, `${where}.scope`)
  return {
    scope: {
      name: text(scope.name, `${where}.scope.name`),
      version: text(scope.version, `${where}.scope.version`),
    },
    spans: list(entry.spans, `${where}.spans`).map((span, i) => decodeSpan(span, `${where}.spans[${i}]`)),
  }
}

function decodeSpan(value: unknown, where: string): Span {
  const entry = object(value, where)
  const span = emptySpan()
  span.traceId = hexId(entry.traceId, `${where}.traceId`)
  span.spanId = hexId(entry.spanId, `${where}.spanId`)
  span.parentSpanId = hexId(entry.parentSpanId, `${where}.parentSpanId`)
  span.traceState = text(entry.traceState, `${where}.traceState`)
  span.name = text(entry.name, `${where}.name`)
  span.kind = int(entry.kind, `${where}.kind`)
  span.startTimeUnixNano = uint64(entry.startTimeUnixNano, `${where}.startTimeUnixNano`)
  span.endTimeUnixNano = uint64(entry.endTimeUnixNano, `${where}.endTimeUnixNano`)
  span.attributes = attributes(entry.attributes, `${where}.attributes`)
  span.events = list(entry.events, `${where}.events`).map((event, i) => {
    const e = object(event, `${where}.events[${i}]`)
    return {
      timeUnixNano: uint64(e.timeUnixNano, `${where}.events[${i}].timeUnixNano`),
      name: text(e.name, `${where}.events[${i}].name`),
      attributes: attributes(e.attributes, `${where}.events[${i}].attributes`),
    }
  })
  span.links = list(entry.links, `${where}.links`).map((link, i) => {
    const l = object(link, `${where}.links[${i}]`)
    return {
      traceId: hexId(l.traceId, `${where}.links[${i}].traceId`),
      spanId: hexId(l.spanId, `${where}.links[${i}].spanId`),
      traceState: text(l.traceState, `${where}.links[${i}].traceState`),
      attributes: attributes(l.attributes, `${where}.links[${i}].attributes`),
    }
  })
  const status = object(entry.status, `${where}.status`)
  const code = int(status.code, `${where}.status.code`)
  span.status = {
    code: code === 1 || code === 2 ? code : 0,
    message: text(status.message, `${where}.status.message`),
  }
  return span
}

function attributes(value: unknown, where: string, depth = 0): Attributes {
  const out: Attributes = {}
  list(value, where).forEach((kv, i) => {
    const entry = object(kv, `${where}[${i}]`)
    setAttribute(
      out,
      text(entry.key, `${where}[${i}].key`),
      anyValue(entry.value, `${where}[${i}].value`, depth),
    )
  })
  return out
}

function anyValue(value: unknown, where: string, depth: number): AttributeValue {
  if (depth > MAX_VALUE_DEPTH)
    throw new OtlpDecodeError(`${where} nests deeper than ${MAX_VALUE_DEPTH} levels`)
  const v = object(value, where)
  if (v.stringValue !== undefined) return text(v.stringValue, `${where}.stringValue`)
  if (v.boolValue !== undefined) {
    if (typeof v.boolValue !== 'boolean') throw new OtlpDecodeError(`${where}.boolValue must be a boolean`)
    return v.boolValue
  }
  if (v.intValue !== undefined) {
    const raw = v.intValue
    if (typeof raw === 'number' && Number.isInteger(raw)) return raw
    if (typeof raw === 'string' && /^-?\d+$/.test(raw)) return narrowInt(BigInt.asIntN(64, BigInt(raw)))
    throw new OtlpDecodeError(`${where}.intValue must be an integer, as a number or a decimal string`)
  }
  if (v.doubleValue !== undefined) {
    const raw = v.doubleValue
    if (typeof raw === 'number') return raw
    if (raw === 'NaN' || raw === 'Infinity' || raw === '-Infinity') return Number(raw)
    throw new OtlpDecodeError(`${where}.doubleValue must be a number`)
  }
  if (v.arrayValue !== undefined) {
    const array = object(v.arrayValue, `${where}.arrayValue`)
    return list(array.values, `${where}.arrayValue.values`).map((item, i) =>
      anyValue(item, `${where}.arrayValue.values[${i}]`, depth + 1),
    )
  }
  if (v.kvlistValue !== undefined) {
    const kvlist = object(v.kvlistValue, `${where}.kvlistValue`)
    return attributes(kvlist.values, `${where}.kvlistValue.values`, depth + 1)
  }
  if (v.bytesValue !== undefined) return Buffer.from(text(v.bytesValue, `${where}.bytesValue`), 'base64')
  return null
}

/** Encode an `ExportTraceServiceResponse` in OTLP/JSON. */
export function encodeTraceExportResponseJson(rejectedSpans: number, errorMessage: string): string {
  if (rejectedSpans === 0 && errorMessage === '') return '{}'
  return JSON.stringify({ partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage } })
}

/** Encode a `google.rpc.Status` in JSON. */
export function encodeStatusJson(code: number, message: string): string {
  return JSON.stringify({ code, message, details: [] })
}
