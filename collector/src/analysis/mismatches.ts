import { queryRows, type Store } from '../store/client.js'
import { minuteRange, type Window } from './window.js'

/** Which failed runs to list. */
export interface MismatchQuery {
  experiment: string
  window: Window
  now: number
  limit: number
  /** `mismatch` (default), or `shadow_error` / `timeout` to see runs that could not be compared. */
  outcome?: DrillOutcome | undefined
  operation?: string | undefined
  candidate?: string | undefined
  /** Only runs of this highest severity. */
  severity?: string | undefined
  /** Only runs where this path differed. */
  path?: string | undefined
}

export const DRILL_OUTCOMES = ['mismatch', 'shadow_error', 'timeout'] as const
export type DrillOutcome = (typeof DRILL_OUTCOMES)[number]

/** The default and the largest `limit` of a mismatch listing. */
export const DEFAULT_MISMATCH_LIMIT = 50
export const MAX_MISMATCH_LIMIT = 500

/** One difference as the SDK exports it (values redacted and size-bounded). */
export interface RecordedDifference {
  path: string
  kind: string
  severity?: string
  primary?: unknown
  shadow?: unknown
}

/** One recorded run, with what a developer needs to find and replay it. */
export interface MismatchRun {
  time: string
  runId: string
  traceId: string
  primarySpanId: string
  shadowSpanId: string
  service: string
  operation: string
  candidate: string
  outcome: string
  severity: string
  /** How many differences there were (the list below may hold fewer: it is size-bounded). */
  diffCount: number
  diffPaths: string[]
  differences: RecordedDifference[]
  /** True when `differences` holds fewer entries than `diffCount`. */
  truncated: boolean
  primaryDurationMs: number
  shadowDurationMs: number
  served: string
  /** The primary's error type when it threw, else null. */
  primaryError: string | null
}

/** The `GET /api/experiments/:name/mismatches` body. */
export interface MismatchReport {
  experiment: string
  window: string
  limit: number
  outcome: DrillOutcome
  mismatches: MismatchRun[]
}

interface Row {
  time_iso: string
  run_id: string
  trace_id: string
  primary_span_id: string
  shadow_span_id: string
  service: string
  operation: string
  candidate: string
  outcome: string
  severity: string
  diff_count: number | string
  diff_paths: string[]
  diff: string
  primary_duration_ms: number | string
  shadow_duration_ms: number | string
  served: string
  primary_error: string
}

/** The most recent runs with the given outcome, newest first, from the raw runs table (drill-down). */
export async function mismatches(store: Store, query: MismatchQuery): Promise<MismatchReport> {
  const range = minuteRange(query.window, query.now)
  const outcome = query.outcome ?? 'mismatch'
  const params: Record<string, string | number> = {
    experiment: query.experiment,
    outcome,
    from: range.fromMinute,
    to: range.toMinute + 60,
    limit: query.limit,
  }
  const where = [
    'experiment = {experiment:String}',
    'time >= toDateTime64({from:Int64}, 9)',
    'time < toDateTime64({to:Int64}, 9)',
    'outcome = {outcome:String}',
  ]
  for (const key of ['operation', 'candidate', 'severity'] as const) {
    const value = query[key]
    if (value === undefined) continue
    params[key] = value
    where.push(`${key} = {${key}:String}`)
  }
  if (query.path !== undefined) {
    params.path = query.path
    where.push('has(diff_paths, {path:String})')
  }
  // FINAL: a span stored twice (a retried export) is one run here.
  const rows = await queryRows<Row>(
    store,
    `SELECT formatDateTime(time, '%Y-%m-%dT%H:%i:%S.%fZ', 'UTC') AS time_iso, run_id, trace_id,
            primary_span_id, shadow_span_id, service, operation, candidate, outcome, severity,
            diff_count, diff_paths, diff, primary_duration_ms, shadow_duration_ms, served, primary_error
     FROM \`${store.database}\`.parallel_runs FINAL
     WHERE ${where.join(' AND ')}
     ORDER BY time DESC, run_id ASC
     LIMIT {limit:UInt32}`,
    params,
  )
  return {
    experiment: query.experiment,
    window: query.window.text,
    limit: query.limit,
    outcome,
    mismatches: rows.map(toMismatchRun),
  }
}

function toMismatchRun(row: Row): MismatchRun {
  const differences = parseDifferences(row.diff)
  const diffCount = Number(row.diff_count)
  return {
    time: row.time_iso,
    runId: row.run_id,
    traceId: row.trace_id,
    primarySpanId: row.primary_span_id,
    shadowSpanId: row.shadow_span_id,
    service: row.service,
    operation: row.operation,
    candidate: row.candidate,
    outcome: row.outcome,
    severity: row.severity,
    diffCount,
    diffPaths: row.diff_paths,
    differences,
    truncated: differences.length < diffCount,
    primaryDurationMs: Number(row.primary_duration_ms),
    shadowDurationMs: Number(row.shadow_duration_ms),
    served: row.served,
    primaryError: row.primary_error === '' ? null : row.primary_error,
  }
}

/** The recorded differences; a missing or unreadable value reads as none (the paths still tell). */
export function parseDifferences(diff: string): RecordedDifference[] {
  if (diff === '') return []
  let parsed: unknown
  try {
    parsed = JSON.parse(diff)
  } catch {
    return []
  }
  if (!Array.isArray(parsed)) return []
  return parsed.filter(
    (entry): entry is RecordedDifference =>
      typeof entry === 'object' && entry !== null && typeof (entry as { path?: unknown }).path === 'string',
  )
}
