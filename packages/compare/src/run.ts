/** The state of one comparison, and the bounded record of its differences. */

import { type PathSegment, renderPath } from './paths.js'
import { COSMETIC, severityOf } from './severity.js'
import type { Difference, DifferenceKind } from './types.js'

/** Stands for a property or item one side does not have. */
export const MISSING: unique symbol = Symbol('missing')

/** Thrown by the fast walk when it reaches `maxDepth`; the comparison restarts with cycle tracking. */
export const RESTART: unique symbol = Symbol('restart')

/** The state of one comparison. */
export interface Run {
  readonly path: PathSegment[]
  readonly kept: Difference[]
  readonly maxDifferences: number
  readonly maxDepth: number
  /** Kept differences by severity rank, to find the least severe to drop when full. */
  readonly keptByRank: number[]
  truncated: number
  /** Highest severity rank found so far. */
  top: number
  /** Set after a restart: track the pairs being compared, so cycles end. */
  readonly careful: boolean
  readonly inProgress: Map<object, Set<object>>
  /** While probing (does this pair match?) differences are not kept, only their highest severity. */
  probing: boolean
  probeTop: number
  /** Probe stops when it finds a severity above this. */
  probeLimit: number
  stop: boolean
}

/** A fresh run. */
export function newRun(maxDifferences: number, maxDepth: number, careful: boolean): Run {
  return {
    path: [],
    kept: [],
    maxDifferences,
    maxDepth,
    keptByRank: [0, 0, 0, 0, 0],
    truncated: 0,
    top: 0,
    careful,
    inProgress: new Map(),
    probing: false,
    probeTop: 0,
    probeLimit: 0,
    stop: false,
  }
}

/**
 * Record a difference at `run.path[0..depth)`. Beyond `maxDifferences`, the least severe kept
 * difference gives way to a more severe one, and every difference left out is counted.
 */
export function report(
  run: Run,
  depth: number,
  kind: DifferenceKind,
  primary: unknown,
  shadow: unknown,
  severity: number,
  note?: string,
): void {
  if (run.probing) {
    if (severity > run.probeTop) run.probeTop = severity
    if (severity > run.probeLimit) run.stop = true
    return
  }
  if (severity > run.top) run.top = severity
  const kept = run.kept
  if (kept.length >= run.maxDifferences) {
    run.truncated++
    let least = COSMETIC
    while (least < severity && run.keptByRank[least] === 0) least++
    if (least >= severity) return
    const name = severityOf(least)
    let i = kept.length - 1
    while ((kept[i] as Difference).severity !== name) i--
    kept.splice(i, 1)
    run.keptByRank[least] = (run.keptByRank[least] as number) - 1
  }
  // Field order as in DESIGN.md; the side that lacks the value has no field.
  const path = renderPath(run.path, depth)
  const named = severityOf(severity) as Difference['severity']
  const difference: Difference =
    kind === 'added'
      ? { path, kind, shadow, severity: named }
      : kind === 'removed'
        ? { path, kind, primary, severity: named }
        : { path, kind, primary, shadow, severity: named }
  if (note !== undefined) difference.note = note
  kept.push(difference)
  run.keptByRank[severity] = (run.keptByRank[severity] as number) + 1
}
