/** Exponential backoff with equal jitter: half the doubled delay is fixed, half random, capped at `maxMs`. */
export function backoffMs(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(ceiling / 2 + random() * (ceiling / 2))
}

/** The longest `Retry-After` honoured; a receiver asking for more is retried after this. */
export const MAX_RETRY_AFTER_MS = 10 * 60_000

/** How long to wait before the next attempt: the receiver's `Retry-After` when it gave one, else backoff. */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, MAX_RETRY_AFTER_MS)
  return backoffMs(attempt, initialMs, maxMs, random)
}
