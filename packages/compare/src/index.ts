/**
 * Walking-skeleton comparator: deep equality with flattened paths. Issue #3 replaces the
 * internals with the rule engine sketched in DESIGN.md; the exported shapes stay.
 */

export type Severity = 'critical' | 'major' | 'minor' | 'cosmetic'
export type DifferenceKind = 'changed' | 'added' | 'removed' | 'type'

/** One difference between the primary's and the shadow's value, at a flattened path. */
export interface Difference {
  path: string
  kind: DifferenceKind
  primary?: unknown
  shadow?: unknown
  severity: Severity
}

/** How two values compare. */
export interface Comparison {
  /** False iff some difference has severity above `cosmetic`. */
  matches: boolean
  /** Highest severity, `none` when there is no difference. */
  severity: Severity | 'none'
  differences: Difference[]
}

export interface CompareOptions {
  defaultSeverity?: Severity
}

/** Compare the primary's value with the shadow's. */
export function compare(primary: unknown, shadow: unknown, options: CompareOptions = {}): Comparison {
  const severity = options.defaultSeverity ?? 'major'
  const differences: Difference[] = []
  diff(primary, shadow, '', severity, differences)
  const matches = differences.every((d) => d.severity === 'cosmetic')
  return { matches, severity: differences.length > 0 ? severity : 'none', differences }
}

/** Two errors match when they have the same class and message (Scientist's semantics). */
export function compareErrors(primary: unknown, shadow: unknown): Comparison {
  const describe = (e: unknown) =>
    e instanceof Error
      ? { name: e.constructor.name, message: e.message }
      : { name: typeof e, message: String(e) }
  return compare(describe(primary), describe(shadow))
}

function diff(a: unknown, b: unknown, path: string, severity: Severity, out: Difference[]): void {
  if (Object.is(a, b)) return
  const typeA = kindOf(a)
  const typeB = kindOf(b)
  if (typeA !== typeB) {
    out.push({ path, kind: 'type', primary: a, shadow: b, severity })
    return
  }
  if (typeA === 'array') {
    const left = a as unknown[]
    const right = b as unknown[]
    for (let i = 0; i < Math.max(left.length, right.length); i++) {
      const at = `${path}[${i}]`
      if (i >= right.length) out.push({ path: at, kind: 'removed', primary: left[i], severity })
      else if (i >= left.length) out.push({ path: at, kind: 'added', shadow: right[i], severity })
      else diff(left[i], right[i], at, severity, out)
    }
    return
  }
  if (typeA === 'object') {
    const left = a as Record<string, unknown>
    const right = b as Record<string, unknown>
    for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
      const at = path ? `${path}.${key}` : key
      if (!Object.hasOwn(right, key)) out.push({ path: at, kind: 'removed', primary: left[key], severity })
      else if (!Object.hasOwn(left, key)) out.push({ path: at, kind: 'added', shadow: right[key], severity })
      else diff(left[key], right[key], at, severity, out)
    }
    return
  }
  if (typeA === 'date' && (a as Date).getTime() === (b as Date).getTime()) return
  out.push({ path, kind: 'changed', primary: a, shadow: b, severity })
}

function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  if (value instanceof Date) return 'date'
  return typeof value
}
