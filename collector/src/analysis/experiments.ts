import { queryRows, type Store } from '../store/client.js'
import { NotFoundError } from './errors.js'
import { allTimePlan, planRollups, rollupSource } from './rollup-source.js'
import { type RunStats, STATS_COLUMNS, type StatsRow, toRunStats } from './run-stats.js'
import { minuteRange, type Window } from './window.js'

/** Headline numbers of one experiment: the parity headline plus when it was first and last seen. */
export interface ExperimentSummary extends RunStats {
  name: string
  /** The window the numbers cover, or null for everything stored. */
  window: string | null
  /** Mismatched runs (also in `outcomes.mismatch`). */
  mismatches: number
  /** First and last run ever stored (ISO-8601 UTC, nanoseconds), whatever the window. */
  firstSeen: string
  lastSeen: string
}

/** Which numbers to list: everything stored, or a window ending at `now`. */
export interface ExperimentListQuery {
  window?: Window | undefined
  now?: number | undefined
}

interface StatsByExperiment extends StatsRow {
  experiment: string
}

interface SeenRow {
  experiment: string
  first_seen_at: string
  last_seen_at: string
}

/** Every experiment in the store with its headline numbers, most recently seen first (rollups only). */
export async function listExperiments(
  store: Store,
  query: ExperimentListQuery = {},
): Promise<ExperimentSummary[]> {
  const db = store.database
  const plan = query.window
    ? planRollups(minuteRange(query.window, query.now ?? Date.now()), 'day')
    : allTimePlan()
  const source = rollupSource(db, 'runs', plan, {})
  const [stats, seen] = await Promise.all([
    queryRows<StatsByExperiment>(
      store,
      `SELECT experiment, ${STATS_COLUMNS} FROM ${source.sql} GROUP BY experiment`,
      source.params,
    ),
    queryRows<SeenRow>(
      store,
      `SELECT experiment,
              formatDateTime(min(first_seen), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS first_seen_at,
              formatDateTime(max(last_seen), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS last_seen_at
       FROM \`${db}\`.parallel_runs_1d
       GROUP BY experiment
       ORDER BY last_seen_at DESC, experiment ASC`,
    ),
  ])
  const byName = new Map(stats.map((row) => [row.experiment, row]))
  return seen.map((row) => {
    const headline = toRunStats(byName.get(row.experiment))
    return {
      name: row.experiment,
      window: query.window?.text ?? null,
      ...headline,
      mismatches: headline.outcomes.mismatch,
      firstSeen: row.first_seen_at,
      lastSeen: row.last_seen_at,
    }
  })
}

/** Throw {@link NotFoundError} unless the store holds runs of `experiment`. */
export async function requireExperiment(store: Store, experiment: string): Promise<void> {
  const rows = await queryRows<{ experiment: string }>(
    store,
    `SELECT experiment FROM \`${store.database}\`.parallel_runs_1d
     WHERE experiment = {experiment:String} LIMIT 1`,
    { experiment },
  )
  if (rows.length === 0) {
    throw new NotFoundError(
      `no experiment named "${experiment}": no runs stored and none configured (see GET /api/experiments)`,
    )
  }
}
