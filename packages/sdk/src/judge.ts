/**
 * How two observations compare: the run's outcome, severity and differences. Values go to the
 * `@twinspan/compare` engine (or the user's compare function), errors to `compareErrors`.
 */
import {
  type CompareOptions,
  type Comparison,
  compare,
  compareErrors,
  type Difference,
} from '@twinspan/compare'
import type { Outcome, Severity } from '@twinspan/conventions'
import { describeError } from './errors.js'
import { guard, isThenable, type Report } from './guard.js'
import type { Observation } from './observe.js'
import type { AnyFunction, CompareFunction } from './options.js'

/** The result of comparing one shadow's observation with the primary's. */
export interface Judgement {
  readonly outcome: Outcome
  readonly comparison: Comparison
}

const NOTHING_COMPARED: Comparison = Object.freeze({
  matches: false,
  severity: 'none',
  differences: Object.freeze([]) as unknown as Comparison['differences'],
})

/** Judge `shadow` against `primary`. Never throws: a failing compare is reported and counts as a mismatch. */
export function judge<F extends AnyFunction>(
  primary: Observation,
  shadow: Observation,
  how: CompareOptions | CompareFunction<F> | undefined,
  report: Report,
): Judgement {
  if (shadow.timedOut) return { outcome: 'timeout', comparison: NOTHING_COMPARED }
  if (shadow.threw && !primary.threw) return { outcome: 'shadow_error', comparison: NOTHING_COMPARED }
  const severity = defaultSeverityOf(how)
  let comparison: Comparison
  if (primary.threw && shadow.threw) {
    comparison = guard(report, 'compare', failedCompare(primary, shadow, severity), () =>
      compareErrors(primary.error, shadow.error),
    )
  } else if (primary.threw) {
    comparison = unequal(severity, {
      path: '',
      kind: 'type',
      primary: describeError(primary.error),
      shadow: shadow.snapshot,
    })
  } else {
    // not `guard`: its fallback would be built on every run, and this is the path every run takes
    try {
      comparison = compareValues(primary.snapshot, shadow.snapshot, how, severity)
    } catch (error) {
      report('compare', error)
      comparison = failedCompare(primary, shadow, severity)
    }
  }
  return { outcome: comparison.matches ? 'match' : 'mismatch', comparison }
}

function compareValues<F extends AnyFunction>(
  primary: unknown,
  shadow: unknown,
  how: CompareOptions | CompareFunction<F> | undefined,
  severity: Severity,
): Comparison {
  if (typeof how !== 'function') return compare(primary, shadow, how)
  const verdict: unknown = how(primary as never, shadow as never)
  if (typeof verdict === 'boolean')
    return verdict
      ? { matches: true, severity: 'none', differences: [] }
      : unequal(severity, { path: '', kind: 'changed', primary, shadow })
  if (isThenable(verdict))
    throw new TypeError('compare returned a promise; compare functions must be synchronous')
  if (verdict === null || typeof verdict !== 'object' || typeof (verdict as Comparison).matches !== 'boolean')
    throw new TypeError('compare must return a boolean or a Comparison ({ matches, severity, differences })')
  const comparison = verdict as Comparison
  return {
    ...comparison,
    severity: comparison.severity ?? (comparison.matches ? 'none' : severity),
    differences: Array.isArray(comparison.differences) ? comparison.differences : [],
  }
}

/** The comparison recorded when compare itself failed: a mismatch, so the failure is seen. */
function failedCompare(primary: Observation, shadow: Observation, severity: Severity): Comparison {
  return unequal(severity, {
    path: '',
    kind: 'changed',
    primary: primary.threw ? describeError(primary.error) : primary.snapshot,
    shadow: shadow.threw ? describeError(shadow.error) : shadow.snapshot,
  })
}

function unequal(severity: Severity, difference: Omit<Difference, 'severity'>): Comparison {
  return { matches: false, severity, differences: [{ ...difference, severity }] }
}

function defaultSeverityOf<F extends AnyFunction>(
  how: CompareOptions | CompareFunction<F> | undefined,
): Severity {
  return (typeof how === 'object' && how?.defaultSeverity) || 'major'
}
