import {
  type Attributes,
  type AttributeValue,
  type Span,
  type SpanLink,
  setAttribute,
} from '../otlp/model.js'

const json = JSON.stringify
const MAX_NANOS = 2n ** 63n - 1n

// The exporter's spellings (pdata's SpanKind/StatusCode String()).
const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer']
const STATUS_CODES = ['Unset', 'Ok', 'Error']

/**
 * What every span of one resource and scope shares, already as JSON values: serialised once per
 * resource and scope, not once per span (the resource attributes are most of a row's bytes).
 */
export interface LineContext {
  /** ServiceName and ResourceAttributes: {@link resourceValues}. */
  readonly resource: string
  /** ScopeName and ScopeVersion: {@link scopeValues}. */
  readonly scope: string
}

/** The ServiceName (`service.name`, or empty) and ResourceAttributes values of a resource's rows. */
export function resourceValues(resource: Attributes): string {
  const serviceName = resource['service.name']
  return `${json(typeof serviceName === 'string' ? serviceName : '')},${json(stringMap(resource))}`
}

export function scopeValues(scope: { name: string; version: string }): string {
  return `${json(scope.name)},${json(scope.version)}`
}

/**
 * Rows as JSONCompactEachRow text, collected into one request body. Every {@link CHUNK_ROWS} rows
 * are encoded to bytes as they come: a row's text is a tree of string pieces until then, and a
 * whole request's trees alive at once were most of what each young-generation GC had to copy.
 */
export class RowsBody {
  private readonly chunks: Buffer[] = []
  private lines: string[] = []
  rows = 0

  add(line: string): void {
    this.lines.push(line)
    this.rows++
    if (this.lines.length === CHUNK_ROWS) this.encode()
  }

  /** The rows as one buffer, or undefined when there are none. */
  finish(): Buffer | undefined {
    if (this.lines.length > 0) this.encode()
    return this.chunks.length <= 1 ? this.chunks[0] : Buffer.concat(this.chunks)
  }

  private encode(): void {
    this.chunks.push(Buffer.from(`${this.lines.join('\n')}\n`))
    this.lines = []
  }
}

const CHUNK_ROWS = 64

/**
 * The `otel_traces` row of one span as a JSONCompactEachRow line: a JSON array in the order of
 * `OTEL_TRACE_COLUMNS` (collector/src/store/spans.ts), built as text because this runs for every
 * span received.
 */
export function otelTraceLine(span: Span, context: LineContext): string {
  const duration =
    span.endTimeUnixNano > span.startTimeUnixNano ? span.endTimeUnixNano - span.startTimeUnixNano : 0n
  // Ids are lower-case hex (see Span), so they are quoted as they are, without JSON escaping.
  let line = `[${nanosText(span.startTimeUnixNano)},"${span.traceId}","${span.spanId}","${span.parentSpanId}",${text(span.traceState)},${text(span.name)},"${SPAN_KINDS[span.kind] ?? 'Unspecified'}",${context.resource},${context.scope},${mapText(span.attributes)},${duration},"${STATUS_CODES[span.status.code] ?? 'Unset'}",${text(span.status.message)},`
  const { events, links } = span
  if (events.length === 0) line += '[],[],[],'
  else {
    line += `[${events.map((e) => nanosText(e.timeUnixNano)).join(',')}],`
    line += `${json(events.map((e) => e.name))},[${events.map((e) => mapText(e.attributes)).join(',')}],`
  }
  if (links.length === 0) line += '[],[],[],[]]'
  else {
    let traceIds = ''
    let spanIds = ''
    let states = ''
    let attributes = ''
    for (let i = 0; i < links.length; i++) {
      const link = links[i] as SpanLink
      const comma = i === 0 ? '' : ','
      traceIds += `${comma}"${link.traceId}"`
      spanIds += `${comma}"${link.spanId}"`
      states += comma + text(link.traceState)
      attributes += comma + mapText(link.attributes)
    }
    line += `[${traceIds}],[${spanIds}],[${states}],[${attributes}]]`
  }
  return line
}

/** A string as JSON; the empty string, which most optional fields are, without a call. */
const text = (value: string) => (value === '' ? '""' : json(value))

/**
 * Nanoseconds since the epoch as a quoted `"<seconds>.<nanoseconds>"`, which ClickHouse reads into
 * DateTime64(9) exactly (cheaper to build than an ISO-8601 string).
 */
export function nanosText(time: bigint): string {
  // DateTime64(9) holds an Int64 of nanoseconds; a time outside it would fail the whole batch.
  const nanos = time < 0n ? 0n : time > MAX_NANOS ? MAX_NANOS : time
  // Split the decimal digits rather than divide: BigInt arithmetic allocates on every step.
  const digits = nanos.toString()
  if (digits.length <= 9) return `"0.${digits.padStart(9, '0')}"`
  return `"${digits.slice(0, -9)}.${digits.slice(-9)}"`
}

/** {@link stringMap} as JSON; attributes that are all strings already are serialised as they are. */
function mapText(attributes: Attributes): string {
  for (const key in attributes) if (typeof attributes[key] !== 'string') return json(stringMap(attributes))
  return json(attributes)
}

/** Attributes as the exporter stores them: strings as they are, everything else as text (arrays and maps as JSON). */
export function stringMap(attributes: Attributes): Record<string, string> {
  const out: Record<string, string> = {}
  for (const key of Object.keys(attributes))
    setAttribute(out, key, attributeText(attributes[key] as AttributeValue))
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
