/** The entry points: options compiled once, then a walk per comparison, never throwing. */

import { walk } from './diff.js'
import { compileRules, type RuleNode } from './rules.js'
import { newRun, RESTART, type Run, report } from './run.js'
import { RANK, rankOf, severityOf } from './severity.js'
import type { CompareOptions, Comparison } from './types.js'
import { describeThrown, isStackOverflow } from './values.js'

export const DEFAULT_MAX_DIFFERENCES = 100
export const DEFAULT_MAX_DEPTH = 500
// Depth never lowered below this when retrying after a stack overflow.
const MIN_DEPTH = 8

/** Options frozen into what the walk needs. */
interface Compiled {
  readonly rules: RuleNode | null
  readonly severity: number
  readonly maxDifferences: number
  readonly maxDepth: number
}

/** A comparison function with its options compiled once. */
export type Comparator = (primary: unknown, shadow: unknown) => Comparison

/** Compile options once (rules parsed, checked and indexed) and return a function comparing with them. */
export function createComparator(options: CompareOptions = {}): Comparator {
  const compiled = compile(options)
  return (primary, shadow) => run(compiled, primary, shadow)
}

const DEFAULTS = compile({})
const compiledByOptions = new WeakMap<CompareOptions, Compiled>()

/**
 * Compare the primary's value with the shadow's. Options are compiled on first use and cached
 * by object identity: pass the same options object again (do not mutate it), or use
 * `createComparator`.
 */
export function compare(primary: unknown, shadow: unknown, options?: CompareOptions): Comparison {
  if (options === undefined) return run(DEFAULTS, primary, shadow)
  let compiled = compiledByOptions.get(options)
  if (compiled === undefined) {
    compiled = compile(options)
    compiledByOptions.set(options, compiled)
  }
  return run(compiled, primary, shadow)
}

function compile(options: CompareOptions): Compiled {
  return {
    rules: compileRules(options.rules),
    severity:
      options.defaultSeverity === undefined ? RANK.major : rankOf(options.defaultSeverity, 'defaultSeverity'),
    maxDifferences: count(options.maxDifferences, DEFAULT_MAX_DIFFERENCES, 'maxDifferences', 0),
    maxDepth: count(options.maxDepth, DEFAULT_MAX_DEPTH, 'maxDepth', 1),
  }
}

function count(value: number | undefined, fallback: number, name: string, min: number): number {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < min) {
    throw new TypeError(`compare: ${name} must be an integer ≥ ${min}, got ${String(value)}`)
  }
  return value
}

// The fast walk tracks no cycles; a cycle (or very deep nesting) takes it to maxDepth, and the
// comparison starts over with tracking, so acyclic values never pay for it. If the stack runs
// out first (the caller was already deep), it starts over with a quarter of the depth.
function run(compiled: Compiled, primary: unknown, shadow: unknown): Comparison {
  let careful = false
  let maxDepth = compiled.maxDepth
  for (;;) {
    const current = newRun(compiled.maxDifferences, maxDepth, careful)
    try {
      walk(current, primary, shadow, 0, compiled.rules, compiled.severity)
      return resultOf(current)
    } catch (thrown) {
      if (thrown === RESTART) careful = true
      else if (isStackOverflow(thrown) && maxDepth > MIN_DEPTH) {
        careful = true
        maxDepth = Math.max(MIN_DEPTH, maxDepth >> 2)
      } else return stopped(current, compiled, primary, shadow, thrown)
    }
  }
}

/** Something threw outside a guarded callback (a getter, a proxy): report it at the root. */
function stopped(
  current: Run,
  compiled: Compiled,
  primary: unknown,
  shadow: unknown,
  thrown: unknown,
): Comparison {
  current.probing = false
  const note = `comparison stopped: ${describeThrown(thrown)}`
  report(current, 0, 'changed', primary, shadow, compiled.severity, note)
  return resultOf(current)
}

function resultOf(current: Run): Comparison {
  return {
    matches: current.top <= RANK.cosmetic,
    severity: severityOf(current.top),
    differences: current.kept,
    truncated: current.truncated,
  }
}
