import {
  ATTR_CANDIDATE,
  ATTR_DIFF,
  ATTR_DIFF_COUNT,
  ATTR_DIFF_PATHS,
  ATTR_EXPERIMENT,
  ATTR_OPERATION,
  ATTR_OUTCOME,
  ATTR_PRIMARY_DURATION_MS,
  ATTR_PRIMARY_ERROR_TYPE,
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
  /** A ClickHouse cluster name: tables become Replicated + Distributed, DDL runs ON CLUSTER. */
  cluster?: string
}

/**
 * Every table an insert reaches (directly or through a materialized view) keeps a window of recent
 * block ids, so a batch retried with the same `insert_deduplication_token` is stored once everywhere
 * (docs/decisions/0003-spool-and-batching.md).
 */
export const DEDUP_WINDOW = 10_000
const DEDUP = `non_replicated_deduplication_window = ${DEDUP_WINDOW}`

/** The aggregate columns every runs rollup has (per minute, hour and day). */
const RUN_STATE_COLUMNS = `runs SimpleAggregateFunction(sum, UInt64),
        matches SimpleAggregateFunction(sum, UInt64),
        mismatches SimpleAggregateFunction(sum, UInt64),
        shadow_errors SimpleAggregateFunction(sum, UInt64),
        timeouts SimpleAggregateFunction(sum, UInt64),
        primary_errors SimpleAggregateFunction(sum, UInt64),
        critical SimpleAggregateFunction(sum, UInt64),
        major SimpleAggregateFunction(sum, UInt64),
        minor SimpleAggregateFunction(sum, UInt64),
        cosmetic SimpleAggregateFunction(sum, UInt64),
        primary_ms AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64),
        shadow_ms AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64)`

/** What fills {@link RUN_STATE_COLUMNS} from `parallel_runs` rows. */
const RUN_STATE_SELECT = `count() AS runs,
        countIf(outcome = 'match') AS matches,
        countIf(outcome = 'mismatch') AS mismatches,
        countIf(outcome = 'shadow_error') AS shadow_errors,
        countIf(outcome = 'timeout') AS timeouts,
        countIf(primary_error != '') AS primary_errors,
        countIf(severity = 'critical') AS critical,
        countIf(severity = 'major') AS major,
        countIf(severity = 'minor') AS minor,
        countIf(severity = 'cosmetic') AS cosmetic,
        quantilesTDigestState(0.5, 0.95, 0.99)(primary_duration_ms) AS primary_ms,
        quantilesTDigestState(0.5, 0.95, 0.99)(shadow_duration_ms) AS shadow_ms`

/** Tables with a retention TTL, and the column expression it is computed from. */
export const TTL_TABLES: Record<string, string> = {
  otel_traces: 'toDateTime(Timestamp)',
  parallel_runs: 'toDateTime(time)',
  parallel_runs_1m: 'minute',
  diff_paths_1m: 'minute',
  parallel_runs_1h: 'hour',
  diff_paths_1h: 'hour',
  parallel_runs_1d: 'day',
}

const attr = (name: string) => `SpanAttributes['${name}']`

/**
 * The schema, in order. Never edit a released migration: add a new one.
 * Layout rationale: docs/decisions/0001-storage-layout.md.
 */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'otel_traces, parallel_runs and per-minute rollups',
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
      SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, ${DEDUP}`,
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
        served LowCardinality(String),
        primary_error LowCardinality(String)
      ) ENGINE = ReplacingMergeTree
      PARTITION BY toDate(time)
      ORDER BY (experiment, toStartOfHour(time), candidate, run_id)
      TTL toDateTime(time) + toIntervalDay(${retentionDays})
      SETTINGS ttl_only_drop_parts = 1, ${DEDUP}`,
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
        if(${attr(ATTR_SERVED)} = '', 'primary', ${attr(ATTR_SERVED)}) AS served,
        ${attr(ATTR_PRIMARY_ERROR_TYPE)} AS primary_error
      FROM \`${db}\`.otel_traces
      WHERE ${attr(ATTR_ROLE)} = 'shadow' AND ${attr(ATTR_OUTCOME)} != ''`,
      // Outcome counts, severity histogram and latency quantile states per minute and dimension.
      // Parity over any window merges these (see collector/src/analysis).
      `CREATE TABLE IF NOT EXISTS \`${db}\`.parallel_runs_1m (
        minute DateTime CODEC(Delta, ZSTD(1)),
        experiment LowCardinality(String),
        candidate LowCardinality(String),
        operation LowCardinality(String),
        ${RUN_STATE_COLUMNS}
      ) ENGINE = AggregatingMergeTree
      PARTITION BY toDate(minute)
      ORDER BY (experiment, minute, candidate, operation)
      TTL minute + toIntervalDay(${retentionDays})
      SETTINGS ttl_only_drop_parts = 1, ${DEDUP}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS \`${db}\`.parallel_runs_1m_mv TO \`${db}\`.parallel_runs_1m AS
      SELECT
        toStartOfMinute(time) AS minute, experiment, candidate, operation,
        ${RUN_STATE_SELECT}
      FROM \`${db}\`.parallel_runs
      GROUP BY minute, experiment, candidate, operation`,
      // How often each path differed, with the highest severity seen on it (1 cosmetic .. 4 critical).
      // A path's severity comes from the diff JSON when the path is there, else the run's severity.
      `CREATE TABLE IF NOT EXISTS \`${db}\`.diff_paths_1m (
        minute DateTime CODEC(Delta, ZSTD(1)),
        experiment LowCardinality(String),
        candidate LowCardinality(String),
        operation LowCardinality(String),
        path String,
        runs SimpleAggregateFunction(sum, UInt64),
        severity_rank SimpleAggregateFunction(max, UInt8)
      ) ENGINE = AggregatingMergeTree
      PARTITION BY toDate(minute)
      ORDER BY (experiment, minute, candidate, operation, path)
      TTL minute + toIntervalDay(${retentionDays})
      SETTINGS ttl_only_drop_parts = 1, ${DEDUP}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS \`${db}\`.diff_paths_1m_mv TO \`${db}\`.diff_paths_1m AS
      SELECT
        toStartOfMinute(time) AS minute, experiment, candidate, operation, path,
        count() AS runs,
        max(toUInt8(transform(
          if(path_severity = '', severity, path_severity),
          ['cosmetic', 'minor', 'major', 'critical'], [1, 2, 3, 4], 0))) AS severity_rank
      FROM (
        SELECT time, experiment, candidate, operation, severity, path,
          JSONExtractString(arrayFirst(d -> JSONExtractString(d, 'path') = path, JSONExtractArrayRaw(diff)), 'severity')
            AS path_severity
        FROM \`${db}\`.parallel_runs
        ARRAY JOIN diff_paths AS path
        WHERE outcome = 'mismatch'
      )
      GROUP BY minute, experiment, candidate, operation, path`,
    ],
  },
  {
    version: 2,
    name: 'hourly rollups parallel_runs_1h and diff_paths_1h for long windows',
    // A 7-day window merges ~170 hourly latency states per series instead of ~10,000 per-minute ones;
    // parity reads whole hours here and the ragged ends from the per-minute tables
    // (docs/decisions/0030-parity-rollups.md). Each table is backfilled once, before its view exists:
    // migrations run before the collector accepts spans.
    statements: (db, { retentionDays }) => [
      `CREATE TABLE IF NOT EXISTS \`${db}\`.parallel_runs_1h (
        hour DateTime CODEC(Delta, ZSTD(1)),
        ${RUNS_ROLLUP_COLUMNS}
      ) ENGINE = AggregatingMergeTree
      PARTITION BY toDate(hour)
      ORDER BY (experiment, hour, candidate, operation)
      TTL hour + toIntervalDay(${retentionDays})
      SETTINGS ttl_only_drop_parts = 1, ${DEDUP}`,
      `INSERT INTO \`${db}\`.parallel_runs_1h ${runsRollupSelect(db, 'hour')}
      HAVING (SELECT count() FROM \`${db}\`.parallel_runs_1h) = 0`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS \`${db}\`.parallel_runs_1h_mv TO \`${db}\`.parallel_runs_1h AS
      ${runsRollupSelect(db, 'hour')}`,
      `CREATE TABLE IF NOT EXISTS \`${db}\`.diff_paths_1h (
        hour DateTime CODEC(Delta, ZSTD(1)),
        experiment LowCardinality(String),
        candidate LowCardinality(String),
        operation LowCardinality(String),
        path String,
        runs SimpleAggregateFunction(sum, UInt64),
        severity_rank SimpleAggregateFunction(max, UInt8)
      ) ENGINE = AggregatingMergeTree
      PARTITION BY toDate(hour)
      ORDER BY (experiment, hour, candidate, operation, path)
      TTL hour + toIntervalDay(${retentionDays})
      SETTINGS ttl_only_drop_parts = 1, ${DEDUP}`,
      `INSERT INTO \`${db}\`.diff_paths_1h ${hourlyPathsSelect(db)}
      HAVING (SELECT count() FROM \`${db}\`.diff_paths_1h) = 0`,
      // Chained on the per-minute paths rollup: the path severities are worked out once, there.
      `CREATE MATERIALIZED VIEW IF NOT EXISTS \`${db}\`.diff_paths_1h_mv TO \`${db}\`.diff_paths_1h AS
      ${hourlyPathsSelect(db)}`,
    ],
  },
  {
    version: 3,
    name: 'daily rollup parallel_runs_1d for the whole days of long windows',
    // Reading t-digest states dominates a parity query; a 7-day window reads ~6 daily states per
    // dimension instead of ~170 hourly ones (docs/decisions/0030-parity-rollups.md).
    statements: (db, { retentionDays }) => [
      `CREATE TABLE IF NOT EXISTS \`${db}\`.parallel_runs_1d (
        day DateTime CODEC(Delta, ZSTD(1)),
        ${RUNS_ROLLUP_COLUMNS}
      ) ENGINE = AggregatingMergeTree
      PARTITION BY toDate(day)
      ORDER BY (experiment, day, candidate, operation)
      TTL day + toIntervalDay(${retentionDays})
      SETTINGS ttl_only_drop_parts = 1, ${DEDUP}`,
      `INSERT INTO \`${db}\`.parallel_runs_1d ${runsRollupSelect(db, 'day')}
      HAVING (SELECT count() FROM \`${db}\`.parallel_runs_1d) = 0`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS \`${db}\`.parallel_runs_1d_mv TO \`${db}\`.parallel_runs_1d AS
      ${runsRollupSelect(db, 'day')}`,
    ],
  },
  {
    version: 4,
    name: 'drop the span and resource attribute skip indexes from otel_traces',
    // They made every insert 40% slower in chDB (any one of the four cost nearly what all four did),
    // and twinspan never filters raw spans by attribute: runs are read from parallel_runs. Trace-id
    // lookups keep idx_trace_id (docs/decisions/0001-storage-layout.md tells how to add them back).
    statements: (db) => [
      `ALTER TABLE \`${db}\`.otel_traces
        DROP INDEX IF EXISTS idx_res_attr_key,
        DROP INDEX IF EXISTS idx_res_attr_value,
        DROP INDEX IF EXISTS idx_span_attr_key,
        DROP INDEX IF EXISTS idx_span_attr_value`,
    ],
  },
]

/** Runs per UTC hour or day and dimension, with latency states and first/last run time (migrations 2, 3). */
function runsRollupSelect(db: string, grain: 'hour' | 'day'): string {
  const start = grain === 'hour' ? 'toStartOfHour' : 'toStartOfDay'
  return `SELECT
        ${start}(time, 'UTC') AS ${grain}, experiment, candidate, operation,
        ${RUN_STATE_SELECT},
        min(time) AS first_seen,
        max(time) AS last_seen
      FROM \`${db}\`.parallel_runs
      GROUP BY ${grain}, experiment, candidate, operation`
}

/** The columns of parallel_runs_1h and parallel_runs_1d after the time column (migrations 2, 3). */
const RUNS_ROLLUP_COLUMNS = `experiment LowCardinality(String),
        candidate LowCardinality(String),
        operation LowCardinality(String),
        ${RUN_STATE_COLUMNS},
        first_seen SimpleAggregateFunction(min, DateTime64(9)),
        last_seen SimpleAggregateFunction(max, DateTime64(9))`

/** Differing paths per UTC hour, rolled up from the per-minute paths table (migration 2). */
function hourlyPathsSelect(db: string): string {
  return `SELECT
        toStartOfHour(minute, 'UTC') AS hour, experiment, candidate, operation, path,
        sum(runs) AS runs,
        max(severity_rank) AS severity_rank
      FROM \`${db}\`.diff_paths_1m
      GROUP BY hour, experiment, candidate, operation, path`
}
