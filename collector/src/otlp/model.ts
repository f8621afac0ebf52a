/**
 * The decoded form of an OTLP trace export, shared by the protobuf and JSON decoders.
 * Ids are lower-case hex; times are nanoseconds since the epoch as bigint (they exceed 2^53).
 */

/** An attribute value, as OTLP's `AnyValue`. Bytes arrive as Uint8Array. */
export type AttributeValue =
  | string
  | boolean
  | number
  | bigint
  | Uint8Array
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue }

export type Attributes = Record<string, AttributeValue>

export interface SpanLink {
  traceId: string
  spanId: string
  traceState: string
  attributes: Attributes
}

export interface SpanEvent {
  timeUnixNano: bigint
  name: string
  attributes: Attributes
}

/** OTLP `Status.code`: 0 unset, 1 ok, 2 error. */
export type StatusCode = 0 | 1 | 2

export interface Span {
  /** Lower-case hex, as both decoders give it ('' when absent); so are the other ids. */
  traceId: string
  spanId: string
  parentSpanId: string
  traceState: string
  name: string
  /** OTLP `SpanKind`: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number
  startTimeUnixNano: bigint
  endTimeUnixNano: bigint
  attributes: Attributes
  events: SpanEvent[]
  links: SpanLink[]
  status: { code: StatusCode; message: string }
}

export interface ScopeSpans {
  scope: { name: string; version: string }
  spans: Span[]
}

export interface ResourceSpans {
  resource: Attributes
  scopeSpans: ScopeSpans[]
}

/** A decoded `ExportTraceServiceRequest`. */
export interface TraceExport {
  resourceSpans: ResourceSpans[]
}

/**
 * How deeply attribute values (arrays and key-value lists) may nest. Deeper ones fail the request
 * with a decode error instead of exhausting the decoder's stack.
 */
export const MAX_VALUE_DEPTH = 32

/**
 * Set an attribute. A key named `__proto__` is stored as an attribute like any other, instead of
 * replacing the object's prototype (where it would be lost, or would lend the object its keys).
 */
export function setAttribute(into: Attributes, key: string, value: AttributeValue): void {
  if (key === '__proto__')
    Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true })
  else into[key] = value
}

/** Raised for bodies that cannot be decoded at all (the receiver answers 400). */
export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError'
}

export function emptySpan(): Span {
  return {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: {},
    events: [],
    links: [],
    status: { code: 0, message: '' },
  }
}

/** Count the spans in an export. */
export function countSpans(request: TraceExport): number {
  let count = 0
  for (const resource of request.resourceSpans)
    for (const scope of resource.scopeSpans) count += scope.spans.length
  return count
}
