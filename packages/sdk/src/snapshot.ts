/**
 * Snapshots: the value compared is copied before the caller gets it, so a caller mutating its
 * result cannot create a false mismatch (trello/scientist #10).
 */
import { guard, type Report } from './guard.js'
import type { Observation } from './observe.js'

/**
 * `observation` with its value snapshotted: by `clone` when given (a throwing `clone` is reported
 * and the value itself is used), else by `structuredClone`. A value `structuredClone` cannot copy
 * (functions, class instances holding them, …) is compared as it is rather than failing the run.
 */
export function withSnapshot(
  observation: Observation,
  clone: ((value: never) => unknown) | undefined,
  report: Report,
): Observation {
  if (observation.threw || observation.timedOut) return observation
  const value = observation.value
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return observation
  const snapshot =
    clone !== undefined
      ? guard(report, 'clone', value, () => clone(value as never))
      : structuredCloneOr(value)
  return { ...observation, snapshot }
}

function structuredCloneOr(value: unknown): unknown {
  try {
    return structuredClone(value)
  } catch {
    return value
  }
}
