import {
  ATTR_CANDIDATE,
  ATTR_DIFF,
  ATTR_DIFF_COUNT,
  ATTR_DIFF_PATHS,
  ATTR_EXPERIMENT,
  ATTR_OPERATION,
  ATTR_OUTCOME,
  ATTR_PRIMARY_DURATION_MS,
  ATTR_ROLE,
  ATTR_RUN_ID,
  ATTR_SERVED,
  ATTR_SEVERITY,
  ATTR_SHADOW_DURATION_MS,
  DEFAULT_CANDIDATE,
} from '@twinspan/conventions'

/** One versioned schema step. Statements must be idempotent (`IF NOT EXISTS`). */
export interface Migration {
  version: number
  name: string
  statements: (database: string, settings: SchemaSettings) => string[]
}

export interface SchemaSettings {
  retentionDays: number
}

const attr = (name: string) => `SpanAttributes['${name}']`

/**
 * The schema, in order. Never edit a released migration: add a new one.
 * Layout rationale: docs/decisions/0001-storage-layout.md.
 */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'otel_traces and parallel_runs',
    statements: (db, { retentionDays }) => [
      // The OpenTelemetry Collector ClickHouse exporter's layout, column for column, so tools that read
      // `otel_traces` (Grafana's ClickHouse trace view) work on it unchanged.
      `CREATE TABLE IF NOT EXISTS \`${db}\`.otel_traces (
        Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
        TraceId String CODEC(ZSTD(1)),
        SpanId String CODEC(ZSTD(1)),
        ParentSpanId String CODEC(ZSTD(1)),
        TraceState String CODEC(ZSTD(1)),
        SpanName LowCardinality(String) CODEC(ZSTD(1)),
        SpanKind LowCardinality(String) CODEC(ZSTD(1)),
        ServiceName LowCardinality(String) CODEC(ZSTD(1)),
        ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
        ScopeName String CODEC(ZSTD(1)),
        ScopeVersion String CODEC(ZSTD(1)),
        SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
        Duration UInt64 CODEC(ZSTD(1)),
        StatusCode LowCardinality(String) CODEC(ZSTD(1)),
        StatusMessage String CODEC(ZSTD(1)),
        Events Nested (Timestamp DateTime64(9), Name LowCardinality(String), Attributes Map(LowCardinality(String), String)) CODEC(ZSTD(1)),
        Links Nested (TraceId String, SpanId String, TraceState String, Attributes Map(LowCardinality(String), String)) CODEC(ZSTD(1)),
        INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
        INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
        INDEX idx_duration Duration TYPE minmax GRANULARITY 1
      ) ENGINE = MergeTree
      PARTITION BY toDate(Timestamp)
      ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
      TTL toDateTime(Timestamp) + toIntervalDay(${retentionDays})
      SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1`,
      // One row per compared run (one per candidate), typed. Replacing on the run's key so a span
      // stored twice (a retried export) is one run in every FINAL query.
      `CREATE TABLE IF NOT EXISTS \`${db}\`.parallel_runs (
        time DateTime64(9) CODEC(Delta, ZSTD(1)),
        experiment LowCardinality(String),
        candidate LowCardinality(String),
        operation LowCardinality(String),
        run_id String CODEC(ZSTD(1)),
        trace_id String CODEC(ZSTD(1)),
        primary_span_id String CODEC(ZSTD(1)),
        shadow_span_id String CODEC(ZSTD(1)),
        service LowCardinality(String),
        outcome LowCardinality(String),
        severity LowCardinality(String),
        diff_count UInt32,
        diff_paths Array(String) CODEC(ZSTD(1)),
        diff String CODEC(ZSTD(3)),
        primary_duration_ms Float64 CODEC(Gorilla, ZSTD(1)),
        shadow_duration_ms Float64 CODEC(Gorilla, ZSTD(1)),
        served LowCardinality(String)
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toDate(time)
      ORDER BY (experiment, toStartOfHour(time), candidate, run_id)
      TTL toDateTime(time) + toIntervalDay(${retentionDays})
      SETTINGS ttl_only_drop_parts = 1`,
      // Spans are parsed and inserted once; ClickHouse fans shadow spans out into parallel_runs.
      `CREATE MATERIALIZED VIEW IF NOT EXISTS \`${db}\`.parallel_runs_mv TO \`${db}\`.parallel_runs AS
      SELECT
        Timestamp AS time,
        ${attr(ATTR_EXPERIMENT)} AS experiment,
        if(${attr(ATTR_CANDIDATE)} = '', '${DEFAULT_CANDIDATE}', ${attr(ATTR_CANDIDATE)}) AS candidate,
        ${attr(ATTR_OPERATION)} AS operation,
        ${attr(ATTR_RUN_ID)} AS run_id,
        TraceId AS trace_id,
        Links.SpanId[1] AS primary_span_id,
        SpanId AS shadow_span_id,
        ServiceName AS service,
        ${attr(ATTR_OUTCOME)} AS outcome,
        if(${attr(ATTR_SEVERITY)} = '', 'none', ${attr(ATTR_SEVERITY)}) AS severity,
        toUInt32OrZero(${attr(ATTR_DIFF_COUNT)}) AS diff_count,
        JSONExtract(${attr(ATTR_DIFF_PATHS)}, 'Array(String)') AS diff_paths,
        ${attr(ATTR_DIFF)} AS diff,
        toFloat64OrZero(${attr(ATTR_PRIMARY_DURATION_MS)}) AS primary_duration_ms,
        toFloat64OrZero(${attr(ATTR_SHADOW_DURATION_MS)}) AS shadow_duration_ms,
        if(${attr(ATTR_SERVED)} = '', 'primary', ${attr(ATTR_SERVED)}) AS served
      FROM \`${db}\`.otel_traces
      WHERE ${attr(ATTR_ROLE)} = 'shadow' AND ${attr(ATTR_OUTCOME)} != ''`,
    ],
  },
]
