import type { ReadinessConfig, ReadinessThresholds } from '../config/experiments.js'
import type { Store } from '../store/client.js'
import { type ParityGroups, parityGroups } from './parity.js'
import { describeFailure, judgeReadiness, type ReadinessCheck, type Verdict } from './readiness-checks.js'
import { type RunStats, toRunStats } from './run-stats.js'
import { isoSeconds, minuteRange, parseWindow, type Window } from './window.js'

/** Judge one experiment's readiness; `window` overrides the configured one. */
export interface ReadinessQuery {
  experiment: string
  config: ReadinessConfig
  now: number
  window?: Window | undefined
  candidate?: string | undefined
}

/** One operation's verdict, judged on its own runs with its effective thresholds. */
export interface OperationReadiness {
  operation: string
  verdict: Verdict
  runs: number
  checks: ReadinessCheck[]
  thresholds: ReadinessThresholds
  /** Threshold names set for this operation in `readiness.operations` (the rest are inherited). */
  overrides: string[]
}

/** One candidate's verdict over all its runs, when an experiment tries several. */
export interface CandidateReadiness {
  candidate: string
  verdict: Verdict
  runs: number
  checks: ReadinessCheck[]
}

/** The `GET /api/experiments/:name/readiness` body. */
export interface ReadinessReport {
  experiment: string
  /** `go` only when every experiment-wide check and every operation's checks pass. */
  verdict: Verdict
  window: string
  from: string
  to: string
  filters: { candidate: string | null }
  thresholds: ReadinessThresholds
  checks: ReadinessCheck[]
  operations: OperationReadiness[]
  candidates: CandidateReadiness[]
  /** Every failed check in words, experiment-wide first. Empty on `go`. */
  reasons: string[]
  /** The parity numbers the verdict was judged on. */
  stats: RunStats
}

const NO_RUNS = toRunStats(undefined)

/** Judge an experiment against its readiness thresholds over its window (rollups only). */
export async function readiness(store: Store, query: ReadinessQuery): Promise<ReadinessReport> {
  const window = query.window ?? parseWindow(query.config.window)
  const range = minuteRange(window, query.now)
  const groups = await parityGroups(store, range, {
    experiment: query.experiment,
    candidate: query.candidate,
  })
  return judgeExperiment(query, window, groups, isoSeconds(range.fromMinute), isoSeconds(range.toMinute))
}

/** Assemble the report from parity numbers: the pure part of {@link readiness}. */
export function judgeExperiment(
  query: Pick<ReadinessQuery, 'experiment' | 'config' | 'candidate'>,
  window: Window,
  groups: ParityGroups,
  from: string,
  to: string,
): ReadinessReport {
  const { operations: overrides, window: _window, ...thresholds } = query.config
  const overall = judgeReadiness(groups.total, thresholds)

  const seen = new Map(groups.operations.map((stats) => [stats.operation, stats]))
  // A run set without operations is one unnamed operation: judging it again would say nothing new.
  const named = [...seen.keys()].some((operation) => operation !== '')
  const names = new Set([...(named ? seen.keys() : []), ...Object.keys(overrides)])
  const operations = [...names].sort().map((operation): OperationReadiness => {
    const override = overrides[operation] ?? {}
    const effective = { ...thresholds, ...override }
    const stats = seen.get(operation) ?? NO_RUNS
    return {
      operation,
      runs: stats.runs,
      ...judgeReadiness(stats, effective),
      thresholds: effective,
      overrides: Object.keys(override),
    }
  })

  const candidates =
    groups.candidates.length > 1
      ? groups.candidates.map((stats) => ({
          candidate: stats.candidate,
          runs: stats.runs,
          ...judgeReadiness(stats, thresholds),
        }))
      : []

  const reasons = [
    ...overall.checks.filter((check) => !check.ok).map(describeFailure),
    ...operations.flatMap((op) =>
      op.checks
        .filter((check) => !check.ok)
        .map((check) => `operation "${op.operation}": ${describeFailure(check)}`),
    ),
  ]
  const verdict: Verdict =
    overall.verdict === 'go' && operations.every((op) => op.verdict === 'go') ? 'go' : 'no-go'
  return {
    experiment: query.experiment,
    verdict,
    window: window.text,
    from,
    to,
    filters: { candidate: query.candidate ?? null },
    thresholds,
    checks: overall.checks,
    operations,
    candidates,
    reasons,
    stats: groups.total,
  }
}
