/** Normalisers: map each side's value before comparing, so that different spellings of one value are equal. */

import type { Normalizer, NormalizerName } from './types.js'

type Normalize = (value: unknown) => unknown

// ISO-8601 extended format: date, optional time with optional fraction, optional zone.
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/

/**
 * The instant an ISO-8601 string or a Date names, as a canonical string, so that
 * `2024-01-01T00:00:00Z`, `2024-01-01T00:00:00.000Z` and `2024-01-01T01:00:00+01:00` are equal.
 * A time without a zone is taken as UTC. Anything else is returned unchanged.
 */
export function normalizeDatetime(value: unknown): unknown {
  if (value instanceof Date) return instant(value.getTime(), '')
  if (typeof value !== 'string') return value
  const match = ISO_8601.exec(value.trim())
  if (match === null) return value
  const [, year, month, day, hour = '0', minute = '0', second = '0', fraction = '', zone] = match
  const y = Number(year)
  const mo = Number(month)
  const d = Number(day)
  const h = Number(hour)
  const mi = Number(minute)
  const s = Number(second)
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 24 || mi > 59 || s > 60) return value
  if (h === 24 && (mi !== 0 || s !== 0 || /[1-9]/.test(fraction))) return value
  const date = new Date(0)
  date.setUTCFullYear(y, mo - 1, d)
  date.setUTCHours(h, mi, s, Number(fraction.slice(0, 3).padEnd(3, '0')))
  const offsetMinutes = zoneOffsetMinutes(zone)
  if (offsetMinutes === null) return value
  const beyondMillis = fraction.slice(3).replace(/0+$/, '')
  return instant(date.getTime() - offsetMinutes * 60_000, beyondMillis)
}

function instant(epochMillis: number, beyondMillis: string): string {
  return beyondMillis === '' ? `instant:${epochMillis}` : `instant:${epochMillis}.${beyondMillis}`
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0)
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
}

function zoneOffsetMinutes(zone: string | undefined): number | null {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0
  const digits = zone.slice(1).replace(':', '')
  const hours = Number(digits.slice(0, 2))
  const minutes = digits.length > 2 ? Number(digits.slice(2)) : 0
  if (hours > 23 || minutes > 59) return null
  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes)
}

const BUILT_IN: Record<NormalizerName, Normalize> = {
  datetime: normalizeDatetime,
  trim: (value) => (typeof value === 'string' ? value.trim() : value),
  case: (value) => (typeof value === 'string' ? value.toLowerCase() : value),
  whitespace: (value) => (typeof value === 'string' ? value.replace(/\s+/g, ' ').trim() : value),
}

/** One function applying a rule's normalisers in order, or a clear error for an unknown name. */
export function compileNormalize(spec: Normalizer | readonly Normalizer[], pattern: string): Normalize {
  const steps = (Array.isArray(spec) ? spec : [spec]).map((step: Normalizer): Normalize => {
    if (typeof step === 'function') return step
    if (typeof step === 'string' && Object.hasOwn(BUILT_IN, step)) return BUILT_IN[step]
    throw new TypeError(
      `compare: rule '${pattern}': normalize must be 'datetime', 'trim', 'case', 'whitespace' or a function, got ${String(step)}`,
    )
  })
  if (steps.length === 1) return steps[0] as Normalize
  return (value) => steps.reduce((current, step) => step(current), value)
}
