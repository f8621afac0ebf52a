/**
 * pnpm bench:parity — 7-day parity through the rollups vs the same answer from the raw table.
 *
 * 1. Generates BENCH_RUNS (default 10,000,000) runs spread evenly over the 7 days before a fixed
 *    instant, inside ClickHouse (`INSERT INTO parallel_runs SELECT … FROM numbers(…)`), so the
 *    materialized views fill parallel_runs_1m/_1h and diff_paths_1m/_1h as ingest would.
 * 2. Once background merges have settled, times `parity()` for a 7-day window (what GET /api/experiments/:name/parity?window=7d runs:
 *    totals, per operation and candidate, top paths, hourly series) and the same three queries
 *    over the raw `parallel_runs` table; prints the p50 of each and the ratio.
 * 3. Checks the two answers agree: every count exactly, percentiles within a tolerance.
 *
 * Embedded engine in a temporary data directory, removed afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type ParityReport, parity, severityOfRank } from '../src/analysis/parity.js'
import { type Grain, planRollups, rollupSource } from '../src/analysis/rollup-source.js'
import { type RunStats, STATS_COLUMNS, type StatsRow, toRunStats } from '../src/analysis/run-stats.js'
import { minuteRange, parseWindow } from '../src/analysis/window.js'
import { openStore, queryRows, type Store } from '../src/store/client.js'
import { migrate } from '../src/store/migrate.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 10_000_000)
const CHUNK = 1_000_000
const ROLLUP_REPS = Number(process.env.BENCH_ROLLUP_REPS ?? 9)
const RAW_REPS = Number(process.env.BENCH_RAW_REPS ?? 5)
const TARGET_MS = 200
const EXPERIMENT = 'checkout'
const WINDOW = parseWindow('7d')
/** Percentiles from merged t-digests vs one t-digest over the raw values: both approximate. */
const PERCENTILE_TOLERANCE_MS = 0.5

const OPERATIONS = [
  'GET /orders/:id',
  'POST /quote',
  'GET /cart',
  'POST /checkout',
  'GET /search',
  'DELETE /cart/:id',
]
const PATHS = [
  'total',
  'items[0].price',
  'items[1].price',
  'tax',
  'shipping.cost',
  'currency',
  'discount',
  'eta',
]

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'twinspan-bench-parity-'))
  const store = openStore({ dataDir, database: 'twinspan' })
  try {
    await migrate(store, { retentionDays: 30 })
    const [version] = await queryRows<{ v: string }>(store, 'SELECT version() AS v')
    // A whole minute, so the window's first minute holds exactly the oldest generated run.
    const now = Math.floor(Date.now() / 60_000) * 60_000
    console.log(
      `parity benchmark: ${RUNS.toLocaleString('en')} runs over 7 days, embedded ClickHouse ${version?.v}, ` +
        `${OPERATIONS.length} operations x 2 candidates`,
    )

    const started = performance.now()
    for (let offset = 0; offset < RUNS; offset += CHUNK) {
      await generate(store, now, offset, Math.min(CHUNK, RUNS - offset))
    }
    const seconds = (performance.now() - started) / 1000
    console.log(
      `generated in ${seconds.toFixed(1)} s (${Math.round(RUNS / seconds / 1000)}k runs/s, rollups filled by the views); ` +
        `rows: ${await rowCounts(store)}`,
    )

    console.log(
      `background merges settled after ${(await settle(store)).toFixed(1)} s more; timing steady state`,
    )

    const query = { experiment: EXPERIMENT, window: WINDOW, now }
    const rollup = await timed(ROLLUP_REPS, () => parity(store, query))
    const byGrain: string[] = []
    for (const coarsest of ['minute', 'hour', 'day'] as const) {
      const grouped = await timed(ROLLUP_REPS, () => groupsFrom(store, now, coarsest))
      byGrain.push(`${coarsest === 'minute' ? 'minutes only' : `up to ${coarsest}s`} ${fmt(grouped.p50)} ms`)
    }
    const raw = await timed(RAW_REPS, () => parityFromRaw(store, now))

    const ratio = raw.p50 / rollup.p50
    console.log(
      `7-day parity through the rollups:  p50 ${fmt(rollup.p50)} ms (min ${fmt(rollup.min)}, max ${fmt(rollup.max)}, ` +
        `${ROLLUP_REPS} runs)  target < ${TARGET_MS} ms: ${rollup.p50 < TARGET_MS ? 'met' : 'MISSED'}`,
    )
    console.log(
      `7-day parity from the raw table:   p50 ${fmt(raw.p50)} ms (min ${fmt(raw.min)}, max ${fmt(raw.max)}, ${RAW_REPS} runs)`,
    )
    console.log(`ratio raw / rollups: ${ratio.toFixed(1)}x`)
    console.log(`  totals/operations/candidates query alone, p50 by rollups read: ${byGrain.join(', ')}`)

    const problems = compare(rollup.result, raw.result)
    if (problems.length > 0) {
      console.log(`answers DISAGREE:\n  ${problems.join('\n  ')}`)
      process.exitCode = 1
    } else {
      const l = rollup.result.latencyMs
      console.log(
        `answers agree: runs ${rollup.result.runs}, outcomes, per-operation and per-candidate counts, top paths and ` +
          `${rollup.result.series.length} hourly series points exactly; percentiles within ${PERCENTILE_TOLERANCE_MS} ms ` +
          `(shadow p95 ${l.shadow.p95} ms vs primary ${l.primary.p95} ms)`,
      )
    }
    if (rollup.p50 >= TARGET_MS) process.exitCode = 1
  } finally {
    await store.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** Insert `count` synthetic runs inside ClickHouse; the views fill the rollups. */
async function generate(store: Store, nowMs: number, offset: number, count: number): Promise<void> {
  const spanMs = WINDOW.ms - 60_000 // leave the window's first minute as a margin
  await store.client.command({
    query: `INSERT INTO \`${store.database}\`.parallel_runs
      (time, experiment, candidate, operation, run_id, trace_id, primary_span_id, shadow_span_id, service,
       outcome, severity, diff_count, diff_paths, diff, primary_duration_ms, shadow_duration_ms, served, primary_error)
      SELECT
        fromUnixTimestamp64Milli(toInt64({now_ms:Int64} - 1 - intDiv(number * {span_ms:Int64}, {runs:Int64}))) AS time,
        {experiment:String} AS experiment,
        if(h % 10 < 8, 'shadow', 'v2') AS candidate,
        {operations:Array(String)}[(intDiv(h, 10) % length({operations:Array(String)})) + 1] AS operation,
        toString(number) AS run_id,
        lower(hex(cityHash64(number, 3))) || lower(hex(cityHash64(number, 4))) AS trace_id,
        lower(hex(cityHash64(number, 5))) AS primary_span_id,
        lower(hex(cityHash64(number, 6))) AS shadow_span_id,
        'checkout-service' AS service,
        multiIf(r < 955, 'match', r < 990, 'mismatch', r < 996, 'shadow_error', 'timeout') AS outcome,
        if(outcome = 'mismatch', ['critical', 'major', 'minor', 'cosmetic'][(intDiv(h, 1000) % 4) + 1], 'none') AS severity,
        length(paths) AS diff_count,
        paths AS diff_paths,
        if(outcome = 'mismatch',
           '[' || arrayStringConcat(arrayMap(p -> '{"path":"' || p || '","kind":"changed","primary":1,"shadow":2,"severity":"' ||
             severity || '"}', paths), ',') || ']',
           '') AS diff,
        40 + (cityHash64(number, 1) % 20000) / 1000 AS primary_duration_ms,
        50 + (cityHash64(number, 2) % 20000) / 1000 AS shadow_duration_ms,
        'primary' AS served,
        if(h % 200 = 7, 'TimeoutError', '') AS primary_error
      FROM (
        SELECT number, cityHash64(number) AS h, h % 1000 AS r,
          if(r >= 955 AND r < 990,
             arrayDistinct([{paths:Array(String)}[(intDiv(h, 100000) % 8) + 1], {paths:Array(String)}[(intDiv(h, 10000000) % 8) + 1]]),
             []) AS paths
        FROM numbers({offset:UInt64}, {count:UInt64})
      )`,
    query_params: {
      now_ms: nowMs,
      span_ms: spanMs,
      runs: RUNS,
      experiment: EXPERIMENT,
      operations: OPERATIONS,
      paths: PATHS,
      offset,
      count,
    },
  })
}

/** Wait (at most 3 minutes) until ClickHouse has no merge running, so timings are of a steady state. */
async function settle(store: Store): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < 180_000) {
    const [row] = await queryRows<{ n: number | string }>(
      store,
      'SELECT count() AS n FROM system.merges WHERE database = {db:String}',
      { db: store.database },
    )
    if (Number(row?.n) === 0) break
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  return (performance.now() - started) / 1000
}

async function rowCounts(store: Store): Promise<string> {
  const tables = [
    'parallel_runs',
    'parallel_runs_1m',
    'parallel_runs_1h',
    'parallel_runs_1d',
    'diff_paths_1m',
    'diff_paths_1h',
  ]
  const counts = await Promise.all(
    tables.map(async (table) => {
      const [row] = await queryRows<{ n: number | string }>(
        store,
        `SELECT count() AS n FROM \`${store.database}\`.${table}`,
      )
      return `${table} ${Number(row?.n).toLocaleString('en')}`
    }),
  )
  return counts.join(', ')
}

interface Timing<T> {
  p50: number
  min: number
  max: number
  result: T
}

/** One warm-up, then `reps` timed runs. */
async function timed<T>(reps: number, run: () => Promise<T>): Promise<Timing<T>> {
  let result = await run()
  const times: number[] = []
  for (let i = 0; i < reps; i++) {
    const started = performance.now()
    result = await run()
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  return {
    p50: times[Math.floor(times.length / 2)] ?? 0,
    min: times[0] ?? 0,
    max: times[times.length - 1] ?? 0,
    result,
  }
}

/** The totals/operations/candidates query reading rollups up to a grain: what each coarser rollup saves. */
async function groupsFrom(store: Store, now: number, coarsest: Grain): Promise<number> {
  const source = rollupSource(store.database, 'runs', planRollups(minuteRange(WINDOW, now), coarsest), {
    experiment: EXPERIMENT,
  })
  const rows = await queryRows<StatsRow>(
    store,
    `SELECT operation, candidate, ${STATS_COLUMNS} FROM ${source.sql}
     GROUP BY GROUPING SETS ((), (operation), (candidate))`,
    source.params,
  )
  return rows.length
}

const RAW_STATS = `count() AS runs,
  countIf(outcome = 'match') AS matches,
  countIf(outcome = 'mismatch') AS mismatches,
  countIf(outcome = 'shadow_error') AS shadow_errors,
  countIf(outcome = 'timeout') AS timeouts,
  countIf(primary_error != '') AS primary_errors,
  countIf(severity = 'critical') AS critical,
  countIf(severity = 'major') AS major,
  countIf(severity = 'minor') AS minor,
  countIf(severity = 'cosmetic') AS cosmetic,
  quantilesTDigest(0.5, 0.95, 0.99)(primary_duration_ms) AS primary_q,
  quantilesTDigest(0.5, 0.95, 0.99)(shadow_duration_ms) AS shadow_q`

interface RawAnswer {
  total: RunStats
  operations: Map<string, RunStats>
  candidates: Map<string, RunStats>
  paths: { path: string; count: number; severity: string }[]
  series: Map<number, number>
}

/** The same parity answer computed from every raw run in the window. */
async function parityFromRaw(store: Store, now: number): Promise<RawAnswer> {
  const range = minuteRange(WINDOW, now)
  const where = `experiment = {experiment:String}
    AND time >= toDateTime64({from:Int64}, 9) AND time < toDateTime64({to:Int64}, 9)`
  const params = { experiment: EXPERIMENT, from: range.fromMinute, to: range.toMinute + 60 }
  const table = `\`${store.database}\`.parallel_runs`
  const [groups, paths, series] = await Promise.all([
    queryRows<
      StatsRow & { all_operations: number; all_candidates: number; operation: string; candidate: string }
    >(
      store,
      `SELECT grouping(operation) AS all_operations, grouping(candidate) AS all_candidates, operation, candidate, ${RAW_STATS}
       FROM ${table} WHERE ${where}
       GROUP BY GROUPING SETS ((), (operation), (candidate))`,
      params,
    ),
    queryRows<{ path: string; count: number | string; severity_rank: number | string }>(
      store,
      `SELECT path, count() AS count,
         max(toUInt8(transform(if(path_severity = '', severity, path_severity),
           ['cosmetic', 'minor', 'major', 'critical'], [1, 2, 3, 4], 0))) AS severity_rank
       FROM (
         SELECT severity, path,
           JSONExtractString(arrayFirst(d -> JSONExtractString(d, 'path') = path, JSONExtractArrayRaw(diff)), 'severity')
             AS path_severity
         FROM ${table} ARRAY JOIN diff_paths AS path
         WHERE ${where} AND outcome = 'mismatch')
       GROUP BY path ORDER BY count DESC, path ASC LIMIT 10`,
      params,
    ),
    queryRows<StatsRow & { bucket: number | string }>(
      store,
      `SELECT intDiv(toUnixTimestamp(time), 3600) * 3600 AS bucket, ${RAW_STATS}
       FROM ${table} WHERE ${where} GROUP BY bucket`,
      params,
    ),
  ])
  const level = (row: { all_operations: number | string; all_candidates: number | string }) =>
    `${Number(row.all_operations)}${Number(row.all_candidates)}`
  return {
    total: toRunStats(groups.find((row) => level(row) === '11')),
    operations: new Map(
      groups.filter((row) => level(row) === '01').map((row) => [row.operation, toRunStats(row)]),
    ),
    candidates: new Map(
      groups.filter((row) => level(row) === '10').map((row) => [row.candidate, toRunStats(row)]),
    ),
    paths: paths.map((row) => ({
      path: row.path,
      count: Number(row.count),
      severity: severityOfRank(Number(row.severity_rank)),
    })),
    series: new Map(series.map((row) => [Number(row.bucket), Number(row.runs)])),
  }
}

/** Where the rollup answer and the raw answer differ: counts must be equal, percentiles close. */
function compare(rollup: ParityReport, raw: RawAnswer): string[] {
  const problems: string[] = []
  const same = (what: string, a: RunStats | undefined, b: RunStats | undefined) => {
    if (!a || !b) {
      problems.push(`${what}: missing on one side`)
      return
    }
    const counts = (s: RunStats) => JSON.stringify([s.runs, s.outcomes, s.errors.primary, s.severities])
    if (counts(a) !== counts(b)) problems.push(`${what}: counts ${counts(a)} vs ${counts(b)}`)
    for (const side of ['primary', 'shadow'] as const) {
      for (const p of ['p50', 'p95', 'p99'] as const) {
        const x = a.latencyMs[side][p]
        const y = b.latencyMs[side][p]
        if (x === null || y === null || Math.abs(x - y) > PERCENTILE_TOLERANCE_MS) {
          problems.push(`${what}: ${side} ${p} ${x} vs ${y}`)
        }
      }
    }
  }
  same('total', rollup, raw.total)
  for (const op of rollup.operations) same(`operation ${op.operation}`, op, raw.operations.get(op.operation))
  for (const c of rollup.candidates) same(`candidate ${c.candidate}`, c, raw.candidates.get(c.candidate))
  if (rollup.operations.length !== raw.operations.size) problems.push('operation lists differ')
  if (rollup.candidates.length !== raw.candidates.size) problems.push('candidate lists differ')
  if (JSON.stringify(rollup.topDiffPaths) !== JSON.stringify(raw.paths)) {
    problems.push(`top paths ${JSON.stringify(rollup.topDiffPaths)} vs ${JSON.stringify(raw.paths)}`)
  }
  for (const point of rollup.series) {
    const expected = raw.series.get(Date.parse(point.t) / 1000) ?? 0
    if (point.runs !== expected) problems.push(`series ${point.t}: ${point.runs} vs ${expected}`)
  }
  return problems
}

const fmt = (ms: number) => ms.toFixed(0)

await main()
