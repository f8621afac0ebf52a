import type { BatchToInsert } from '../ingest/pipeline.js'
import type { InsertOptions, Store } from './client.js'

/**
 * The columns of `otel_traces` (the OpenTelemetry Collector ClickHouse exporter's layout), in the
 * order of the values of every RowBinary row ingest writes (collector/src/ingest/rows.ts).
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
 * How a batch of span rows is encoded. Ingest writes RowBinary (each span's values in
 * {@link OTEL_TRACE_COLUMNS} order): ClickHouse parses it with about a third less CPU than JSON
 * lines (docs/decisions/0003-spool-and-batching.md). JSONCompactEachRow (one JSON array per span, in
 * the same order) and JSONEachRow are what earlier builds spooled; such batches are still replayed
 * as they are.
 */
export type SpanRowFormat = NonNullable<InsertOptions['format']>

/** Insert a batch of `otel_traces` rows; materialized views derive runs and rollups. */
export function insertSpanBatch(
  store: Store,
  body: Buffer,
  token: string,
  format: SpanRowFormat = 'RowBinary',
): Promise<void> {
  return store.insertLines(`${store.database}.otel_traces`, body, insertOptions(token, format))
}

/**
 * Insert a batch from the spool. The embedded engine reads RowBinary spool files itself (nothing is
 * read into Node for the insert); a server, or rows in a format earlier builds spooled, get the body.
 */
export async function insertSpoolBatch(store: Store, batch: BatchToInsert): Promise<void> {
  const table = `${store.database}.otel_traces`
  const options = insertOptions(batch.token, batch.format)
  if (store.insertFiles && batch.format === 'RowBinary') await store.insertFiles(table, batch.files, options)
  else await store.insertLines(table, await batch.read(), options)
}

const insertOptions = (token: string, format: SpanRowFormat): InsertOptions => ({
  token,
  format,
  columns: format === 'JSONEachRow' ? undefined : OTEL_TRACE_COLUMNS,
})
