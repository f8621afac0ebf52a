/**
 * Parity maths over merged rollup rows: outcome counts, rates and latency percentiles. Pure: the
 * queries hand rows in, plain numbers come out.
 */

/** Aggregate columns over a `runs` rollup source; every parity query selects these. */
export const STATS_COLUMNS = `sum(runs) AS runs,
  sum(matches) AS matches,
  sum(mismatches) AS mismatches,
  sum(shadow_errors) AS shadow_errors,
  sum(timeouts) AS timeouts,
  sum(primary_errors) AS primary_errors,
  sum(critical) AS critical,
  sum(major) AS major,
  sum(minor) AS minor,
  sum(cosmetic) AS cosmetic,
  quantilesTDigestMerge(0.5, 0.95, 0.99)(primary_ms) AS primary_q,
  quantilesTDigestMerge(0.5, 0.95, 0.99)(shadow_ms) AS shadow_q`

/** One row of {@link STATS_COLUMNS} as JSON gives it: a server quotes 64-bit integers, chDB may not. */
export interface StatsRow {
  runs: number | string
  matches: number | string
  mismatches: number | string
  shadow_errors: number | string
  timeouts: number | string
  primary_errors: number | string
  critical: number | string
  major: number | string
  minor: number | string
  cosmetic: number | string
  primary_q: (number | string | null)[]
  shadow_q: (number | string | null)[]
}

/** Runs per outcome (Zalando's Matched / Unmatched / Failed, with Failed split in two). */
export interface Outcomes {
  match: number
  mismatch: number
  shadow_error: number
  timeout: number
}

/** p50, p95 and p99; null when there were no runs. */
export interface Percentiles {
  p50: number | null
  p95: number | null
  p99: number | null
}

/** Latency parity: each side's percentiles, and how much slower the shadow is (ms and %). */
export interface LatencyParity {
  primary: Percentiles
  shadow: Percentiles
  /** shadow − primary, per percentile, in ms (positive: the shadow is slower). */
  delta: Percentiles
  /** (shadow − primary) / primary × 100, per percentile. */
  deltaPct: Percentiles
}

/** Error parity: how often each side failed. Rates are fractions of all runs. */
export interface ErrorParity {
  /** Runs whose primary threw. */
  primary: number
  primaryRate: number | null
  /** Runs whose shadow threw while the primary did not. */
  shadow: number
  /** Runs whose shadow missed its deadline. */
  timeouts: number
  /** (shadow errors + timeouts) / runs: how often the shadow gave no answer to compare. */
  shadowRate: number | null
}

/** Runs per highest-difference severity (mismatches only carry one). */
export interface SeverityHistogram {
  critical: number
  major: number
  minor: number
  cosmetic: number
}

/** The headline parity numbers of a set of runs. */
export interface RunStats {
  runs: number
  outcomes: Outcomes
  /** match / (match + mismatch); null when no run was compared. */
  matchRate: number | null
  /** match + mismatch: runs whose values were compared. */
  compared: number
  /** shadow_error + timeout: runs that could not be compared. */
  failed: number
  errors: ErrorParity
  severities: SeverityHistogram
  latencyMs: LatencyParity
}

/** Turn a merged rollup row into parity numbers. */
export function toRunStats(row: StatsRow | undefined): RunStats {
  const n = (value: number | string | undefined) => Number(value ?? 0)
  const runs = n(row?.runs)
  const outcomes: Outcomes = {
    match: n(row?.matches),
    mismatch: n(row?.mismatches),
    shadow_error: n(row?.shadow_errors),
    timeout: n(row?.timeouts),
  }
  const compared = outcomes.match + outcomes.mismatch
  const failed = outcomes.shadow_error + outcomes.timeout
  const primaryErrors = n(row?.primary_errors)
  const primary = runs === 0 ? EMPTY : percentiles(row?.primary_q)
  const shadow = runs === 0 ? EMPTY : percentiles(row?.shadow_q)
  return {
    runs,
    outcomes,
    matchRate: compared === 0 ? null : outcomes.match / compared,
    compared,
    failed,
    errors: {
      primary: primaryErrors,
      primaryRate: runs === 0 ? null : primaryErrors / runs,
      shadow: outcomes.shadow_error,
      timeouts: outcomes.timeout,
      shadowRate: runs === 0 ? null : failed / runs,
    },
    severities: {
      critical: n(row?.critical),
      major: n(row?.major),
      minor: n(row?.minor),
      cosmetic: n(row?.cosmetic),
    },
    latencyMs: latencyParity(primary, shadow),
  }
}

const EMPTY: Percentiles = Object.freeze({ p50: null, p95: null, p99: null })

function percentiles(values: (number | string | null)[] | undefined): Percentiles {
  const at = (i: number) => {
    const value = values?.[i]
    if (value === null || value === undefined) return null
    const ms = Number(value)
    return Number.isFinite(ms) ? round(ms, 3) : null
  }
  return { p50: at(0), p95: at(1), p99: at(2) }
}

/** Shadow against primary, per percentile: the difference in ms and in percent of the primary. */
export function latencyParity(primary: Percentiles, shadow: Percentiles): LatencyParity {
  const delta: Percentiles = { p50: null, p95: null, p99: null }
  const deltaPct: Percentiles = { p50: null, p95: null, p99: null }
  for (const key of ['p50', 'p95', 'p99'] as const) {
    delta[key] = deltaMs(primary[key], shadow[key])
    deltaPct[key] = deltaPercent(primary[key], shadow[key])
  }
  return { primary, shadow, delta, deltaPct }
}

/** shadow − primary in ms; null when either is unknown. */
export function deltaMs(primary: number | null, shadow: number | null): number | null {
  return primary === null || shadow === null ? null : round(shadow - primary, 3)
}

/** How much slower the shadow is, in percent of the primary; null when it cannot be said (primary 0). */
export function deltaPercent(primary: number | null, shadow: number | null): number | null {
  if (primary === null || shadow === null) return null
  if (shadow === primary) return 0
  if (primary <= 0) return null
  return round((100 * (shadow - primary)) / primary, 3)
}

/** Round to `digits` decimals (3 for ms: microseconds). */
export function round(value: number, digits: number): number {
  const scale = 10 ** digits
  return Math.round(value * scale) / scale
}
