/**
 * The structural walk. It keeps the current path as a stack of segments and renders a path
 * string only when it records a difference, so equal subtrees cost no allocation. Identical
 * values return at once, and where no rule pattern can reach (`states === null`) the walk does
 * no rule work at all.
 */

import { deepEqual } from './deep-equal.js'
import type { Label, PathSegment } from './paths.js'
import { renderPath } from './paths.js'
import {
  type CompiledRule,
  type RuleNode,
  ruleAt,
  type States,
  stepIndex,
  stepKey,
  stepLabel,
} from './rules.js'
import { COSMETIC, severityOf } from './severity.js'
import type { Difference, DifferenceKind } from './types.js'
import { diffMultiset, diffUnordered } from './unordered.js'
import {
  BYTES,
  builtinTag,
  bytesOf,
  DATE,
  describeThrown,
  ERROR,
  errorFields,
  firstByteDifference,
  isObject,
  isStackOverflow,
  leafKind,
  MAP,
  OBJECT,
  REGEXP,
  SET,
  tagOf,
} from './values.js'

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

/** Compare two values at `depth` (the path is `run.path[0..depth)`), recording their differences. */
export function walk(
  run: Run,
  primary: unknown,
  shadow: unknown,
  depth: number,
  states: States,
  severity: number,
): void {
  if (primary === shadow) return
  if (states !== null) {
    const rule = ruleAt(states)
    if (rule !== null) {
      if (rule.ignore) return
      if (rule.severity !== 0) severity = rule.severity
      if (rule.acts) {
        walkRuled(run, primary, shadow, depth, states, severity, rule)
        return
      }
    }
  }
  diffValues(run, primary, shadow, depth, states, severity)
}

function diffValues(
  run: Run,
  primary: unknown,
  shadow: unknown,
  depth: number,
  states: States,
  severity: number,
): void {
  if (typeof primary === 'object' && primary !== null && typeof shadow === 'object' && shadow !== null) {
    if (depth >= run.maxDepth) beyondMaxDepth(run, primary, shadow, depth, severity)
    else if (run.careful) diffTracked(run, primary, shadow, depth, states, severity)
    else diffObjects(run, primary, shadow, depth, states, severity)
    return
  }
  if (primary === MISSING) report(run, depth, 'added', undefined, shadow, severity)
  else if (shadow === MISSING) report(run, depth, 'removed', primary, undefined, severity)
  else {
    const kind = leafKind(primary, shadow)
    if (kind !== null) report(run, depth, kind, primary, shadow, severity)
  }
}

function beyondMaxDepth(run: Run, primary: object, shadow: object, depth: number, severity: number): void {
  if (!run.careful) throw RESTART
  if (deepEqual(primary, shadow)) return
  const note = `nested deeper than maxDepth (${run.maxDepth}): compared as a whole, without rules`
  report(run, depth, 'changed', primary, shadow, severity, note)
}

/** diffObjects, treating a pair already being compared further up as equal, so cycles end. */
function diffTracked(
  run: Run,
  primary: object,
  shadow: object,
  depth: number,
  states: States,
  severity: number,
): void {
  let partners = run.inProgress.get(primary)
  if (partners === undefined) {
    partners = new Set()
    run.inProgress.set(primary, partners)
  } else if (partners.has(shadow)) return
  partners.add(shadow)
  try {
    diffObjects(run, primary, shadow, depth, states, severity)
  } finally {
    partners.delete(shadow)
  }
}

function diffObjects(
  run: Run,
  primary: object,
  shadow: object,
  depth: number,
  states: States,
  severity: number,
): void {
  const isArray = Array.isArray(primary)
  if (isArray || Array.isArray(shadow)) {
    if (isArray && Array.isArray(shadow)) diffArrays(run, primary, shadow, depth, states, severity)
    else report(run, depth, 'type', primary, shadow, severity)
    return
  }
  const tag = tagOf(primary)
  if (tag !== tagOf(shadow)) {
    report(run, depth, 'type', primary, shadow, severity)
    return
  }
  switch (tag) {
    case OBJECT:
      diffProperties(
        run,
        primary as Record<string, unknown>,
        shadow as Record<string, unknown>,
        depth,
        states,
        severity,
      )
      return
    case DATE: {
      const left = (primary as Date).getTime()
      const right = (shadow as Date).getTime()
      if (left !== right && !(Number.isNaN(left) && Number.isNaN(right)))
        report(run, depth, 'changed', primary, shadow, severity)
      return
    }
    case MAP:
      diffMaps(
        run,
        primary as Map<unknown, unknown>,
        shadow as Map<unknown, unknown>,
        depth,
        states,
        severity,
      )
      return
    case SET:
      diffMultiset(
        run,
        [...(primary as Set<unknown>)],
        [...(shadow as Set<unknown>)],
        depth,
        states,
        severity,
      )
      return
    case REGEXP:
      if (String(primary) !== String(shadow)) report(run, depth, 'changed', primary, shadow, severity)
      return
    case BYTES:
      diffBytes(run, primary, shadow, depth, severity)
      return
    case ERROR:
      diffProperties(
        run,
        errorFields(primary as Error),
        errorFields(shadow as Error),
        depth,
        states,
        severity,
      )
      return
  }
}

// A property holding `undefined` counts as missing, as it would once serialised.
function diffProperties(
  run: Run,
  primary: Record<string, unknown>,
  shadow: Record<string, unknown>,
  depth: number,
  states: States,
  severity: number,
): void {
  const primaryKeys = Object.keys(primary)
  const shadowKeys = Object.keys(shadow)
  const path = run.path
  const next = depth + 1
  let shared = 0
  for (let i = 0; i < primaryKeys.length; i++) {
    const key = primaryKeys[i] as string
    const left = primary[key]
    if (Object.hasOwn(shadow, key)) {
      shared++
      const right = shadow[key]
      if (left === right) continue
      path[depth] = key
      const childStates = states === null ? null : stepKey(states, key)
      walk(
        run,
        left === undefined ? MISSING : left,
        right === undefined ? MISSING : right,
        next,
        childStates,
        severity,
      )
    } else if (left !== undefined) {
      path[depth] = key
      walk(run, left, MISSING, next, states === null ? null : stepKey(states, key), severity)
    }
    if (run.stop) return
  }
  if (shared === shadowKeys.length) return
  for (let i = 0; i < shadowKeys.length; i++) {
    const key = shadowKeys[i] as string
    if (Object.hasOwn(primary, key)) continue
    const right = shadow[key]
    if (right === undefined) continue
    path[depth] = key
    walk(run, MISSING, right, next, states === null ? null : stepKey(states, key), severity)
    if (run.stop) return
  }
}

function diffArrays(
  run: Run,
  primary: unknown[],
  shadow: unknown[],
  depth: number,
  states: States,
  severity: number,
): void {
  const path = run.path
  const next = depth + 1
  const common = Math.min(primary.length, shadow.length)
  for (let i = 0; i < common; i++) {
    const left = primary[i]
    const right = shadow[i]
    if (left === right) continue
    path[depth] = i
    walk(run, left, right, next, states === null ? null : stepIndex(states, i), severity)
    if (run.stop) return
  }
  for (let i = common; i < primary.length; i++) {
    path[depth] = i
    walk(run, primary[i], MISSING, next, states === null ? null : stepIndex(states, i), severity)
    if (run.stop) return
  }
  for (let i = common; i < shadow.length; i++) {
    path[depth] = i
    walk(run, MISSING, shadow[i], next, states === null ? null : stepIndex(states, i), severity)
    if (run.stop) return
  }
}

// Entries are matched by key: primitive keys by value, object keys by deep equality.
function diffMaps(
  run: Run,
  primary: Map<unknown, unknown>,
  shadow: Map<unknown, unknown>,
  depth: number,
  states: States,
  severity: number,
): void {
  const objectKeys: unknown[] = []
  for (const [key, left] of primary) {
    if (isObject(key)) {
      objectKeys.push(key)
      continue
    }
    const right = shadow.has(key) ? shadow.get(key) : MISSING
    if (left !== right) walkEntry(run, key, left, right, depth, states, severity)
    if (run.stop) return
  }
  const unmatched = new Set<unknown>()
  for (const key of shadow.keys()) if (isObject(key)) unmatched.add(key)
  for (const key of objectKeys) {
    let partner: unknown = MISSING
    for (const candidate of unmatched) {
      if (deepEqual(key, candidate)) {
        partner = candidate
        break
      }
    }
    unmatched.delete(partner)
    walkEntry(
      run,
      key,
      primary.get(key),
      partner === MISSING ? MISSING : shadow.get(partner),
      depth,
      states,
      severity,
    )
    if (run.stop) return
  }
  for (const [key, right] of shadow) {
    if (isObject(key) ? unmatched.has(key) : !primary.has(key))
      walkEntry(run, key, MISSING, right, depth, states, severity)
    if (run.stop) return
  }
}

function walkEntry(
  run: Run,
  key: unknown,
  primary: unknown,
  shadow: unknown,
  depth: number,
  states: States,
  severity: number,
): void {
  let childStates: States = null
  if (typeof key === 'string') {
    run.path[depth] = key
    if (states !== null) childStates = stepKey(states, key)
  } else {
    const label: Label = { name: null, value: key }
    run.path[depth] = label
    if (states !== null) childStates = stepLabel(states, label)
  }
  walk(run, primary, shadow, depth + 1, childStates, severity)
}

// Binary data is one value: a single difference names the first differing byte.
function diffBytes(run: Run, primary: object, shadow: object, depth: number, severity: number): void {
  if (builtinTag(primary) !== builtinTag(shadow)) {
    report(run, depth, 'type', primary, shadow, severity)
    return
  }
  const left = bytesOf(primary)
  const right = bytesOf(shadow)
  const at = firstByteDifference(left, right)
  if (at < 0) return
  const note = `${left.length} bytes vs ${right.length} bytes, first difference at byte ${at}`
  report(run, depth, 'changed', primary, shadow, severity, note)
}

/** Compare under a rule that changes how values are compared: normalize, compare, tolerances, unordered. */
function walkRuled(
  run: Run,
  primary: unknown,
  shadow: unknown,
  depth: number,
  states: RuleNode | RuleNode[],
  severity: number,
  rule: CompiledRule,
): void {
  if (primary === MISSING || shadow === MISSING) {
    diffValues(run, primary, shadow, depth, states, severity)
    return
  }
  let left = primary
  let right = shadow
  if (rule.normalize !== null) {
    try {
      left = rule.normalize(primary)
      right = rule.normalize(shadow)
    } catch (error) {
      if (isStackOverflow(error)) throw error
      report(run, depth, 'changed', primary, shadow, severity, `normalize threw ${describeThrown(error)}`)
      return
    }
    if (left === right) return
  }
  if (rule.compare !== null) {
    let equal: boolean
    try {
      equal = Boolean(rule.compare(left, right))
    } catch (error) {
      if (isStackOverflow(error)) throw error
      report(run, depth, 'changed', primary, shadow, severity, `compare threw ${describeThrown(error)}`)
      return
    }
    if (!equal) report(run, depth, 'changed', primary, shadow, severity)
    return
  }
  if ((rule.tolerance >= 0 || rule.relTolerance >= 0) && isNumeric(left, right)) {
    const note = toleranceExceeded(left, right, rule)
    if (note !== null) report(run, depth, 'changed', primary, shadow, severity, note)
    return
  }
  if (rule.unordered && Array.isArray(left) && Array.isArray(right)) {
    diffUnordered(run, left, right, depth, states, severity, rule)
    return
  }
  if (rule.normalize !== null && (!isObject(left) || !isObject(right))) {
    // Report what each side said, not the normalised form.
    const kind = leafKind(left, right)
    if (kind !== null) report(run, depth, kind, primary, shadow, severity)
    return
  }
  diffValues(run, left, right, depth, states, severity)
}

function isNumeric(left: unknown, right: unknown): left is number | bigint {
  const type = typeof left
  return (type === 'number' || type === 'bigint') && typeof right === type
}

/**
 * Null when `|primary - shadow|` is strictly below the tolerance (absolute or relative to the
 * larger magnitude), else a note. A difference of exactly the tolerance is reported, whatever
 * floating-point rounding made of it: 100 vs 100.01 with tolerance 0.01 is a difference.
 */
function toleranceExceeded(primary: number | bigint, shadow: unknown, rule: CompiledRule): string | null {
  let delta: number
  let scale: number
  if (typeof primary === 'bigint') {
    const difference = primary - (shadow as bigint)
    delta = Number(difference < 0n ? -difference : difference)
    scale = Math.max(Math.abs(Number(primary)), Math.abs(Number(shadow)))
  } else {
    const other = shadow as number
    if (Number.isNaN(primary) && Number.isNaN(other)) return null
    delta = Math.abs(primary - other)
    scale = Math.max(Math.abs(primary), Math.abs(other))
  }
  if (Number.isFinite(delta)) {
    const rounding = 8 * Number.EPSILON * scale
    if (rule.tolerance >= 0 && delta + rounding < rule.tolerance) return null
    if (rule.relTolerance >= 0 && delta + rounding < rule.relTolerance * scale) return null
  }
  const limits = [
    rule.tolerance >= 0 ? `tolerance ${rule.tolerance}` : '',
    rule.relTolerance >= 0 ? `relTolerance ${rule.relTolerance}` : '',
  ]
  return `differs by ${delta}, not below ${limits.filter(Boolean).join(' or ')}`
}

/**
 * The highest severity rank of the differences between two values, 0 when they are equal. The
 * walk stops at the first difference above `limit`.
 */
export function probe(
  run: Run,
  primary: unknown,
  shadow: unknown,
  depth: number,
  states: States,
  severity: number,
  limit: number,
): number {
  if (primary === shadow) return 0
  const wasProbing = run.probing
  const outerTop = run.probeTop
  const outerLimit = run.probeLimit
  const outerStop = run.stop
  run.probing = true
  run.probeTop = 0
  run.probeLimit = limit
  run.stop = false
  try {
    walk(run, primary, shadow, depth, states, severity)
    return run.probeTop
  } finally {
    run.probing = wasProbing
    run.probeTop = outerTop
    run.probeLimit = outerLimit
    run.stop = outerStop
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
  const difference: Difference = {
    path: renderPath(run.path, depth),
    kind,
    severity: severityOf(severity) as Difference['severity'],
  }
  if (kind !== 'added') difference.primary = primary
  if (kind !== 'removed') difference.shadow = shadow
  if (note !== undefined) difference.note = note
  kept.push(difference)
  run.keptByRank[severity] = (run.keptByRank[severity] as number) + 1
}
