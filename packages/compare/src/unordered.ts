/**
 * Arrays whose order does not matter. With a `key`, items are matched by key and compared field
 * by field under paths that name the item (`lineItems[sku=A].qty`). Without one, the arrays are
 * multisets: items are paired with equal items, first at the same index, then by value, then by
 * search; items only cosmetically different are paired last and their differences reported.
 * What stays unpaired is `removed` (primary's index) or `added` (shadow's index).
 */

import { probe, walk } from './diff.js'
import type { Label } from './paths.js'
import { type CompiledRule, hasItemRules, type States, stepIndex, stepLabel } from './rules.js'
import { MISSING, type Run, report } from './run.js'
import { COSMETIC } from './severity.js'
import { countable, describeThrown, isObject, isStackOverflow, preview } from './values.js'

/** Compare two arrays under an `unordered` rule. */
export function diffUnordered(
  run: Run,
  primary: unknown[],
  shadow: unknown[],
  depth: number,
  states: States,
  severity: number,
  rule: CompiledRule,
): void {
  if (rule.key === null) diffMultiset(run, primary, shadow, depth, states, severity)
  else diffKeyed(run, primary, shadow, depth, states, severity, rule.key, rule.keyName ?? 'key')
}

function diffKeyed(
  run: Run,
  primary: unknown[],
  shadow: unknown[],
  depth: number,
  states: States,
  severity: number,
  keyOf: (item: unknown) => unknown,
  name: string,
): void {
  let primaryKeys: unknown[]
  let shadowKeys: unknown[]
  try {
    primaryKeys = primary.map((item) => keyOf(item))
    shadowKeys = shadow.map((item) => keyOf(item))
  } catch (error) {
    if (isStackOverflow(error)) throw error
    report(run, depth, 'changed', primary, shadow, severity, `key threw ${describeThrown(error)}`)
    return
  }
  // Shadow indices waiting for a partner, by key; items sharing a key pair up in order.
  const waiting = new Map<unknown, number[]>()
  for (let j = shadowKeys.length - 1; j >= 0; j--) {
    const id = identity(shadowKeys[j])
    const queue = waiting.get(id)
    if (queue === undefined) waiting.set(id, [j])
    else queue.push(j)
  }
  const paired = new Uint8Array(shadow.length)
  for (let i = 0; i < primary.length; i++) {
    const j = waiting.get(identity(primaryKeys[i]))?.pop()
    if (j !== undefined) paired[j] = 1
    walkItem(
      run,
      { name, value: primaryKeys[i] },
      primary[i],
      j === undefined ? MISSING : shadow[j],
      depth,
      states,
      severity,
    )
    if (run.stop) return
  }
  for (let j = 0; j < shadow.length; j++) {
    if (paired[j] === 0)
      walkItem(run, { name, value: shadowKeys[j] }, MISSING, shadow[j], depth, states, severity)
    if (run.stop) return
  }
}

function walkItem(
  run: Run,
  label: Label,
  primary: unknown,
  shadow: unknown,
  depth: number,
  states: States,
  severity: number,
): void {
  if (primary === shadow) return
  run.path[depth] = label
  walk(run, primary, shadow, depth + 1, states === null ? null : stepLabel(states, label), severity)
}

// Keys are matched by value; object keys by their JSON text.
function identity(key: unknown): unknown {
  return isObject(key) ? `\u0000${preview(key, Number.POSITIVE_INFINITY)}` : key
}

/** Compare two lists as multisets (also used for Sets). */
export function diffMultiset(
  run: Run,
  primary: unknown[],
  shadow: unknown[],
  depth: number,
  states: States,
  severity: number,
): void {
  const partner = new Int32Array(primary.length).fill(-1)
  const taken = new Uint8Array(shadow.length)
  const itemStates = (i: number): States => (states === null ? null : stepIndex(states, i))
  const matches = (i: number, j: number, limit: number): boolean => {
    run.path[depth] = i
    return probe(run, primary[i], shadow[j], depth + 1, itemStates(i), severity, limit) <= limit
  }
  const pair = (i: number, j: number): void => {
    partner[i] = j
    taken[j] = 1
  }

  // 1. Same index: arrays that did not change order cost one pass.
  const common = Math.min(primary.length, shadow.length)
  for (let i = 0; i < common; i++) if (matches(i, i, 0)) pair(i, i)

  // 2. Primitives by value, when no rule could make unequal primitives equal; what is left of
  // them then has no partner to search for.
  const byValue = !hasItemRules(states)
  if (byValue) pairCountable(primary, shadow, partner, taken)
  const searchable = (item: unknown): boolean => !byValue || !countable(item)

  // 3. Exact matches by search, 4. then cosmetic ones (their differences are reported below).
  const cosmetic = new Uint8Array(primary.length)
  for (const limit of [0, COSMETIC]) {
    for (let i = 0; i < primary.length; i++) {
      if (partner[i] !== -1 || !searchable(primary[i])) continue
      for (let j = 0; j < shadow.length; j++) {
        if (taken[j] === 0 && searchable(shadow[j]) && matches(i, j, limit)) {
          pair(i, j)
          cosmetic[i] = limit
          break
        }
      }
    }
  }

  for (let i = 0; i < primary.length; i++) {
    const j = partner[i] as number
    if (j !== -1 && cosmetic[i] === 0) continue
    run.path[depth] = i
    walk(run, primary[i], j === -1 ? MISSING : shadow[j], depth + 1, itemStates(i), severity)
    if (run.stop) return
  }
  for (let j = 0; j < shadow.length; j++) {
    if (taken[j] === 1) continue
    run.path[depth] = j
    walk(run, MISSING, shadow[j], depth + 1, itemStates(j), severity)
    if (run.stop) return
  }
}

function pairCountable(primary: unknown[], shadow: unknown[], partner: Int32Array, taken: Uint8Array): void {
  const waiting = new Map<unknown, number[]>()
  for (let j = shadow.length - 1; j >= 0; j--) {
    const item = shadow[j]
    if (taken[j] === 1 || !countable(item)) continue
    const queue = waiting.get(item)
    if (queue === undefined) waiting.set(item, [j])
    else queue.push(j)
  }
  if (waiting.size === 0) return
  for (let i = 0; i < primary.length; i++) {
    const item = primary[i]
    if (partner[i] !== -1 || !countable(item)) continue
    const j = waiting.get(item)?.pop()
    if (j === undefined) continue
    partner[i] = j
    taken[j] = 1
  }
}
