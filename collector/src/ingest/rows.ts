import type { Attributes, AttributeValue, Span, SpanLink } from '../otlp/model.js'
import type { OtelTraceRow } from '../store/spans.js'

// The exporter's spellings (pdata's SpanKind/StatusCode String()).
const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer']
const STATUS_CODES = ['Unset', 'Ok', 'Error']

export interface RowContext {
  resource: Attributes
  serviceName: string
  scope: { name: string; version: string }
}

/** Build the `otel_traces` row of one span. */
export function toOtelTraceRow(span: Span, context: RowContext): OtelTraceRow {
  return {
    Timestamp: nanosToIso(span.startTimeUnixNano),
    TraceId: span.traceId,
    SpanId: span.spanId,
    ParentSpanId: span.parentSpanId,
    TraceState: span.traceState,
    SpanName: span.name,
    SpanKind: SPAN_KINDS[span.kind] ?? 'Unspecified',
    ServiceName: context.serviceName,
    ResourceAttributes: stringMap(context.resource),
    ScopeName: context.scope.name,
    ScopeVersion: context.scope.version,
    SpanAttributes: stringMap(span.attributes),
    Duration: (span.endTimeUnixNano - span.startTimeUnixNano).toString(),
    StatusCode: STATUS_CODES[span.status.code] ?? 'Unset',
    StatusMessage: span.status.message,
    'Events.Timestamp': span.events.map((e) => nanosToIso(e.timeUnixNano)),
    'Events.Name': span.events.map((e) => e.name),
    'Events.Attributes': span.events.map((e) => stringMap(e.attributes)),
    'Links.TraceId': span.links.map((l: SpanLink) => l.traceId),
    'Links.SpanId': span.links.map((l) => l.spanId),
    'Links.TraceState': span.links.map((l) => l.traceState),
    'Links.Attributes': span.links.map((l) => stringMap(l.attributes)),
  }
}

/** Nanoseconds since the epoch as an ISO-8601 UTC string with nanosecond precision. */
export function nanosToIso(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n
  const fraction = (nanos % 1_000_000_000n).toString().padStart(9, '0')
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`
}

/** Attributes as the exporter stores them: strings as they are, everything else as text (arrays and maps as JSON). */
export function stringMap(attributes: Attributes): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key in attributes) out[key] = attributeText(attributes[key] as AttributeValue)
  return out
}

export function attributeText(value: AttributeValue): string {
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
