/**
 * Redaction: masking configured paths in everything the SDK exports. Paths use the compare
 * engine's syntax (`a.b`, `a[3].b`); patterns add `[*]` (any index) and `*` (any key or index).
 * A pattern masks the path it names and everything under it.
 */

/** What a masked value is replaced with. */
export const REDACTED = '[REDACTED]'

/** One step of a path: an object key or an array index. */
export type Segment = string | number

const ANY = Symbol('any segment')
const ANY_INDEX = Symbol('any index')
type PatternSegment = Segment | typeof ANY | typeof ANY_INDEX

/** Compiled redaction patterns. */
export interface Redaction {
  readonly patterns: readonly (readonly PatternSegment[])[]
}

/** Compile patterns; `undefined` when there are none. Throws on a malformed pattern. */
export function compileRedaction(patterns: readonly string[]): Redaction | undefined {
  if (patterns.length === 0) return undefined
  return Object.freeze({
    patterns: Object.freeze(
      patterns.map((pattern) => {
        if (typeof pattern !== 'string' || pattern === '')
          throw new Error(`patterns must be non-empty strings`)
        return Object.freeze(
          parsePath(pattern).map((s): PatternSegment => (s === '*' ? ANY : s === '[*]' ? ANY_INDEX : s)),
        )
      }),
    ),
  })
}

/**
 * Split `a.b[3]["x.y"][*]` into segments: `['a', 'b', 3, 'x.y', '[*]']`. Unparseable
 * remainders stay one key, so every path yields something.
 */
export function parsePath(path: string): Segment[] {
  const segments: Segment[] = []
  let i = 0
  let key = ''
  const flush = () => {
    if (key !== '') segments.push(key)
    key = ''
  }
  while (i < path.length) {
    const char = path[i] as string
    if (char === '.') {
      flush()
      i++
    } else if (char === '[') {
      flush()
      const close = path.indexOf(']', i)
      if (close === -1) {
        key = path.slice(i)
        break
      }
      const inner = path.slice(i + 1, close)
      if (inner === '*') segments.push('[*]')
      else if (/^\d+$/.test(inner)) segments.push(Number(inner))
      else if (/^(["']).*\1$/.test(inner)) segments.push(inner.slice(1, -1))
      else segments.push(inner)
      i = close + 1
    } else {
      key += char
      i++
    }
  }
  flush()
  return segments
}

/** True when `path` is at or under a redacted path. */
export function isRedacted(redaction: Redaction, path: readonly Segment[]): boolean {
  return redaction.patterns.some((pattern) => coversPath(pattern, path))
}

function coversPath(pattern: readonly PatternSegment[], path: readonly Segment[]): boolean {
  if (pattern.length > path.length) return false
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]
    const got = path[i] as Segment
    if (want === ANY) continue
    if (want === ANY_INDEX) {
      if (typeof got !== 'number') return false
      continue
    }
    if (want !== got && String(want) !== String(got)) return false
  }
  return true
}

/**
 * A copy of `value` (found at `base`) with redacted paths replaced by {@link REDACTED}. Walks
 * arrays, plain objects and class instances (own enumerable fields, prototype kept); other
 * objects (Date, Map, …) are kept as they are. Cycles and shared references keep their shape.
 */
export function redactValue(
  value: unknown,
  redaction: Redaction | undefined,
  base: readonly Segment[] = [],
): unknown {
  if (redaction === undefined) return value
  const copies = new Map<object, unknown>()
  const walk = (node: unknown, path: Segment[]): unknown => {
    if (isRedacted(redaction, path)) return REDACTED
    if (node === null || typeof node !== 'object') return node
    const seen = copies.get(node)
    if (seen !== undefined) return seen
    if (Array.isArray(node)) {
      const copy: unknown[] = []
      copies.set(node, copy)
      for (let i = 0; i < node.length; i++) copy.push(walk(node[i], [...path, i]))
      return copy
    }
    if (!isWalkable(node)) return node
    const copy = Object.create(Object.getPrototypeOf(node)) as Record<string, unknown>
    copies.set(node, copy)
    for (const key of Object.keys(node)) {
      const item = walk((node as Record<string, unknown>)[key], [...path, key])
      Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true })
    }
    return copy
  }
  return walk(value, [...base])
}

/** Plain objects and class instances; not built-ins with internal slots. */
export function isWalkable(node: object): boolean {
  return !(
    node instanceof Date ||
    node instanceof RegExp ||
    node instanceof Map ||
    node instanceof Set ||
    node instanceof Error ||
    node instanceof Promise ||
    ArrayBuffer.isView(node) ||
    node instanceof ArrayBuffer
  )
}
