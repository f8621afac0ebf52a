/** Severities as ranks, so that "highest" is a number comparison. */

import type { Severity } from './types.js'

/** Rank of each severity; 0 is "no difference". */
export const RANK = { none: 0, cosmetic: 1, minor: 2, major: 3, critical: 4 } as const

export const COSMETIC = RANK.cosmetic

const BY_RANK = ['none', 'cosmetic', 'minor', 'major', 'critical'] as const

/** The severity name of a rank. */
export function severityOf(rank: number): Severity | 'none' {
  return BY_RANK[rank] ?? 'none'
}

/** The rank of a severity given in options, or a clear error naming where it came from. */
export function rankOf(severity: unknown, where: string): number {
  if (typeof severity === 'string' && severity !== 'none' && Object.hasOwn(RANK, severity)) {
    return RANK[severity as Severity]
  }
  throw new TypeError(
    `compare: ${where} must be one of 'critical', 'major', 'minor', 'cosmetic', got ${String(severity)}`,
  )
}
