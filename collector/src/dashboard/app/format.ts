/**
 * Numbers and checks in words, for the page. Pure functions of plain values (no DOM), so they are
 * unit-tested without a browser.
 */
import type { ReadinessCheck } from './types.js'

/** Shown where a value is unknown (no runs yet). */
export const UNKNOWN = '—'

/** `1200` → `1,200`. */
export function count(value: number | null | undefined): string {
  return value === null || value === undefined ? UNKNOWN : value.toLocaleString('en-US')
}

/** `1 silence`, `3 silences`. */
export function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`
}

/** A number with at most `digits` decimals and no trailing zeros: 16.9491 → `16.95`, 10 → `10`. */
export function decimal(value: number, digits = 2): string {
  return String(Number(value.toFixed(digits)))
}

/** A fraction as a percentage: 0.94827 → `94.83%`, 1 → `100%`. */
export function percent(fraction: number | null | undefined, digits = 2): string {
  return fraction === null || fraction === undefined ? UNKNOWN : `${decimal(fraction * 100, digits)}%`
}

/** Milliseconds: `59.79 ms`, `1.25 s` from a second up. */
export function ms(value: number | null | undefined): string {
  if (value === null || value === undefined) return UNKNOWN
  return Math.abs(value) >= 1000 ? `${decimal(value / 1000, 2)} s` : `${decimal(value, 2)} ms`
}

const sign = (value: number) => (value > 0 ? '+' : value < 0 ? '−' : '±')

/** A signed difference in ms: `+10 ms`, `−3.5 ms`. */
export function signedMs(value: number | null | undefined): string {
  if (value === null || value === undefined) return UNKNOWN
  return `${sign(value)}${ms(Math.abs(value))}`
}

/** A signed percentage already in percent: 16.949 → `+16.95%`. */
export function signedPercent(value: number | null | undefined): string {
  if (value === null || value === undefined) return UNKNOWN
  return `${sign(value)}${decimal(Math.abs(value), 2)}%`
}

/** How long ago an ISO time was, coarsely: `just now`, `4 min ago`, `3 h ago`, `2 d ago`. */
export function ago(iso: string | null | undefined, now: number): string {
  if (!iso) return UNKNOWN
  const then = Date.parse(iso)
  if (Number.isNaN(then)) return iso
  const seconds = Math.max(0, Math.round((now - then) / 1000))
  if (seconds < 45) return 'just now'
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`
  return `${Math.round(seconds / 86400)} d ago`
}

/** An ISO time as `2026-11-21 22:32:57 UTC` (UTC: the API's clock, the same for every reader). */
export function utc(iso: string | null | undefined): string {
  if (!iso) return UNKNOWN
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

/** A recorded difference value as text: strings quoted, objects as indented JSON, absent as such. */
export function diffValue(value: unknown, present: boolean): string {
  if (!present) return '(absent)'
  if (value === undefined) return 'undefined'
  try {
    return JSON.stringify(value, null, 2) ?? String(value)
  } catch {
    return String(value)
  }
}

/** A readiness threshold in the unit of its check. */
function threshold(check: ReadinessCheck): string {
  switch (check.name) {
    case 'matchRate':
    case 'shadowErrorRate':
      return percent(check.threshold, 3)
    case 'p95DeltaPct':
      return signedPercent(check.threshold)
    default:
      return count(check.threshold)
  }
}

/** A readiness check in words, e.g. `Match rate 94.83% is below the 99.5% target`. */
export function checkInWords(check: ReadinessCheck): string {
  const limit = threshold(check)
  if (check.actual === null) {
    const what = CHECK_LABELS[check.name] ?? check.name
    return `${what}: not measured yet (no runs in the window); needs ${check.comparator} ${limit}`
  }
  const actual = check.actual
  switch (check.name) {
    case 'samples':
      return check.ok
        ? `${count(actual)} runs (at least ${limit} needed)`
        : `Only ${count(actual)} runs; at least ${limit} needed`
    case 'matchRate':
      return check.ok
        ? `Match rate ${percent(actual, 3)} meets the ${limit} target`
        : `Match rate ${percent(actual, 3)} is below the ${limit} target`
    case 'p95DeltaPct':
      return check.ok
        ? `Shadow p95 ${signedPercent(actual)} vs primary, within ${limit}`
        : `Shadow p95 is ${signedPercent(actual)} vs primary, over the ${limit} limit`
    case 'shadowErrorRate':
      return check.ok
        ? `Shadow failed ${percent(actual, 3)} of runs, within ${limit}`
        : `Shadow failed ${percent(actual, 3)} of runs (errors and timeouts), over the ${limit} limit`
    case 'criticalMismatches':
      return check.ok
        ? `${count(actual)} runs with a critical difference (at most ${limit})`
        : `${count(actual)} runs with a critical difference; at most ${limit} allowed`
    default:
      return `${check.name} ${decimal(actual, 4)} ${check.ok ? 'meets' : 'fails'} ${check.comparator} ${limit}`
  }
}

/** What each readiness check measures, for table headers and unknown values. */
export const CHECK_LABELS: Record<string, string> = {
  samples: 'Runs',
  matchRate: 'Match rate',
  p95DeltaPct: 'p95 latency delta',
  shadowErrorRate: 'Shadow failure rate',
  criticalMismatches: 'Critical mismatches',
}

/** The failing checks of a judgement in words (empty when every check passed). */
export function failuresInWords(checks: readonly ReadinessCheck[], prefix = ''): string[] {
  return checks.filter((check) => !check.ok).map((check) => `${prefix}${checkInWords(check)}`)
}

/** A verdict in words: colour is never the only signal. */
export function verdictInWords(verdict: string | null | undefined): string {
  if (verdict === 'go') return 'GO — ready for cutover'
  if (verdict === 'no-go') return 'NO-GO — not ready for cutover'
  return 'Verdict unknown'
}
