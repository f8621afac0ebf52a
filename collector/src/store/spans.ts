import type { Store } from './client.js'

/** A row of the `otel_traces` table (the OpenTelemetry Collector ClickHouse exporter's layout), for JSONEachRow. */
export interface OtelTraceRow {
  Timestamp: string
  TraceId: string
  SpanId: string
  ParentSpanId: string
  TraceState: string
  SpanName: string
  SpanKind: string
  ServiceName: string
  ResourceAttributes: Record<string, string>
  ScopeName: string
  ScopeVersion: string
  SpanAttributes: Record<string, string>
  Duration: string
  StatusCode: string
  StatusMessage: string
  'Events.Timestamp': string[]
  'Events.Name': string[]
  'Events.Attributes': Record<string, string>[]
  'Links.TraceId': string[]
  'Links.SpanId': string[]
  'Links.TraceState': string[]
  'Links.Attributes': Record<string, string>[]
}

/** Insert span rows into `otel_traces`; materialized views derive `parallel_runs` inside ClickHouse. */
export async function insertSpanRows(store: Store, rows: OtelTraceRow[]): Promise<void> {
  await store.client.insert({
    table: `\`${store.database}\`.otel_traces`,
    values: rows,
    format: 'JSONEachRow',
  })
}
