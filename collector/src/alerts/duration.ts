/** Durations as Alertmanager writes them: `200ms`, `30s`, `5m`, `4h`, `1d`, or a sum like `1h30m`. */

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}
const WHOLE = /^(?:\d+(?:ms|s|m|h|d|w))+$/
const PART = /(\d+)(ms|s|m|h|d|w)/g

/** Milliseconds of a duration such as `30s` or `1h30m`; undefined when it is not one. */
export function parseDuration(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined
  const trimmed = text.trim()
  if (!WHOLE.test(trimmed)) return undefined
  let ms = 0
  for (const [, amount, unit] of trimmed.matchAll(PART))
    ms += Number(amount) * (UNIT_MS[unit as string] as number)
  return ms
}

/** A duration in the largest unit that divides it, e.g. 300000 → `5m`, 1500 → `1500ms`. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit] as number
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}
