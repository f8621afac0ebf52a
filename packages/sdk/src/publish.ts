/**
 * The run as users see it (`onResult`, `MismatchError`): values cleaned by `clean` and masked by
 * `redact`, so nothing configured as private leaves the SDK.
 */
import type { Difference } from '@twinspan/compare'
import type { Served } from '@twinspan/conventions'
import { guard, type Report } from './guard.js'
import type { Judgement } from './judge.js'
import type { Observation } from './observe.js'
import type { AnyFunction, RunResult, SideResult } from './options.js'
import type { RunIdentity } from './record.js'
import { parsePath, type Redaction, redactValue, type Segment } from './redact.js'
import type { Settings } from './settings.js'

/** Build the published result of one candidate and hand it to `onResult` (guarded). */
export function publish<F extends AnyFunction>(
  settings: Settings<F>,
  identity: RunIdentity,
  candidate: string,
  primary: Observation,
  shadow: Observation,
  judgement: Judgement,
  served: Served,
  report: Report,
): RunResult {
  const { options, redaction } = settings
  const result: RunResult = {
    experiment: identity.experiment,
    runId: identity.runId,
    candidate,
    outcome: judgement.outcome,
    severity: judgement.comparison.severity,
    differences: redactDifferences(judgement.comparison.differences, redaction),
    served,
    primary: side(primary, settings, report),
    shadow: side(shadow, settings, report),
  }
  if (identity.operation !== undefined) result.operation = identity.operation
  const onResult = options.onResult
  if (onResult !== undefined) guard(report, 'onResult', undefined, () => onResult(result))
  return result
}

function side<F extends AnyFunction>(
  observation: Observation,
  settings: Settings<F>,
  report: Report,
): SideResult {
  const published: SideResult = { durationMs: observation.durationMs }
  if (observation.threw || observation.timedOut) published.error = observation.error
  else {
    const clean = settings.options.clean
    const value =
      clean === undefined
        ? observation.snapshot
        : guard(report, 'clean', observation.snapshot, () => clean(observation.snapshot as never))
    published.value = redactOrHide(value, settings.redaction, [])
  }
  return published
}

function redactDifferences(
  differences: readonly Difference[],
  redaction: Redaction | undefined,
): Difference[] {
  if (redaction === undefined) return [...differences]
  return differences.map((difference) => {
    const base = parsePath(String(difference.path))
    const copy: Difference = { ...difference }
    if ('primary' in difference) copy.primary = redactOrHide(difference.primary, redaction, base)
    if ('shadow' in difference) copy.shadow = redactOrHide(difference.shadow, redaction, base)
    return copy
  })
}

/** What replaces a value that could not be walked for redaction: never the raw value. */
export const UNREDACTABLE = '[UNREDACTABLE]'

function redactOrHide(value: unknown, redaction: Redaction | undefined, base: readonly Segment[]): unknown {
  if (redaction === undefined) return value
  try {
    return redactValue(value, redaction, base)
  } catch {
    return UNREDACTABLE // a throwing getter or a revoked proxy: hide it rather than leak it
  }
}
