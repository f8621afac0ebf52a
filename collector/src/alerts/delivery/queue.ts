import type { Notification } from '../notification.js'
import type { Sender } from '../receivers/send.js'
import { retryDelayMs } from './backoff.js'

export interface QueueOptions {
  /** Notifications waiting at most; more are dropped and counted. */
  capacity: number
  maxAttempts: number
  initialBackoffMs: number
  maxBackoffMs: number
  /** Least time between two sends (Slack: about one message a second per webhook). */
  minIntervalMs: number
  random?: () => number
  now?: () => number
}

/** What became of each notification. */
export interface QueueEvents {
  delivered(notification: Notification, attempts: number): void
  /** Given up: a non-retryable answer, or every attempt failed. */
  failed(notification: Notification, error: string, attempts: number): void
  /** A retryable failure; the next attempt comes after `delayMs`. */
  retrying?(notification: Notification, error: string, delayMs: number): void
}

/** Counts for /metrics and `GET /api/alerts`. */
export interface QueueStats {
  sent: number
  failed: number
  dropped: number
  retries: number
}

/**
 * One receiver's bounded delivery queue: sends one notification at a time, retries 429, 5xx and
 * network errors with exponential backoff and jitter (or the receiver's `Retry-After`), never other
 * 4xx, and keeps a minimum interval between sends. Closing aborts the send in progress; whatever is
 * left stays in the dispatcher's persisted outbox and is sent after the next start.
 */
export class DeliveryQueue {
  readonly stats: QueueStats = { sent: 0, failed: 0, dropped: 0, retries: 0 }
  private readonly waiting: Notification[] = []
  private readonly abort = new AbortController()
  private running: Promise<void> | undefined
  private lastSentAt = Number.NEGATIVE_INFINITY
  private readonly now: () => number

  constructor(
    readonly receiver: string,
    private readonly send: Sender,
    private readonly options: QueueOptions,
    private readonly events: QueueEvents,
  ) {
    this.now = options.now ?? Date.now
  }

  /** Notifications waiting or being sent. */
  get size(): number {
    return this.waiting.length + (this.running ? 1 : 0)
  }

  /** Queue a notification; false (and counted as dropped) when the queue is full or closed. */
  push(notification: Notification): boolean {
    if (this.abort.signal.aborted || this.waiting.length >= this.options.capacity) {
      this.stats.dropped++
      return false
    }
    this.waiting.push(notification)
    this.running ??= this.drain().finally(() => {
      this.running = undefined
    })
    return true
  }

  /** Stop: abort the send in progress and wait for the worker to finish. */
  async close(): Promise<void> {
    this.abort.abort()
    this.waiting.length = 0
    await this.running
  }

  private async drain(): Promise<void> {
    const signal = this.abort.signal
    for (
      let next = this.waiting.shift();
      next !== undefined && !signal.aborted;
      next = this.waiting.shift()
    ) {
      await this.deliver(next, signal)
    }
  }

  private async deliver(notification: Notification, signal: AbortSignal): Promise<void> {
    const { maxAttempts, initialBackoffMs, maxBackoffMs, minIntervalMs, random } = this.options
    for (let attempt = 1; ; attempt++) {
      await sleep(this.lastSentAt + minIntervalMs - this.now(), signal)
      if (signal.aborted) return
      this.lastSentAt = this.now()
      const result = await this.send(notification, signal)
      if (signal.aborted) return // not recorded: it stays in the outbox and goes again after a restart
      if (result.ok) {
        this.stats.sent++
        this.events.delivered(notification, attempt)
        return
      }
      if (!result.retryable || attempt >= maxAttempts) {
        this.stats.failed++
        this.events.failed(notification, result.error, attempt)
        return
      }
      const delay = retryDelayMs(attempt, result.retryAfterMs, initialBackoffMs, maxBackoffMs, random)
      this.stats.retries++
      this.events.retrying?.(notification, result.error, delay)
      // The receiver's Retry-After also holds off the next message, not just this one.
      this.lastSentAt = this.now() + delay - minIntervalMs
      await sleep(delay, signal)
      if (signal.aborted) return
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done)
  })
}
