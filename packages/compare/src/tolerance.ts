/** Numeric tolerances: when two numbers are close enough to be equal. */

import type { CompiledRule } from './rules.js'

/** Whether both values are numbers, or both bigints. */
export function isNumeric(left: unknown, right: unknown): left is number | bigint {
  const type = typeof left
  return (type === 'number' || type === 'bigint') && typeof right === type
}

/**
 * Null when `|primary - shadow|` is strictly below the tolerance (absolute or relative to the
 * larger magnitude), else a note. A difference of exactly the tolerance is reported, whatever
 * floating-point rounding made of it: 100 vs 100.01 with tolerance 0.01 is a difference.
 */
export function toleranceExceeded(
  primary: number | bigint,
  shadow: unknown,
  rule: CompiledRule,
): string | null {
  let delta: number
  let scale: number
  if (typeof primary === 'bigint') {
    const difference = primary - (shadow as bigint)
    delta = Number(difference < 0n ? -difference : difference)
    scale = Math.max(Math.abs(Number(primary)), Math.abs(Number(shadow)))
  } else {
    const other = shadow as number
    if (Number.isNaN(primary) && Number.isNaN(other)) return null
    delta = Math.abs(primary - other)
    scale = Math.max(Math.abs(primary), Math.abs(other))
  }
  if (Number.isFinite(delta)) {
    const rounding = 8 * Number.EPSILON * scale
    if (rule.tolerance >= 0 && delta + rounding < rule.tolerance) return null
    if (rule.relTolerance >= 0 && delta + rounding < rule.relTolerance * scale) return null
  }
  const limits = [
    rule.tolerance >= 0 ? `tolerance ${rule.tolerance}` : '',
    rule.relTolerance >= 0 ? `relTolerance ${rule.relTolerance}` : '',
  ]
  return `differs by ${delta}, not below ${limits.filter(Boolean).join(' or ')}`
}
