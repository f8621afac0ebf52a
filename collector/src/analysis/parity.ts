import { queryRows, type Store } from '../store/client.js'
import { coarsestGrain, type Grain, planRollups, type RollupFilter, rollupSource } from './rollup-source.js'
import { type RunStats, STATS_COLUMNS, type StatsRow, toRunStats } from './run-stats.js'
import {
  type Bucket,
  bucketFor,
  floorTo,
  isoSeconds,
  type MinuteRange,
  minuteRange,
  type Window,
} from './window.js'

/** What to analyse: one experiment over a window ending now, optionally one operation or candidate. */
export interface ParityQuery {
  experiment: string
  window: Window
  /** The window's end, ms since the epoch (the request's clock). */
  now: number
  operation?: string | undefined
  candidate?: string | undefined
  /** How many differing paths to list (default 10). */
  topPaths?: number | undefined
}

/** A differing path: in how many mismatched runs it differed, and the highest severity seen on it. */
export interface DiffPathCount {
  path: string
  count: number
  severity: SeverityName
}

export type SeverityName = 'critical' | 'major' | 'minor' | 'cosmetic' | 'none'

/** One point of the time series, for charts. */
export interface SeriesPoint {
  /** Bucket start, ISO-8601 UTC. */
  t: string
  runs: number
  matches: number
  mismatches: number
  failed: number
  matchRate: number | null
  primaryP50: number | null
  primaryP95: number | null
  primaryP99: number | null
  shadowP50: number | null
  shadowP95: number | null
  shadowP99: number | null
}

/** The parity of an experiment over a window (the `GET /api/experiments/:name/parity` body). */
export interface ParityReport extends RunStats {
  experiment: string
  window: string
  /** First and last minute covered (ISO-8601 UTC); the last one holds `now`. */
  from: string
  to: string
  /** The series' bucket size, e.g. `1m`, `1h`. */
  bucket: string
  filters: { operation: string | null; candidate: string | null }
  topDiffPaths: DiffPathCount[]
  operations: (RunStats & { operation: string })[]
  candidates: (RunStats & { candidate: string })[]
  series: SeriesPoint[]
}

/** Parity of one experiment over a window, read from the rollups. */
export async function parity(store: Store, query: ParityQuery): Promise<ParityReport> {
  const range = minuteRange(query.window, query.now)
  const bucket = bucketFor(range)
  const filter: RollupFilter = {
    experiment: query.experiment,
    operation: query.operation,
    candidate: query.candidate,
  }
  const [groups, series, topDiffPaths] = await Promise.all([
    parityGroups(store, range, filter),
    paritySeries(store, range, filter, bucket),
    topPaths(store, range, filter, query.topPaths ?? 10),
  ])
  return {
    experiment: query.experiment,
    window: query.window.text,
    from: isoSeconds(range.fromMinute),
    to: isoSeconds(range.toMinute),
    bucket: bucket.text,
    filters: { operation: query.operation ?? null, candidate: query.candidate ?? null },
    ...groups.total,
    topDiffPaths,
    operations: groups.operations,
    candidates: groups.candidates,
    series,
  }
}

/** Parity numbers for the whole filter, per operation and per candidate. */
export interface ParityGroups {
  total: RunStats
  operations: (RunStats & { operation: string })[]
  candidates: (RunStats & { candidate: string })[]
}

interface GroupRow extends StatsRow {
  all_operations: number | string
  all_candidates: number | string
  operation: string
  candidate: string
}

/** One pass over the rollups: totals, per operation and per candidate (GROUPING SETS). */
export async function parityGroups(
  store: Store,
  range: MinuteRange,
  filter: RollupFilter,
): Promise<ParityGroups> {
  const source = rollupSource(store.database, 'runs', planRollups(range, 'day'), filter)
  const rows = await queryRows<GroupRow>(
    store,
    `SELECT grouping(operation) AS all_operations, grouping(candidate) AS all_candidates,
            operation, candidate, ${STATS_COLUMNS}
     FROM ${source.sql}
     GROUP BY GROUPING SETS ((), (operation), (candidate))`,
    source.params,
  )
  // grouping(x) is 1 on rows aggregated over every x (SQL standard), 0 on rows grouped by x.
  const byOperation = rows.filter((row) => Number(row.all_operations) === 0)
  const byCandidate = rows.filter((row) => Number(row.all_candidates) === 0)
  const total = rows.find((row) => Number(row.all_operations) === 1 && Number(row.all_candidates) === 1)
  const busiestFirst = (a: RunStats & { key: string }, b: RunStats & { key: string }) =>
    b.runs - a.runs || a.key.localeCompare(b.key)
  return {
    total: toRunStats(total),
    operations: byOperation
      .map((row) => ({ key: row.operation, ...toRunStats(row) }))
      .sort(busiestFirst)
      .map(({ key, ...stats }) => ({ operation: key, ...stats })),
    candidates: byCandidate
      .map((row) => ({ key: row.candidate, ...toRunStats(row) }))
      .sort(busiestFirst)
      .map(({ key, ...stats }) => ({ candidate: key, ...stats })),
  }
}

interface SeriesRow extends StatsRow {
  bucket: number | string
}

async function paritySeries(
  store: Store,
  range: MinuteRange,
  filter: RollupFilter,
  bucket: Bucket,
): Promise<SeriesPoint[]> {
  // A bucket may only take rollup rows that fit in it whole: days for 1d, hours for 1h and 6h.
  const grain: Grain = bucket.seconds % 86400 === 0 ? 'day' : bucket.seconds % 3600 === 0 ? 'hour' : 'minute'
  const source = rollupSource(store.database, 'runs', planRollups(range, grain), filter)
  const rows = await queryRows<SeriesRow>(
    store,
    `SELECT intDiv(toUnixTimestamp(t), {bucket_seconds:UInt32}) * {bucket_seconds:UInt32} AS bucket, ${STATS_COLUMNS}
     FROM ${source.sql}
     GROUP BY bucket
     ORDER BY bucket`,
    { ...source.params, bucket_seconds: bucket.seconds },
  )
  return fillSeries(range, bucket, new Map(rows.map((row) => [Number(row.bucket), toRunStats(row)])))
}

/** Every bucket of the range in order, empty buckets included (charts want a steady x axis). */
export function fillSeries(range: MinuteRange, bucket: Bucket, stats: Map<number, RunStats>): SeriesPoint[] {
  const points: SeriesPoint[] = []
  const last = floorTo(range.toMinute, bucket.seconds)
  for (let t = floorTo(range.fromMinute, bucket.seconds); t <= last; t += bucket.seconds) {
    const s = stats.get(t) ?? EMPTY_STATS
    points.push({
      t: isoSeconds(t),
      runs: s.runs,
      matches: s.outcomes.match,
      mismatches: s.outcomes.mismatch,
      failed: s.failed,
      matchRate: s.matchRate,
      primaryP50: s.latencyMs.primary.p50,
      primaryP95: s.latencyMs.primary.p95,
      primaryP99: s.latencyMs.primary.p99,
      shadowP50: s.latencyMs.shadow.p50,
      shadowP95: s.latencyMs.shadow.p95,
      shadowP99: s.latencyMs.shadow.p99,
    })
  }
  return points
}

const EMPTY_STATS = toRunStats(undefined)

interface PathRow {
  path: string
  count: number | string
  severity_rank: number | string
}

const SEVERITY_BY_RANK: SeverityName[] = ['none', 'cosmetic', 'minor', 'major', 'critical']

/** The name of a `diff_paths` severity rank (1 cosmetic … 4 critical). */
export function severityOfRank(rank: number): SeverityName {
  return SEVERITY_BY_RANK[rank] ?? 'none'
}

async function topPaths(
  store: Store,
  range: MinuteRange,
  filter: RollupFilter,
  limit: number,
): Promise<DiffPathCount[]> {
  const source = rollupSource(store.database, 'paths', planRollups(range, coarsestGrain('paths')), filter)
  const rows = await queryRows<PathRow>(
    store,
    `SELECT path, sum(runs) AS count, max(severity_rank) AS severity_rank
     FROM ${source.sql}
     GROUP BY path
     ORDER BY count DESC, path ASC
     LIMIT {top_paths:UInt32}`,
    { ...source.params, top_paths: limit },
  )
  return rows.map((row) => ({
    path: row.path,
    count: Number(row.count),
    severity: severityOfRank(Number(row.severity_rank)),
  }))
}
