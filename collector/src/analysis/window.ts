import { BadRequestError } from './errors.js'

/** A look-back window such as `15m`, `1h` or `7d`. */
export interface Window {
  /** As written, e.g. `1h`. */
  text: string
  /** Length in milliseconds. */
  ms: number
}

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS
const UNIT_MS: Record<string, number> = { m: MINUTE_MS, h: HOUR_MS, d: DAY_MS }

/** The shortest window: the rollups' grain. */
export const MIN_WINDOW_MS = MINUTE_MS
/** The longest window; longer ones outlive any sensible retention and scan for nothing. */
export const MAX_WINDOW_MS = 90 * DAY_MS

/** Parse `15m`, `1h`, `24h`, `7d`… (minutes, hours, days; 1m to 90d). Throws {@link BadRequestError}. */
export function parseWindow(value: unknown, key = 'window'): Window {
  const text = typeof value === 'string' ? value.trim() : ''
  const match = /^(\d{1,6})([mhd])$/.exec(text)
  if (!match) {
    throw new BadRequestError(
      `${key} must be a whole number followed by m, h or d (e.g. 15m, 1h, 7d), got ${JSON.stringify(value)}`,
    )
  }
  const ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number)
  if (ms < MIN_WINDOW_MS || ms > MAX_WINDOW_MS) {
    throw new BadRequestError(`${key} must be from 1m to 90d, got "${text}"`)
  }
  return { text, ms }
}

/**
 * The minutes a window covers, in unix seconds: from the minute holding `now - window` to the
 * minute holding `now`, both included. Rollups are per minute, so windows are whole minutes.
 */
export interface MinuteRange {
  /** Start of the first minute (unix seconds). */
  fromMinute: number
  /** Start of the last minute (unix seconds), the one holding `now`. */
  toMinute: number
}

/** The minute range of `window` ending at `nowMs`. */
export function minuteRange(window: Window, nowMs: number): MinuteRange {
  return {
    fromMinute: floorTo(Math.floor((nowMs - window.ms) / 1000), 60),
    toMinute: floorTo(Math.floor(nowMs / 1000), 60),
  }
}

/** A time-series bucket size, e.g. `5m`, with its length in seconds. */
export interface Bucket {
  text: string
  seconds: number
}

const BUCKETS: Bucket[] = [
  { text: '1m', seconds: 60 },
  { text: '5m', seconds: 300 },
  { text: '15m', seconds: 900 },
  { text: '1h', seconds: 3600 },
  { text: '6h', seconds: 6 * 3600 },
  { text: '1d', seconds: 86400 },
]

/** At most this many points in a series: enough for a chart, few enough to ship. */
export const MAX_SERIES_POINTS = 300

/** The finest bucket that keeps a window's series within {@link MAX_SERIES_POINTS}. */
export function bucketFor(range: MinuteRange): Bucket {
  const seconds = range.toMinute - range.fromMinute + 60
  return (
    BUCKETS.find((bucket) => Math.ceil(seconds / bucket.seconds) + 1 <= MAX_SERIES_POINTS) ??
    (BUCKETS[BUCKETS.length - 1] as Bucket)
  )
}

/** Round `value` down to a multiple of `step`. */
export function floorTo(value: number, step: number): number {
  return Math.floor(value / step) * step
}

/** Unix seconds as an ISO-8601 UTC timestamp. */
export function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString()
}
