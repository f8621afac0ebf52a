/** The two sides of a run. */
export const ROLES = ['primary', 'shadow'] as const
export type Role = (typeof ROLES)[number]

/** What one run came to. `match`/`mismatch` compared values; the other two are failed runs. */
export const OUTCOMES = ['match', 'mismatch', 'shadow_error', 'timeout'] as const
export type Outcome = (typeof OUTCOMES)[number]

/** Difference severities, most severe first. */
export const SEVERITIES = ['critical', 'major', 'minor', 'cosmetic'] as const
export type Severity = (typeof SEVERITIES)[number]

/** A run's highest severity: a {@link Severity}, or `none` when nothing differed. */
export const RUN_SEVERITIES = [...SEVERITIES, 'none'] as const
export type RunSeverity = (typeof RUN_SEVERITIES)[number]

/** Whose answer the caller was served. */
export const SERVED = ['primary', 'shadow'] as const
export type Served = (typeof SERVED)[number]

/** The candidate name used when an experiment has a single shadow. */
export const DEFAULT_CANDIDATE = 'shadow'

/** Rank of a severity: higher is more severe; `none` is 0. */
export function severityRank(severity: RunSeverity): number {
  const index = SEVERITIES.indexOf(severity as Severity)
  return index === -1 ? 0 : SEVERITIES.length - index
}

/** The more severe of two severities. */
export function maxSeverity(a: RunSeverity, b: RunSeverity): RunSeverity {
  return severityRank(a) >= severityRank(b) ? a : b
}

/** True when `value` is one of `options` (a type guard for the enums above). */
export function isOneOf<T extends string>(options: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (options as readonly string[]).includes(value)
}
