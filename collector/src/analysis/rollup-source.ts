import type { MinuteRange } from './window.js'

/** A half-open time span `[from, to)` in unix seconds. */
export interface TimeSpan {
  from: number
  to: number
}

/**
 * Which rollup rows cover a range: whole hours from the hourly rollup, the ragged ends from the
 * per-minute one. Both hold the same runs at different grains, so the union counts each run once.
 */
export interface RollupPlan {
  /** Whole hours read from the hourly rollup; absent when the range holds none (or grain is minute). */
  hours?: TimeSpan
  /** Minute spans read from the per-minute rollup. */
  minutes: TimeSpan[]
}

const HOUR = 3600

/**
 * Plan the reads for a minute range. `hour` grain takes every whole hour from the hourly rollup
 * (a 7-day window reads ~170 rows per series instead of ~10,000); `minute` grain reads only the
 * per-minute rollup, for series finer than an hour.
 */
export function planRollups(range: MinuteRange, grain: 'minute' | 'hour'): RollupPlan {
  const from = range.fromMinute
  const to = range.toMinute + 60
  if (grain === 'minute') return { minutes: [{ from, to }] }
  const firstHour = Math.ceil(from / HOUR) * HOUR
  const endHour = Math.floor(to / HOUR) * HOUR
  if (firstHour >= endHour) return { minutes: [{ from, to }] }
  const minutes: TimeSpan[] = []
  if (from < firstHour) minutes.push({ from, to: firstHour })
  if (endHour < to) minutes.push({ from: endHour, to })
  return { hours: { from: firstHour, to: endHour }, minutes }
}

/** Every stored hour: the hourly rollup alone holds all runs (its current hour fills as runs arrive). */
export function allTimePlan(): RollupPlan {
  return { hours: { from: 0, to: 4_102_444_800 /* 2100-01-01 */ }, minutes: [] }
}

/** Which rollup family to read: run counts and latency states, or differing paths. */
export type RollupKind = 'runs' | 'paths'

const TABLES: Record<RollupKind, { minute: string; hour: string; columns: string }> = {
  runs: {
    minute: 'parallel_runs_1m',
    hour: 'parallel_runs_1h',
    columns:
      'experiment, candidate, operation, runs, matches, mismatches, shadow_errors, timeouts, primary_errors, ' +
      'critical, major, minor, cosmetic, primary_ms, shadow_ms',
  },
  paths: {
    minute: 'diff_paths_1m',
    hour: 'diff_paths_1h',
    columns: 'experiment, candidate, operation, path, runs, severity_rank',
  },
}

/** Optional equality filters on the rollups' dimensions. */
export interface RollupFilter {
  experiment?: string | undefined
  candidate?: string | undefined
  operation?: string | undefined
}

/** SQL text plus the values of its `{name:Type}` placeholders. */
export interface SqlFragment {
  sql: string
  params: Record<string, string | number>
}

/**
 * A subquery over the planned rollup rows: column `t` (the row's minute or hour) and the kind's
 * columns, rows still in aggregate-state form (merge them with sum / quantilesTDigestMerge).
 * Every user value is a query parameter.
 */
export function rollupSource(
  database: string,
  kind: RollupKind,
  plan: RollupPlan,
  filter: RollupFilter,
): SqlFragment {
  const table = TABLES[kind]
  const params: Record<string, string | number> = {}
  const dimensions: string[] = []
  for (const key of ['experiment', 'candidate', 'operation'] as const) {
    const value = filter[key]
    if (value === undefined) continue
    params[key] = value
    dimensions.push(`${key} = {${key}:String}`)
  }
  const branches: string[] = []
  if (plan.hours) {
    params.hours_from = plan.hours.from
    params.hours_to = plan.hours.to
    const where = [
      ...dimensions,
      'hour >= toDateTime({hours_from:Int64})',
      'hour < toDateTime({hours_to:Int64})',
    ]
    branches.push(
      `SELECT hour AS t, ${table.columns} FROM \`${database}\`.${table.hour} WHERE ${where.join(' AND ')}`,
    )
  }
  if (plan.minutes.length > 0) {
    const spans = plan.minutes.map((span, i) => {
      params[`minutes${i}_from`] = span.from
      params[`minutes${i}_to`] = span.to
      return `(minute >= toDateTime({minutes${i}_from:Int64}) AND minute < toDateTime({minutes${i}_to:Int64}))`
    })
    const where = [...dimensions, `(${spans.join(' OR ')})`]
    branches.push(
      `SELECT minute AS t, ${table.columns} FROM \`${database}\`.${table.minute} WHERE ${where.join(' AND ')}`,
    )
  }
  if (branches.length === 0) throw new Error('empty rollup plan')
  return { sql: `(${branches.join('\nUNION ALL\n')})`, params }
}
