CREATE DATABASE IF NOT EXISTS `twinspan` ON CLUSTER `twinspan`;

CREATE TABLE IF NOT EXISTS `twinspan`.twinspan_migrations_local ON CLUSTER `twinspan` (
      version UInt32, name String, applied_at DateTime64(3) DEFAULT now64(3)
    ) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/twinspan/twinspan_migrations_local', '{replica}') ORDER BY version;

CREATE TABLE IF NOT EXISTS `twinspan`.twinspan_migrations ON CLUSTER `twinspan` AS `twinspan`.twinspan_migrations_local
      ENGINE = Distributed(`twinspan`, `twinspan`, twinspan_migrations_local, rand());

CREATE TABLE IF NOT EXISTS `twinspan`.otel_traces_local ON CLUSTER `twinspan` (
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
      ) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/twinspan/otel_traces_local', '{replica}')
      PARTITION BY toDate(Timestamp)
      ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
      TTL toDateTime(Timestamp) + toIntervalDay(30)
      SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS `twinspan`.otel_traces ON CLUSTER `twinspan` AS `twinspan`.otel_traces_local
      ENGINE = Distributed(`twinspan`, `twinspan`, otel_traces_local, cityHash64(TraceId));

CREATE TABLE IF NOT EXISTS `twinspan`.parallel_runs_local ON CLUSTER `twinspan` (
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
      ) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/twinspan/parallel_runs_local', '{replica}')
      PARTITION BY toDate(time)
      ORDER BY (experiment, toStartOfHour(time), candidate, run_id)
      TTL toDateTime(time) + toIntervalDay(30)
      SETTINGS ttl_only_drop_parts = 1, replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS `twinspan`.parallel_runs ON CLUSTER `twinspan` AS `twinspan`.parallel_runs_local
      ENGINE = Distributed(`twinspan`, `twinspan`, parallel_runs_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS `twinspan`.parallel_runs_mv ON CLUSTER `twinspan` TO `twinspan`.parallel_runs_local AS
      SELECT
        Timestamp AS time,
        SpanAttributes['parallel_run.experiment'] AS experiment,
        if(SpanAttributes['parallel_run.candidate'] = '', 'shadow', SpanAttributes['parallel_run.candidate']) AS candidate,
        SpanAttributes['parallel_run.operation'] AS operation,
        SpanAttributes['parallel_run.run_id'] AS run_id,
        TraceId AS trace_id,
        Links.SpanId[1] AS primary_span_id,
        SpanId AS shadow_span_id,
        ServiceName AS service,
        SpanAttributes['parallel_run.outcome'] AS outcome,
        if(SpanAttributes['parallel_run.severity'] = '', 'none', SpanAttributes['parallel_run.severity']) AS severity,
        toUInt32OrZero(SpanAttributes['parallel_run.diff.count']) AS diff_count,
        JSONExtract(SpanAttributes['parallel_run.diff.paths'], 'Array(String)') AS diff_paths,
        SpanAttributes['parallel_run.diff'] AS diff,
        toFloat64OrZero(SpanAttributes['parallel_run.primary.duration_ms']) AS primary_duration_ms,
        toFloat64OrZero(SpanAttributes['parallel_run.shadow.duration_ms']) AS shadow_duration_ms,
        if(SpanAttributes['parallel_run.served'] = '', 'primary', SpanAttributes['parallel_run.served']) AS served,
        SpanAttributes['parallel_run.primary.error_type'] AS primary_error
      FROM `twinspan`.otel_traces_local
      WHERE SpanAttributes['parallel_run.role'] = 'shadow' AND SpanAttributes['parallel_run.outcome'] != '';

CREATE TABLE IF NOT EXISTS `twinspan`.parallel_runs_1m_local ON CLUSTER `twinspan` (
        minute DateTime CODEC(Delta, ZSTD(1)),
        experiment LowCardinality(String),
        candidate LowCardinality(String),
        operation LowCardinality(String),
        runs SimpleAggregateFunction(sum, UInt64),
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
        shadow_ms AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64)
      ) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/twinspan/parallel_runs_1m_local', '{replica}')
      PARTITION BY toDate(minute)
      ORDER BY (experiment, minute, candidate, operation)
      TTL minute + toIntervalDay(30)
      SETTINGS ttl_only_drop_parts = 1, replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS `twinspan`.parallel_runs_1m ON CLUSTER `twinspan` AS `twinspan`.parallel_runs_1m_local
      ENGINE = Distributed(`twinspan`, `twinspan`, parallel_runs_1m_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS `twinspan`.parallel_runs_1m_mv ON CLUSTER `twinspan` TO `twinspan`.parallel_runs_1m_local AS
      SELECT
        toStartOfMinute(time) AS minute, experiment, candidate, operation,
        count() AS runs,
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
        quantilesTDigestState(0.5, 0.95, 0.99)(shadow_duration_ms) AS shadow_ms
      FROM `twinspan`.parallel_runs_local
      GROUP BY minute, experiment, candidate, operation;

CREATE TABLE IF NOT EXISTS `twinspan`.diff_paths_1m_local ON CLUSTER `twinspan` (
        minute DateTime CODEC(Delta, ZSTD(1)),
        experiment LowCardinality(String),
        candidate LowCardinality(String),
        operation LowCardinality(String),
        path String,
        runs SimpleAggregateFunction(sum, UInt64),
        severity_rank SimpleAggregateFunction(max, UInt8)
      ) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/twinspan/diff_paths_1m_local', '{replica}')
      PARTITION BY toDate(minute)
      ORDER BY (experiment, minute, candidate, operation, path)
      TTL minute + toIntervalDay(30)
      SETTINGS ttl_only_drop_parts = 1, replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS `twinspan`.diff_paths_1m ON CLUSTER `twinspan` AS `twinspan`.diff_paths_1m_local
      ENGINE = Distributed(`twinspan`, `twinspan`, diff_paths_1m_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS `twinspan`.diff_paths_1m_mv ON CLUSTER `twinspan` TO `twinspan`.diff_paths_1m_local AS
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
        FROM `twinspan`.parallel_runs_local
        ARRAY JOIN diff_paths AS path
        WHERE outcome = 'mismatch'
      )
      GROUP BY minute, experiment, candidate, operation, path;

CREATE TABLE IF NOT EXISTS `twinspan`.parallel_runs_1h_local ON CLUSTER `twinspan` (
        hour DateTime CODEC(Delta, ZSTD(1)),
        experiment LowCardinality(String),
        candidate LowCardinality(String),
        operation LowCardinality(String),
        runs SimpleAggregateFunction(sum, UInt64),
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
        shadow_ms AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64),
        first_seen SimpleAggregateFunction(min, DateTime64(9)),
        last_seen SimpleAggregateFunction(max, DateTime64(9))
      ) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/twinspan/parallel_runs_1h_local', '{replica}')
      PARTITION BY toDate(hour)
      ORDER BY (experiment, hour, candidate, operation)
      TTL hour + toIntervalDay(30)
      SETTINGS ttl_only_drop_parts = 1, replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS `twinspan`.parallel_runs_1h ON CLUSTER `twinspan` AS `twinspan`.parallel_runs_1h_local
      ENGINE = Distributed(`twinspan`, `twinspan`, parallel_runs_1h_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS `twinspan`.parallel_runs_1h_mv ON CLUSTER `twinspan` TO `twinspan`.parallel_runs_1h_local AS
      SELECT
        toStartOfHour(time, 'UTC') AS hour, experiment, candidate, operation,
        count() AS runs,
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
        quantilesTDigestState(0.5, 0.95, 0.99)(shadow_duration_ms) AS shadow_ms,
        min(time) AS first_seen,
        max(time) AS last_seen
      FROM `twinspan`.parallel_runs_local
      GROUP BY hour, experiment, candidate, operation;

CREATE TABLE IF NOT EXISTS `twinspan`.diff_paths_1h_local ON CLUSTER `twinspan` (
        hour DateTime CODEC(Delta, ZSTD(1)),
        experiment LowCardinality(String),
        candidate LowCardinality(String),
        operation LowCardinality(String),
        path String,
        runs SimpleAggregateFunction(sum, UInt64),
        severity_rank SimpleAggregateFunction(max, UInt8)
      ) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/twinspan/diff_paths_1h_local', '{replica}')
      PARTITION BY toDate(hour)
      ORDER BY (experiment, hour, candidate, operation, path)
      TTL hour + toIntervalDay(30)
      SETTINGS ttl_only_drop_parts = 1, replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS `twinspan`.diff_paths_1h ON CLUSTER `twinspan` AS `twinspan`.diff_paths_1h_local
      ENGINE = Distributed(`twinspan`, `twinspan`, diff_paths_1h_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS `twinspan`.diff_paths_1h_mv ON CLUSTER `twinspan` TO `twinspan`.diff_paths_1h_local AS
      SELECT
        toStartOfHour(minute, 'UTC') AS hour, experiment, candidate, operation, path,
        sum(runs) AS runs,
        max(severity_rank) AS severity_rank
      FROM `twinspan`.diff_paths_1m_local
      GROUP BY hour, experiment, candidate, operation, path;

CREATE TABLE IF NOT EXISTS `twinspan`.parallel_runs_1d_local ON CLUSTER `twinspan` (
        day DateTime CODEC(Delta, ZSTD(1)),
        experiment LowCardinality(String),
        candidate LowCardinality(String),
        operation LowCardinality(String),
        runs SimpleAggregateFunction(sum, UInt64),
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
        shadow_ms AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), Float64),
        first_seen SimpleAggregateFunction(min, DateTime64(9)),
        last_seen SimpleAggregateFunction(max, DateTime64(9))
      ) ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/twinspan/parallel_runs_1d_local', '{replica}')
      PARTITION BY toDate(day)
      ORDER BY (experiment, day, candidate, operation)
      TTL day + toIntervalDay(30)
      SETTINGS ttl_only_drop_parts = 1, replicated_deduplication_window = 10000;

CREATE TABLE IF NOT EXISTS `twinspan`.parallel_runs_1d ON CLUSTER `twinspan` AS `twinspan`.parallel_runs_1d_local
      ENGINE = Distributed(`twinspan`, `twinspan`, parallel_runs_1d_local, rand());

CREATE MATERIALIZED VIEW IF NOT EXISTS `twinspan`.parallel_runs_1d_mv ON CLUSTER `twinspan` TO `twinspan`.parallel_runs_1d_local AS
      SELECT
        toStartOfDay(time, 'UTC') AS day, experiment, candidate, operation,
        count() AS runs,
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
        quantilesTDigestState(0.5, 0.95, 0.99)(shadow_duration_ms) AS shadow_ms,
        min(time) AS first_seen,
        max(time) AS last_seen
      FROM `twinspan`.parallel_runs_local
      GROUP BY day, experiment, candidate, operation;

ALTER TABLE `twinspan`.otel_traces_local ON CLUSTER `twinspan` DROP INDEX IF EXISTS idx_res_attr_key,
        DROP INDEX IF EXISTS idx_res_attr_value,
        DROP INDEX IF EXISTS idx_span_attr_key,
        DROP INDEX IF EXISTS idx_span_attr_value;
