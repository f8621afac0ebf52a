/**
 * The diff as span attributes: redacted, cycle-safe and size-bounded, so a huge or hostile value
 * can neither bloat a span nor break recording. Output is always valid JSON.
 */
import type { Difference } from '@twinspan/compare'
import { isRedacted, isWalkable, parsePath, REDACTED, type Redaction, type Segment } from './redact.js'

/** The bounds on exported differences (documented in the README). */
export const DIFF_BOUNDS = Object.freeze({
  /** `parallel_run.diff.paths`: at most this many paths… */
  maxPaths: 32,
  /** …each cut to this many characters. */
  maxPathChars: 256,
  /** `parallel_run.diff`: the whole JSON array stays within this many characters. */
  maxJsonChars: 8192,
  /** One value (a difference's `primary` or `shadow`) as JSON; longer becomes a cut JSON string. */
  maxValueChars: 1024,
  /** Nesting shown inside one value; deeper objects read `[Object]`/`[Array(n)]`. */
  maxDepth: 4,
  /** Entries shown per object or array. */
  maxEntries: 50,
  /** Nodes visited per value; the walk stops there. */
  maxNodes: 500,
  /** Characters kept of a string. */
  maxStringChars: 256,
})

const ELLIPSIS = '…'

/** The first {@link DIFF_BOUNDS.maxPaths} differing paths, each cut to length. */
export function diffPaths(differences: readonly Difference[]): string[] {
  const paths: string[] = []
  for (const difference of differences) {
    if (paths.length >= DIFF_BOUNDS.maxPaths) break
    paths.push(cut(String(difference.path), DIFF_BOUNDS.maxPathChars))
  }
  return paths
}

/**
 * Differences as a JSON array within {@link DIFF_BOUNDS.maxJsonChars}: whole entries only, in
 * order, as many as fit (`parallel_run.diff.count` tells how many there were).
 */
export function diffJson(differences: readonly Difference[], redaction: Redaction | undefined): string {
  const entries: string[] = []
  let length = 2 // the brackets
  for (const difference of differences) {
    const entry = JSON.stringify(exportDifference(difference, redaction))
    if (length + entry.length + (entries.length > 0 ? 1 : 0) > DIFF_BOUNDS.maxJsonChars) break
    length += entry.length + (entries.length > 0 ? 1 : 0)
    entries.push(entry)
  }
  return `[${entries.join(',')}]`
}

/** One difference with bounded, redacted values. */
export function exportDifference(
  difference: Difference,
  redaction: Redaction | undefined,
): Record<string, unknown> {
  const path = String(difference.path)
  const segments = parsePath(path)
  const entry: Record<string, unknown> = {
    path: cut(path, DIFF_BOUNDS.maxPathChars),
    kind: difference.kind,
    severity: difference.severity,
  }
  const note = 'note' in difference ? difference.note : undefined
  if (typeof note === 'string') entry.note = cut(note, DIFF_BOUNDS.maxStringChars)
  if ('primary' in difference) entry.primary = boundedValue(difference.primary, segments, redaction)
  if ('shadow' in difference) entry.shadow = boundedValue(difference.shadow, segments, redaction)
  return entry
}

/** A JSON-safe preview of `value` found at `base`: redacted, cycle-safe, within the bounds. */
export function boundedValue(
  value: unknown,
  base: readonly Segment[],
  redaction: Redaction | undefined,
): unknown {
  let nodes = 0
  const ancestors = new Set<object>()
  const walk = (node: unknown, path: Segment[], depth: number): unknown => {
    if (redaction !== undefined && isRedacted(redaction, path)) return REDACTED
    if (++nodes > DIFF_BOUNDS.maxNodes) return ELLIPSIS
    switch (typeof node) {
      case 'string':
        return cut(node, DIFF_BOUNDS.maxStringChars)
      case 'number':
        return Number.isFinite(node) ? node : String(node)
      case 'bigint':
        return `${node}n`
      case 'boolean':
        return node
      case 'undefined':
        return null
      case 'symbol':
        return node.toString()
      case 'function':
        return `[Function ${node.name || 'anonymous'}]`
    }
    if (node === null) return null
    const object = node as object
    if (ancestors.has(object)) return '[Circular]'
    if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString()
    if (object instanceof Error)
      return { name: object.name, message: cut(object.message, DIFF_BOUNDS.maxStringChars) }
    if (depth >= DIFF_BOUNDS.maxDepth) return Array.isArray(object) ? `[Array(${object.length})]` : '[Object]'
    ancestors.add(object)
    try {
      if (Array.isArray(object) || object instanceof Set) {
        const items = Array.isArray(object) ? object : [...object]
        const shown = items
          .slice(0, DIFF_BOUNDS.maxEntries)
          .map((item, i) => walk(item, [...path, i], depth + 1))
        if (items.length > shown.length) shown.push(`${ELLIPSIS} ${items.length - shown.length} more`)
        return shown
      }
      const entries: [string, unknown][] =
        object instanceof Map
          ? [...object.entries()].map(([k, v]) => [String(k), v])
          : isWalkable(object)
            ? Object.entries(object)
            : []
      const out: Record<string, unknown> = Object.create(null) // a `__proto__` key stays a key
      for (const [key, item] of entries.slice(0, DIFF_BOUNDS.maxEntries))
        out[key] = walk(item, [...path, key], depth + 1)
      if (entries.length > DIFF_BOUNDS.maxEntries)
        out[ELLIPSIS] = `${entries.length - DIFF_BOUNDS.maxEntries} more`
      return out
    } finally {
      ancestors.delete(object)
    }
  }
  const preview = walk(value, [...base], 0)
  const json = JSON.stringify(preview) ?? 'null'
  return json.length > DIFF_BOUNDS.maxValueChars ? cut(json, DIFF_BOUNDS.maxValueChars) : preview
}

/** `text` cut to at most `max` characters, marked with an ellipsis when cut. */
export function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}${ELLIPSIS}` : text
}
