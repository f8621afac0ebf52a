/**
 * Strict structural equality without rules: iterative, so nesting depth is bounded only by
 * memory, and safe on cycles. The comparator uses it beyond `maxDepth` and to match Map keys.
 * Its notion of equal is the comparator's with no rules: NaN equals NaN, a property holding
 * `undefined` equals a missing one.
 */

import {
  BYTES,
  builtinTag,
  bytesOf,
  countable,
  DATE,
  ERROR,
  errorFields,
  firstByteDifference,
  isObject,
  leafKind,
  MAP,
  OBJECT,
  REGEXP,
  SET,
  tagOf,
} from './values.js'

/** Whether two values are structurally equal. */
export function deepEqual(primary: unknown, shadow: unknown): boolean {
  const pending: unknown[] = [primary, shadow]
  // Pairs already taken apart: meeting one again (a cycle) adds nothing new to check.
  const seen = new Map<object, Set<object>>()
  while (pending.length > 0) {
    const b = pending.pop()
    const a = pending.pop()
    if (a === b) continue
    if (!isObject(a) || !isObject(b)) {
      if (leafKind(a, b) !== null) return false
      continue
    }
    const partners = seen.get(a)
    if (partners === undefined) seen.set(a, new Set([b]))
    else if (partners.has(b)) continue
    else partners.add(b)
    if (!pushChildren(a, b, pending)) return false
  }
  return true
}

/** Queue the child pairs of two objects; false when they already differ in shape. */
function pushChildren(a: object, b: object, pending: unknown[]): boolean {
  const isArray = Array.isArray(a)
  if (isArray !== Array.isArray(b)) return false
  if (isArray) {
    const left = a as unknown[]
    const right = b as unknown[]
    if (left.length !== right.length) return false
    for (let i = 0; i < left.length; i++) pending.push(left[i], right[i])
    return true
  }
  const tag = tagOf(a)
  if (tag !== tagOf(b)) return false
  switch (tag) {
    case OBJECT:
      return pushProperties(a as Record<string, unknown>, b as Record<string, unknown>, pending)
    case ERROR:
      return pushProperties(errorFields(a as Error), errorFields(b as Error), pending)
    case DATE: {
      const left = (a as Date).getTime()
      const right = (b as Date).getTime()
      return left === right || (Number.isNaN(left) && Number.isNaN(right))
    }
    case REGEXP:
      return String(a) === String(b)
    case BYTES:
      return builtinTag(a) === builtinTag(b) && firstByteDifference(bytesOf(a), bytesOf(b)) === -1
    case MAP:
      return pushMap(a as Map<unknown, unknown>, b as Map<unknown, unknown>, pending)
    case SET:
      return sameMembers([...(a as Set<unknown>)], [...(b as Set<unknown>)])
  }
  return false
}

function pushProperties(a: Record<string, unknown>, b: Record<string, unknown>, pending: unknown[]): boolean {
  for (const key of Object.keys(a)) {
    if (Object.hasOwn(b, key)) pending.push(a[key], b[key])
    else if (a[key] !== undefined) return false
  }
  for (const key of Object.keys(b)) {
    if (!Object.hasOwn(a, key) && b[key] !== undefined) return false
  }
  return true
}

function pushMap(a: Map<unknown, unknown>, b: Map<unknown, unknown>, pending: unknown[]): boolean {
  if (a.size !== b.size) return false
  const objectKeysA: unknown[] = []
  const objectKeysB: unknown[] = []
  for (const [key, value] of a) {
    if (isObject(key)) objectKeysA.push(key)
    else if (!b.has(key)) return false
    else pending.push(value, b.get(key))
  }
  for (const key of b.keys()) if (isObject(key)) objectKeysB.push(key)
  const pairs = pairEqual(objectKeysA, objectKeysB)
  if (pairs === null) return false
  for (const [left, right] of pairs) pending.push(a.get(left), b.get(right))
  return true
}

/** Whether two lists hold the same members, in any order: primitives by count, objects by pairing. */
export function sameMembers(a: unknown[], b: unknown[]): boolean {
  if (a.length !== b.length) return false
  const counts = new Map<unknown, number>()
  const objectsA: unknown[] = []
  const objectsB: unknown[] = []
  for (const member of b) {
    if (!countable(member)) objectsB.push(member)
    else counts.set(member, (counts.get(member) ?? 0) + 1)
  }
  for (const member of a) {
    if (!countable(member)) {
      objectsA.push(member)
      continue
    }
    const count = counts.get(member)
    if (count === undefined || count === 0) return false
    counts.set(member, count - 1)
  }
  return objectsA.length === objectsB.length && pairEqual(objectsA, objectsB) !== null
}

/** Pair each member of `a` with an equal, unused member of `b`; null when some member has none. */
export function pairEqual(a: unknown[], b: unknown[]): [unknown, unknown][] | null {
  const used = new Uint8Array(b.length)
  const pairs: [unknown, unknown][] = []
  for (const left of a) {
    let found = -1
    for (let j = 0; j < b.length && found < 0; j++) if (used[j] === 0 && deepEqual(left, b[j])) found = j
    if (found < 0) return null
    used[found] = 1
    pairs.push([left, b[found]])
  }
  return pairs
}
