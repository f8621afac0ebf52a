/**
 * Path syntax, shared by difference paths and rule patterns:
 *   key         `.name` (or `name` first), `["a.b"]` when the key is empty or holds `. [ ] " ' * =` or spaces
 *   index       `[3]`
 *   keyed item  `[sku=A]` (an item of an array compared with `key: 'sku'`), `[10]` for a non-string Map key
 * Patterns add `*` (any key) and `[*]` (any index or keyed item).
 */

import { preview } from './values.js'

/** A bracketed segment that is not an array index: a keyed item, or a Map entry whose key is not a string. */
export interface Label {
  /** The key field's name (`sku`), or null for a Map key. */
  readonly name: string | null
  readonly value: unknown
}

/** One step of a path as it is walked: an object key, an array index, or a label. */
export type PathSegment = string | number | Label

export type PatternSegment =
  | { readonly type: 'key'; readonly name: string }
  | { readonly type: 'index'; readonly index: number }
  | { readonly type: 'label'; readonly text: string }
  | { readonly type: 'anyKey' }
  | { readonly type: 'anyIndex' }

const PLAIN_KEY = /^[^.[\]"'*=\s]+$/u
const PLAIN_VALUE = /^[^[\]"'\s]+$/u

/** A key written as a path segment. */
export function keySegment(key: string, first: boolean): string {
  if (PLAIN_KEY.test(key)) return first ? key : `.${key}`
  return `[${JSON.stringify(key)}]`
}

/** A label's text between the brackets: `sku=A`. */
export function labelText(label: Label): string {
  const value = labelValue(label.value)
  return label.name === null ? value : `${label.name}=${value}`
}

function labelValue(value: unknown): string {
  if (typeof value === 'string') return PLAIN_VALUE.test(value) ? value : JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value)
  }
  if (typeof value === 'bigint') return `${value}n`
  return preview(value)
}

/** The path string of the first `length` segments. */
export function renderPath(segments: readonly PathSegment[], length: number): string {
  let path = ''
  for (let i = 0; i < length; i++) {
    const segment = segments[i] as PathSegment
    if (typeof segment === 'string') path += keySegment(segment, i === 0)
    else if (typeof segment === 'number') path += `[${segment}]`
    else path += `[${labelText(segment)}]`
  }
  return path
}

/** Parse a rule pattern, or throw an error that names the pattern and the problem. */
export function parsePattern(pattern: string): PatternSegment[] {
  const segments: PatternSegment[] = []
  const fail = (why: string): never => {
    throw new SyntaxError(`compare: rule '${pattern}': ${why}`)
  }
  let i = 0
  while (i < pattern.length) {
    const char = pattern[i]
    if (char === '[') {
      i = parseBracket(pattern, i + 1, segments, fail)
      continue
    }
    if (char === '.') {
      if (segments.length === 0) fail('a pattern cannot start with "."')
      i++
    } else if (segments.length > 0) {
      fail(`expected "." or "[" at position ${i}`)
    }
    let end = i
    while (end < pattern.length && pattern[end] !== '.' && pattern[end] !== '[') end++
    const name = pattern.slice(i, end)
    if (name === '*') segments.push({ type: 'anyKey' })
    else if (name === '') fail(`empty key at position ${i}; write [""] for an empty key`)
    else if (!PLAIN_KEY.test(name)) fail(`key '${name}' must be quoted, e.g. [${JSON.stringify(name)}]`)
    else segments.push({ type: 'key', name })
    i = end
  }
  return segments
}

function parseBracket(
  pattern: string,
  start: number,
  segments: PatternSegment[],
  fail: (why: string) => never,
): number {
  if (pattern[start] === '"') {
    const [name, after] = readQuoted(pattern, start, fail)
    if (pattern[after] !== ']') fail(`expected "]" at position ${after}`)
    segments.push({ type: 'key', name })
    return after + 1
  }
  const equals = pattern.indexOf('=', start)
  const close = pattern.indexOf(']', start)
  if (close < 0) fail(`unclosed "[" at position ${start - 1}`)
  if (equals >= 0 && equals < close) {
    const name = pattern.slice(start, equals)
    if (!PLAIN_KEY.test(name)) fail(`bad key field name '${name}' in [name=value]`)
    if (pattern[equals + 1] === '"') {
      const [value, after] = readQuoted(pattern, equals + 1, fail)
      if (pattern[after] !== ']') fail(`expected "]" at position ${after}`)
      segments.push({ type: 'label', text: labelText({ name, value }) })
      return after + 1
    }
    segments.push({ type: 'label', text: labelText({ name, value: pattern.slice(equals + 1, close) }) })
    return close + 1
  }
  const inside = pattern.slice(start, close)
  if (inside === '*') segments.push({ type: 'anyIndex' })
  else if (/^\d+$/.test(inside)) segments.push({ type: 'index', index: Number(inside) })
  else fail(`"[${inside}]" must be an index, *, a quoted key or name=value`)
  return close + 1
}

function readQuoted(pattern: string, start: number, fail: (why: string) => never): [string, number] {
  let end = start + 1
  while (end < pattern.length && pattern[end] !== '"') end += pattern[end] === '\\' ? 2 : 1
  if (end >= pattern.length) fail(`unclosed string at position ${start}`)
  try {
    return [JSON.parse(pattern.slice(start, end + 1)) as string, end + 1]
  } catch {
    return fail(`bad string at position ${start}`)
  }
}
