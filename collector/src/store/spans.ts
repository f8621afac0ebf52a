import type { InsertOptions, Store } from './client.js'

/**
 * The columns of `otel_traces` (the OpenTelemetry Collector ClickHouse exporter's layout), in the
 * order of the values on every JSONCompactEachRow line ingest writes (collector/src/ingest/rows.ts).
 */
export const OTEL_TRACE_COLUMNS = [
  'Timestamp',
  'TraceId',
  'SpanId',
  'ParentSpanId',
  'TraceState',
  'SpanName',
  'SpanKind',
  'ServiceName',
  'ResourceAttributes',
  'ScopeName',
  'ScopeVersion',
  'SpanAttributes',
  'Duration',
  'StatusCode',
  'StatusMessage',
  'Events.Timestamp',
  'Events.Name',
  'Events.Attributes',
  'Links.TraceId',
  'Links.SpanId',
  'Links.TraceState',
  'Links.Attributes',
] as const

/**
 * How a batch of span rows is encoded. Ingest writes JSONCompactEachRow (one JSON array per span, in
 * {@link OTEL_TRACE_COLUMNS} order): ClickHouse parses it about 10% faster than JSONEachRow and it is
 * a third smaller (docs/decisions/0003-spool-and-batching.md). JSONEachRow is what earlier builds
 * spooled; such batches are still replayed as they are.
 */
export type SpanRowFormat = NonNullable<InsertOptions['format']>

/** Insert a batch of `otel_traces` rows (JSON lines); materialized views derive runs and rollups. */
export function insertSpanBatch(
  store: Store,
  body: Buffer,
  token: string,
  format: SpanRowFormat = 'JSONCompactEachRow',
): Promise<void> {
  return store.insertLines(`${store.database}.otel_traces`, body, {
    token,
    format,
    columns: format === 'JSONCompactEachRow' ? OTEL_TRACE_COLUMNS : undefined,
  })
}
