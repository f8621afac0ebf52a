/**
 * The structural walk. It keeps the current path as a stack of segments and renders a path
 * string only when it records a difference, so equal subtrees cost no allocation. Identical
 * values return at once, and where no rule pattern can reach (`states === null`) the walk does
 * no rule work at all.
 */

import { deepEqual } from './deep-equal.js'
import type { Label } from './paths.js'
import {
  type CompiledRule,
  type RuleNode,
  ruleAt,
  type States,
  stepIndex,
  stepKey,
  stepLabel,
} from './rules.js'
import { MISSING, RESTART, type Run, report } from './run.js'
import { isNumeric, toleranceExceeded } from './tolerance.js'
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
