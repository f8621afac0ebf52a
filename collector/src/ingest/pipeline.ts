import { randomUUID } from 'node:crypto'
import type { SpanRowFormat } from '../store/spans.js'
import { type Spool, SpoolFullError } from './spool.js'

/**
 * Where sealed batches go: an insert that is a no-op when retried with the same token. Batches are
 * JSONCompactEachRow, except spooled ones an earlier build wrote (`format` says which).
 */
export interface BatchSink {
  insert(body: Buffer, token: string, format: SpanRowFormat): Promise<void>
}

/** How the rows ingest submits are encoded. */
const FORMAT: SpanRowFormat = 'JSONCompactEachRow'

export interface PipelineOptions {
  /** Seal a batch at this many rows... */
  maxBatchRows: number
  /** ...or when its first row has waited this long... */
  maxBatchAgeMs: number
  /**
   * ...or as soon as an insert slot is free and this long has passed since the last insert began
   * (group commit: light load gets low latency, heavy load gets large batches, and ClickHouse sees
   * at most about 1000 / minInsertIntervalMs inserts a second).
   */
  minInsertIntervalMs: number
  /** Bytes held in memory (open, sealed and in-flight batches) before submissions get 429. */
  maxQueueBytes: number
  /** Inserts running at once. */
  maxConcurrentInserts: number
  /** An insert taking longer is treated as failed (and spooled with its token, so a late success dedups). */
  insertTimeoutMs: number
  /** Spool replay backoff: first delay and cap, doubled with jitter after each failure. */
  retryInitialMs: number
  retryMaxMs: number
}

export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = {
  maxBatchRows: 20000,
  maxBatchAgeMs: 1000,
  minInsertIntervalMs: 200,
  maxQueueBytes: 128 * 1024 * 1024,
  maxConcurrentInserts: 2,
  insertTimeoutMs: 30_000,
  retryInitialMs: 250,
  retryMaxMs: 30_000,
}

/** Too much is waiting in memory; the receiver answers 429 with Retry-After. */
export class BackpressureError extends Error {
  override name = 'BackpressureError'
}

/** What happened to a batch, for metrics. */
export type BatchOutcome = 'inserted' | 'spooled' | 'replayed' | 'failed'

export interface PipelineObserver {
  batch?(outcome: BatchOutcome, rows: number, seconds: number): void
  error?(message: string): void
}

interface Waiter {
  resolve: () => void
  reject: (error: Error) => void
}

interface Batch {
  chunks: Buffer[]
  rows: number
  bytes: number
  waiters: Waiter[]
}

const newBatch = (): Batch => ({ chunks: [], rows: 0, bytes: 0, waiters: [] })

/**
 * Groups accepted rows into batches by size or age and makes each batch durable: inserted, or — when
 * the store fails — written to the spool and replayed with backoff until inserted. A submission
 * resolves only once its rows are durable. Memory is bounded by `maxQueueBytes`; the spool by its own
 * bound. Nothing is dropped: when neither can take more, the submission is refused (429 / 503).
 */
export class IngestPipeline {
  private open = newBatch()
  private openedAt = 0
  private timer: NodeJS.Timeout | undefined
  private readonly sealed: Batch[] = []
  private inFlight = 0
  private lastInsertAt = Number.NEGATIVE_INFINITY
  private heldBytes = 0
  private storeHealthy = true
  private replaying = false
  private replayTimer: NodeJS.Timeout | undefined
  private replayDelayMs: number
  private closed = false
  private readonly idle: (() => void)[] = []

  constructor(
    private readonly sink: BatchSink,
    private readonly spool: Spool,
    private readonly options: PipelineOptions = DEFAULT_PIPELINE_OPTIONS,
    private readonly observer: PipelineObserver = {},
  ) {
    this.replayDelayMs = options.retryInitialMs
  }

  /** Bytes of rows held in memory. */
  get queuedBytes(): number {
    return this.heldBytes
  }

  /** Whether the last insert succeeded. */
  get healthy(): boolean {
    return this.storeHealthy
  }

  /** Add rows (newline-terminated JSONCompactEachRow lines); resolves when they are durable. */
  submit(body: Buffer, rows: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the collector is shutting down'))
    if (rows === 0) return Promise.resolve()
    if (this.heldBytes + body.length > this.options.maxQueueBytes) {
      return Promise.reject(
        new BackpressureError(`ingest queue is full (${this.heldBytes} bytes waiting); retry shortly`),
      )
    }
    if (!this.storeHealthy && !this.spool.hasRoom(this.heldBytes + body.length)) {
      return Promise.reject(new SpoolFullError('storage is unavailable and the spool is full; retry later'))
    }
    return new Promise<void>((resolve, reject) => {
      this.heldBytes += body.length
      const batch = this.open
      if (batch.rows === 0) this.openedAt = performance.now()
      batch.chunks.push(body)
      batch.rows += rows
      batch.bytes += body.length
      batch.waiters.push({ resolve, reject })
      this.maybeSeal()
    })
  }

  /** Seal the open batch and wait until everything submitted so far is durable. */
  async flush(): Promise<void> {
    this.seal()
    if (this.sealed.length === 0 && this.inFlight === 0) return
    await new Promise<void>((resolve) => this.idle.push(resolve))
  }

  /** Start replaying what an earlier run left in the spool. */
  start(): void {
    if (this.spool.size > 0) this.scheduleReplay(0)
  }

  /** Flush, then stop replaying. What is still spooled stays on disk for the next start. */
  async close(): Promise<void> {
    await this.flush()
    this.closed = true
    clearTimeout(this.replayTimer)
  }

  /** Seal the open batch now if it is full or an insert slot is free; otherwise arm a timer. */
  private maybeSeal(): void {
    const open = this.open
    if (open.rows === 0) return
    if (open.rows >= this.options.maxBatchRows) {
      this.seal()
    } else if (this.inFlight + this.sealed.length < this.options.maxConcurrentInserts) {
      const wait = this.lastInsertAt + this.options.minInsertIntervalMs - performance.now()
      if (wait <= 0) this.seal()
      else this.arm(wait)
    } else {
      this.arm(this.openedAt + this.options.maxBatchAgeMs - performance.now())
    }
  }

  private arm(delayMs: number): void {
    if (this.timer) return
    this.timer = setTimeout(() => {
      this.timer = undefined
      // When the timer fires because a slot was busy, check again rather than queueing blindly,
      // unless the batch has reached its age bound.
      if (performance.now() - this.openedAt >= this.options.maxBatchAgeMs) this.seal()
      else this.maybeSeal()
    }, delayMs)
  }

  private seal(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.open.rows === 0) return
    this.sealed.push(this.open)
    this.open = newBatch()
    this.pump()
  }

  private pump(): void {
    while (this.inFlight < this.options.maxConcurrentInserts && this.sealed.length > 0) {
      const batch = this.sealed.shift() as Batch
      this.inFlight++
      this.lastInsertAt = performance.now()
      void this.persist(batch).finally(() => {
        this.inFlight--
        this.pump()
        this.maybeSeal() // rows that gathered during the insert go next
        if (this.inFlight === 0 && this.sealed.length === 0) for (const done of this.idle.splice(0)) done()
      })
    }
  }

  /** Insert a batch, or spool it when the store fails; settle its waiters either way. */
  private async persist(batch: Batch): Promise<void> {
    // Memory is released before waiters hear back, so a client told "done" finds room at once.
    const settle = (error?: Error) => {
      this.heldBytes -= batch.bytes
      for (const waiter of batch.waiters)
        if (error) waiter.reject(error)
        else waiter.resolve()
    }
    const body =
      batch.chunks.length === 1 ? (batch.chunks[0] as Buffer) : Buffer.concat(batch.chunks, batch.bytes)
    const token = randomUUID()
    const started = performance.now()
    if (this.storeHealthy) {
      try {
        await this.insertWithTimeout(body, token, FORMAT)
        this.observer.batch?.('inserted', batch.rows, (performance.now() - started) / 1000)
        settle()
        if (this.spool.size > 0 && !this.replaying) this.scheduleReplay(0)
        return
      } catch (error) {
        this.markUnhealthy(error as Error)
      }
    }
    try {
      this.spool.write(body, batch.rows, token, FORMAT)
      this.observer.batch?.('spooled', batch.rows, (performance.now() - started) / 1000)
      settle()
    } catch (error) {
      this.observer.batch?.('failed', batch.rows, (performance.now() - started) / 1000)
      const reason =
        error instanceof SpoolFullError
          ? error
          : new SpoolFullError(`cannot spool: ${(error as Error).message}`)
      settle(reason)
    }
  }

  private markUnhealthy(error: Error): void {
    if (this.storeHealthy)
      this.observer.error?.(`insert failed, spooling until the store recovers: ${error.message}`)
    this.storeHealthy = false
    if (!this.replaying) this.scheduleReplay(this.replayDelayMs)
  }

  private scheduleReplay(delayMs: number): void {
    if (this.closed) return
    clearTimeout(this.replayTimer)
    this.replaying = true
    this.replayTimer = setTimeout(() => void this.replay(), delayMs)
  }

  /** Insert spooled batches oldest first; on failure back off (exponential, with jitter) and retry. */
  private async replay(): Promise<void> {
    for (const batch of this.spool.list()) {
      if (this.closed) break
      const started = performance.now()
      try {
        await this.insertWithTimeout(this.spool.read(batch), batch.token, batch.format)
      } catch (error) {
        this.storeHealthy = false
        this.observer.error?.(
          `spool replay failed, retrying in ${this.replayDelayMs} ms: ${(error as Error).message}`,
        )
        const delay = this.replayDelayMs
        this.replayDelayMs = Math.min(this.options.retryMaxMs, this.replayDelayMs * 2)
        this.scheduleReplay(delay / 2 + Math.random() * (delay / 2))
        return
      }
      this.spool.remove(batch)
      this.observer.batch?.('replayed', batch.rows, (performance.now() - started) / 1000)
      this.replayDelayMs = this.options.retryInitialMs
    }
    this.storeHealthy = true
    this.replaying = false
    // Batches spooled while this pass ran are picked up by another pass.
    if (this.spool.size > 0) this.scheduleReplay(0)
  }

  private insertWithTimeout(body: Buffer, token: string, format: SpanRowFormat): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`insert took longer than ${this.options.insertTimeoutMs} ms`)),
        this.options.insertTimeoutMs,
      )
    })
    return Promise.race([this.sink.insert(body, token, format), timeout]).finally(() => clearTimeout(timer))
  }
}
