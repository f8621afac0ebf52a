/**
 * The go/no-go decision, as pure functions: parity numbers and thresholds in, every check's actual
 * value, threshold and pass/fail out, so the reason for a verdict is always visible.
 */
import type { ReadinessThresholds } from '../config/experiments.js'
import type { RunStats } from './run-stats.js'

/** One readiness check. `ok` is false when the actual value is unknown (null). */
export interface ReadinessCheck {
  /** What is measured: samples, matchRate, p95DeltaPct, shadowErrorRate, criticalMismatches. */
  name: string
  ok: boolean
  actual: number | null
  threshold: number
  /** How actual must compare with threshold to pass. */
  comparator: '>=' | '<='
}

export type Verdict = 'go' | 'no-go'

/** The verdict on one set of runs (an experiment, or one of its operations). */
export interface ReadinessJudgement {
  verdict: Verdict
  checks: ReadinessCheck[]
}

/** Judge parity numbers against thresholds: `go` only when every check passes. */
export function judgeReadiness(stats: RunStats, thresholds: ReadinessThresholds): ReadinessJudgement {
  const checks: ReadinessCheck[] = [
    atLeast('samples', stats.runs, thresholds.minSamples),
    atLeast('matchRate', stats.matchRate, thresholds.minMatchRate),
    atMost('p95DeltaPct', stats.latencyMs.deltaPct.p95, thresholds.maxP95DeltaPct),
    atMost('shadowErrorRate', stats.errors.shadowRate, thresholds.maxShadowErrorRate),
  ]
  if (thresholds.maxCriticalMismatches !== null) {
    checks.push(atMost('criticalMismatches', stats.severities.critical, thresholds.maxCriticalMismatches))
  }
  return { verdict: checks.every((check) => check.ok) ? 'go' : 'no-go', checks }
}

function atLeast(name: string, actual: number | null, threshold: number): ReadinessCheck {
  return { name, ok: actual !== null && actual >= threshold, actual, threshold, comparator: '>=' }
}

function atMost(name: string, actual: number | null, threshold: number): ReadinessCheck {
  return { name, ok: actual !== null && actual <= threshold, actual, threshold, comparator: '<=' }
}

/** A failed check in words, e.g. `matchRate 0.95 < 0.995`. */
export function describeFailure(check: ReadinessCheck): string {
  const actual = check.actual === null ? 'unknown' : String(check.actual)
  const opposite = check.comparator === '>=' ? '<' : '>'
  return check.actual === null
    ? `${check.name} unknown (no runs to measure), needs ${check.comparator} ${check.threshold}`
    : `${check.name} ${actual} ${opposite} ${check.threshold}`
}
