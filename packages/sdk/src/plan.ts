/**
 * What one run will do, decided before anything starts: skip the shadows (and why), or run them
 * and serve the primary's answer or a candidate's. Order: kill switch, cohort place, sample,
 * in-flight cap. The served share is always compared, so it counts as sampled.
 */
import { guard, type Report } from './guard.js'
import type { AnyFunction, SampleKey, SkipReason } from './options.js'
import { cohortOf } from './sampling.js'
import type { Settings } from './settings.js'

/** A run that runs its shadows; `served` names the candidate whose answer the caller gets, if any. */
export interface Plan {
  readonly served: string | undefined
}

const SERVE_PRIMARY: Plan = Object.freeze({ served: undefined })
const NO_KEY = Symbol('sampleKey failed')

/** Decide the run of `args`. Callbacks are guarded; a failing one skips the shadows. */
export function plan<F extends AnyFunction>(
  settings: Settings<F>,
  args: Parameters<F>,
  inFlight: number,
  report: Report,
): Plan | SkipReason {
  const { options } = settings
  const enabled = options.enabled
  if (enabled === false) return 'disabled'
  if (typeof enabled === 'function') {
    const on = guard(report, 'enabled', undefined, () => enabled(...args))
    if (on === undefined) return 'callback_error'
    if (!on) return 'disabled'
  }

  const sampleRate = options.sampleRate ?? 1
  const share = settings.serveShare
  let place = 0
  if (sampleRate < 1 || (share > 0 && share < 1)) {
    const sampleKey = options.sampleKey
    const key: SampleKey | typeof NO_KEY =
      sampleKey === undefined
        ? undefined
        : guard<SampleKey | typeof NO_KEY>(report, 'sampleKey', NO_KEY, () => sampleKey(...args))
    if (key === NO_KEY) return 'callback_error'
    place = key === undefined || key === null ? Math.random() : cohortOf(options.name, key)
  }
  const served = place < share
  if (!served && !(place < sampleRate)) return 'sampled_out'
  if (inFlight >= (options.maxInFlight ?? Infinity)) return 'max_in_flight'
  return served ? { served: settings.serveCandidate } : SERVE_PRIMARY
}
