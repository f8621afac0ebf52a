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

/** Insert a batch of `otel_traces` rows (JSON lines); materialized views derive runs and rollups. */
export function insertSpanBatch(store: Store, body: Buffer, token: string): Promise<void> {
  return store.insertJsonLines(`${store.database}.otel_traces`, body, token)
}
