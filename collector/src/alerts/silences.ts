import { randomUUID } from 'node:crypto'
import { parseDuration } from './duration.js'
import type { Labels } from './labels.js'
import { type Matcher, MatcherError, matchesAll, matchesOne, parseMatcher } from './matchers.js'

/** A silence: alerts its matchers match are not notified between `startsAt` and `endsAt`. */
export interface Silence {
  id: string
  matchers: Matcher[]
  createdBy: string
  comment: string
  startsAt: number
  endsAt: number
  updatedAt: number
}

export type SilenceState = 'pending' | 'active' | 'expired'

/** A silence request the API cannot accept; the message says why. */
export class SilenceError extends Error {
  override name = 'SilenceError'
}

/** The longest silence: past that, fix the route or the rule instead. */
export const MAX_SILENCE_MS = 90 * 86_400_000
const MAX_TEXT = 1000

export function silenceState(silence: Silence, now: number): SilenceState {
  if (now < silence.startsAt) return 'pending'
  return now < silence.endsAt ? 'active' : 'expired'
}

/** Ids of the active silences that match a label set. */
export function silencedBy(labels: Labels, silences: Iterable<Silence>, now: number): string[] {
  const ids: string[] = []
  for (const silence of silences) {
    if (silenceState(silence, now) === 'active' && matchesAll(silence.matchers, labels)) ids.push(silence.id)
  }
  return ids
}

/**
 * Validate a `POST /api/silences` body: `{ matchers, createdBy, comment, startsAt?, endsAt | duration }`.
 * Matchers are strings (`experiment="checkout"`) or Alertmanager's `{ name, value, isRegex, isEqual }`.
 */
export function newSilence(body: unknown, now: number, id: string = randomUUID()): Silence {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new SilenceError(
      'the body must be a JSON object: { matchers, createdBy, comment, endsAt | duration }',
    )
  const input = body as Record<string, unknown>
  for (const key of Object.keys(input)) {
    if (!['matchers', 'createdBy', 'comment', 'startsAt', 'endsAt', 'duration'].includes(key))
      throw new SilenceError(
        `unknown field ${key} (expected matchers, createdBy, comment, startsAt, endsAt, duration)`,
      )
  }
  if (!Array.isArray(input.matchers) || input.matchers.length === 0)
    throw new SilenceError('matchers must be a non-empty list, e.g. ["experiment=\\"checkout\\""]')
  const matchers = input.matchers.map((value, i) => silenceMatcher(value, i))
  // Alertmanager's rule: some matcher must fail on the empty label set, or the silence mutes everything.
  if (matchers.every((matcher) => matchesOne(matcher, {})))
    throw new SilenceError('matchers match every alert: at least one must require a label value')
  const createdBy = text(input.createdBy, 'createdBy')
  const comment = text(input.comment, 'comment')
  const startsAt = input.startsAt === undefined ? now : time(input.startsAt, 'startsAt')
  let endsAt: number
  if (input.endsAt !== undefined && input.duration !== undefined)
    throw new SilenceError('give endsAt or duration, not both')
  if (input.endsAt !== undefined) endsAt = time(input.endsAt, 'endsAt')
  else if (input.duration !== undefined) {
    const ms = parseDuration(input.duration)
    if (ms === undefined || ms <= 0)
      throw new SilenceError(
        `duration must be a duration such as 30m or 2h, got ${JSON.stringify(input.duration)}`,
      )
    endsAt = Math.max(startsAt, now) + ms
  } else throw new SilenceError('endsAt (ISO-8601) or duration (e.g. 2h) is required')
  if (endsAt <= startsAt) throw new SilenceError('endsAt must be after startsAt')
  if (endsAt <= now) throw new SilenceError('endsAt is in the past')
  if (endsAt - startsAt > MAX_SILENCE_MS) throw new SilenceError('a silence may last at most 90d')
  return { id, matchers, createdBy, comment, startsAt, endsAt, updatedAt: now }
}

/** End a silence now (a pending one ends before it starts). */
export function expireSilence(silence: Silence, now: number): Silence {
  return {
    ...silence,
    startsAt: Math.min(silence.startsAt, now),
    endsAt: Math.min(silence.endsAt, now),
    updatedAt: now,
  }
}

function silenceMatcher(value: unknown, i: number): Matcher {
  try {
    if (typeof value === 'string') return parseMatcher(value)
    if (typeof value === 'object' && value !== null) {
      const m = value as Record<string, unknown>
      if (typeof m.name !== 'string' || typeof m.value !== 'string')
        throw new MatcherError('name and value must be strings')
      const isRegex = m.isRegex === true
      const isEqual = m.isEqual !== false
      const op = isRegex ? (isEqual ? '=~' : '!~') : isEqual ? '=' : '!='
      return parseMatcher(`${m.name}${op}${JSON.stringify(m.value)}`)
    }
    throw new MatcherError(
      'must be a string such as severity="critical" or { name, value, isRegex, isEqual }',
    )
  } catch (error) {
    if (error instanceof MatcherError) throw new SilenceError(`matchers[${i}]: ${error.message}`)
    throw error
  }
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new SilenceError(`${name} is required (a non-empty string)`)
  if (value.length > MAX_TEXT) throw new SilenceError(`${name} is longer than ${MAX_TEXT} characters`)
  return value
}

function time(value: unknown, name: string): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN
  if (!Number.isFinite(ms))
    throw new SilenceError(`${name} must be an ISO-8601 time, got ${JSON.stringify(value)}`)
  return ms
}
