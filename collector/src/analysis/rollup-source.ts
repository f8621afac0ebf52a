import type { MinuteRange } from './window.js'

/** A half-open time span `[from, to)` in unix seconds. */
export interface TimeSpan {
  from: number
  to: number
}

/** The rollup grains, coarsest last. */
export type Grain = 'minute' | 'hour' | 'day'

/**
 * Which rollup rows cover a range: whole UTC days from the daily rollup, whole hours at the ragged
 * ends of those from the hourly one, whole minutes at the ends of those from the per-minute one.
 * Every rollup holds the same runs at a different grain, so the union counts each run once.
 */
export interface RollupPlan {
  days: TimeSpan[]
  hours: TimeSpan[]
  minutes: TimeSpan[]
}

const SECONDS: Record<Grain, number> = { minute: 60, hour: 3600, day: 86400 }
const FINER: Record<Grain, Grain | undefined> = { minute: undefined, hour: 'minute', day: 'hour' }
const PLAN_KEY: Record<Grain, keyof RollupPlan> = { minute: 'minutes', hour: 'hours', day: 'days' }

/**
 * Plan the reads for a minute range using grains up to `coarsest`. A 7-day window reads 7 daily
 * latency states per dimension plus at most 23 hours and 59 minutes of finer ones at its start,
 * instead of ~10,000 minutes' worth: reading t-digest states is what a parity query spends its time on.
 *
 * `untilNow`: the range ends at the present, so the current day's (or hour's) row holds nothing past
 * the range's end and is read whole instead of hour by hour and minute by minute. (A run stamped in
 * the future by a skewed clock then counts as now.)
 */
export function planRollups(range: MinuteRange, coarsest: Grain, untilNow = true): RollupPlan {
  const plan: RollupPlan = { days: [], hours: [], minutes: [] }
  cover({ from: range.fromMinute, to: range.toMinute + 60 }, coarsest, untilNow, plan)
  return plan
}

function cover(span: TimeSpan, grain: Grain, untilNow: boolean, plan: RollupPlan): void {
  if (span.from >= span.to) return
  const finer = FINER[grain]
  const step = SECONDS[grain]
  const first = Math.ceil(span.from / step) * step
  const end = (untilNow ? Math.ceil(span.to / step) : Math.floor(span.to / step)) * step
  if (finer === undefined || first >= end) {
    if (finer === undefined) plan[PLAN_KEY[grain]].push(span)
    else cover(span, finer, untilNow, plan)
    return
  }
  plan[PLAN_KEY[grain]].push({ from: first, to: end })
  cover({ from: span.from, to: first }, finer, false, plan)
  cover({ from: end, to: span.to }, finer, untilNow, plan)
}

/** Every stored day: the daily rollup alone holds all runs (its current day fills as runs arrive). */
export function allTimePlan(): RollupPlan {
  return { days: [{ from: 0, to: 4_102_444_800 /* 2100-01-01 */ }], hours: [], minutes: [] }
}

/** Which rollup family to read: run counts and latency states, or differing paths. */
export type RollupKind = 'runs' | 'paths'

interface RollupTables {
  tables: Partial<Record<Grain, string>>
  columns: string
}

const TABLES: Record<RollupKind, RollupTables> = {
  runs: {
    tables: { minute: 'parallel_runs_1m', hour: 'parallel_runs_1h', day: 'parallel_runs_1d' },
    columns:
      'experiment, candidate, operation, runs, matches, mismatches, shadow_errors, timeouts, primary_errors, ' +
      'critical, major, minor, cosmetic, primary_ms, shadow_ms',
  },
  paths: {
    // Paths have no daily rollup: their hourly table is small enough to scan for any window.
    tables: { minute: 'diff_paths_1m', hour: 'diff_paths_1h' },
    columns: 'experiment, candidate, operation, path, runs, severity_rank',
  },
}

/** The coarsest grain a rollup family has. */
export function coarsestGrain(kind: RollupKind): Grain {
  return TABLES[kind].tables.day ? 'day' : 'hour'
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
 * A subquery over the planned rollup rows: column `t` (the row's minute, hour or day) and the
 * kind's columns, rows still in aggregate-state form (merge them with sum / quantilesTDigestMerge).
 * Every user value is a query parameter.
 */
export function rollupSource(
  database: string,
  kind: RollupKind,
  plan: RollupPlan,
  filter: RollupFilter,
): SqlFragment {
  const family = TABLES[kind]
  const params: Record<string, string | number> = {}
  const dimensions: string[] = []
  for (const key of ['experiment', 'candidate', 'operation'] as const) {
    const value = filter[key]
    if (value === undefined) continue
    params[key] = value
    dimensions.push(`${key} = {${key}:String}`)
  }
  const branches: string[] = []
  for (const grain of ['day', 'hour', 'minute'] as const) {
    const spans = plan[PLAN_KEY[grain]]
    if (spans.length === 0) continue
    const table = family.tables[grain]
    if (table === undefined) throw new Error(`no ${grain} rollup for ${kind}`)
    const name = PLAN_KEY[grain]
    const times = spans.map((span, i) => {
      params[`${name}${i}_from`] = span.from
      params[`${name}${i}_to`] = span.to
      return `(${grain} >= toDateTime({${name}${i}_from:Int64}) AND ${grain} < toDateTime({${name}${i}_to:Int64}))`
    })
    const where = [...dimensions, `(${times.join(' OR ')})`]
    branches.push(
      `SELECT ${grain} AS t, ${family.columns} FROM \`${database}\`.${table} WHERE ${where.join(' AND ')}`,
    )
  }
  if (branches.length === 0) throw new Error('empty rollup plan')
  return { sql: `(${branches.join('\nUNION ALL\n')})`, params }
}
