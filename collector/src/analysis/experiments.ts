import { queryRows, type Store } from '../store/client.js'

/** Headline numbers of one experiment. */
export interface ExperimentSummary {
  name: string
  runs: number
  /** match / (match + mismatch); null before any run was compared. */
  matchRate: number | null
  mismatches: number
  /** shadow_error + timeout: runs that could not be compared. */
  failed: number
  lastSeen: string
}

interface Row {
  name: string
  runs: number | string
  matches: number | string
  mismatches: number | string
  failed: number | string
  last_seen: string
}

/** Every experiment seen in the store, with run counts and match rate, most recently seen first. */
export async function listExperiments(store: Store): Promise<ExperimentSummary[]> {
  const rows = await queryRows<Row>(
    store,
    `SELECT experiment AS name,
            count() AS runs,
            countIf(outcome = 'match') AS matches,
            countIf(outcome = 'mismatch') AS mismatches,
            countIf(outcome IN ('shadow_error', 'timeout')) AS failed,
            formatDateTime(max(time), '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS last_seen
     FROM \`${store.database}\`.parallel_runs FINAL
     GROUP BY experiment
     ORDER BY max(time) DESC`,
  )
  // A server quotes 64-bit integers in JSON, chDB may not: coerce.
  return rows.map((row) => {
    const matches = Number(row.matches)
    const mismatches = Number(row.mismatches)
    return {
      name: row.name,
      runs: Number(row.runs),
      matchRate: matches + mismatches === 0 ? null : matches / (matches + mismatches),
      mismatches,
      failed: Number(row.failed),
      lastSeen: row.last_seen,
    }
  })
}
