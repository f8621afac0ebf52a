/** The public shapes of a comparison: differences, results, rules and options. */

/** How much a difference matters. `cosmetic` differences are reported but never fail a match. */
export type Severity = 'critical' | 'major' | 'minor' | 'cosmetic'

/** `added`: only in the shadow; `removed`: only in the primary; `type`: different kinds of value. */
export type DifferenceKind = 'changed' | 'added' | 'removed' | 'type'

/** One difference between the primary's and the shadow's value, at a flattened path. */
export interface Difference {
  /** `order.items[3].price`; `''` is the whole value. Write this path as a rule pattern to target it. */
  path: string
  kind: DifferenceKind
  primary?: unknown
  shadow?: unknown
  severity: Severity
  /** Why, when the values alone do not say: a tolerance exceeded, a callback threw, a depth limit. */
  note?: string
}

/** How two values compare. */
export interface Comparison {
  /** False iff some difference has severity above `cosmetic`. */
  matches: boolean
  /** Highest severity, `none` when there is no difference. */
  severity: Severity | 'none'
  /** The differences kept, at most `maxDifferences`, most severe first to be kept, in walk order. */
  differences: Difference[]
  /**
   * How many further differences were found and left out of `differences`. Always set by this
   * package; optional so that results built by hand stay valid.
   */
  truncated?: number
}

/** A built-in string normaliser; see the README for what each one does. */
export type NormalizerName = 'datetime' | 'trim' | 'case' | 'whitespace'

/** A built-in normaliser, or a function mapping each side's value before it is compared. */
export type Normalizer = NormalizerName | ((value: unknown) => unknown)

/** What to do at the paths a pattern matches. */
export interface Rule {
  /** Skip this value and everything beneath it. */
  ignore?: boolean
  /** Severity of differences at and beneath this path (unless a more specific rule sets another). */
  severity?: Severity
  /** Numbers are equal when `|primary - shadow| < tolerance`. */
  tolerance?: number
  /** Numbers are equal when `|primary - shadow| < relTolerance * max(|primary|, |shadow|)`. */
  relTolerance?: number
  /** Compare an array as a multiset: order does not matter. */
  unordered?: boolean
  /** Compare an array by matching items on this field (or function), then field by field. Implies `unordered`. */
  key?: string | ((item: unknown) => unknown)
  /** Map each side's value before comparing it; several are applied in order. */
  normalize?: Normalizer | readonly Normalizer[]
  /** Decide equality at this path yourself: return true when the values are equal. */
  compare?: (primary: unknown, shadow: unknown) => boolean
}

/** Rules by path pattern: `a.b`, `a[3]`, `a[*].b` (any index), `a.*` (any key), `a[sku=A]` (a keyed item). */
export type Rules = Readonly<Record<string, Rule | 'ignore'>>

export interface CompareOptions {
  rules?: Rules
  /** Severity of differences no rule gives one; `major` by default. */
  defaultSeverity?: Severity
  /** Differences kept in the result, 100 by default; the rest are counted in `truncated`. */
  maxDifferences?: number
  /** Nesting depth walked with rules, 500 by default; deeper values are compared as a whole. */
  maxDepth?: number
}
