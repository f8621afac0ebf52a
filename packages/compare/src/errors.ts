/** Comparing what two sides threw. */

import { compare } from './comparator.js'
import type { Comparison, Severity } from './types.js'
import { errorClass, isObject } from './values.js'

export interface CompareErrorsOptions {
  /** Severity of a different class or message; `major` by default. */
  severity?: Severity
}

/**
 * Two errors match when they have the same class and message (Scientist's semantics). Differences
 * are at `class` and `message`; a side that threw nothing (`undefined`) differs at the root.
 */
export function compareErrors(
  primary: unknown,
  shadow: unknown,
  options: CompareErrorsOptions = {},
): Comparison {
  return compare(describe(primary), describe(shadow), optionsFor(options.severity ?? 'major'))
}

const OPTIONS = {
  critical: { defaultSeverity: 'critical' },
  major: { defaultSeverity: 'major' },
  minor: { defaultSeverity: 'minor' },
  cosmetic: { defaultSeverity: 'cosmetic' },
} as const

function optionsFor(severity: Severity) {
  return Object.hasOwn(OPTIONS, severity) ? OPTIONS[severity] : { defaultSeverity: severity }
}

function describe(thrown: unknown): { class: string; message: string } | undefined {
  if (thrown === undefined) return undefined
  // Error-shaped objects count too: errors from another realm, or thrown plain `{ message }`.
  if (thrown instanceof Error || (isObject(thrown) && typeof (thrown as Error).message === 'string')) {
    return { class: errorClass(thrown as Error), message: (thrown as Error).message }
  }
  let message: string
  try {
    message = String(thrown)
  } catch {
    message = '(unprintable)'
  }
  return { class: thrown === null ? 'null' : typeof thrown, message }
}
