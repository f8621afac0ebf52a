import { randomUUID } from 'node:crypto'
import type { SpanRowFormat } from '../store/spans.js'
import { type Segment, type Spool, SpoolFullError } from './spool.js'

/**
 * Where batches go: an insert that is a no-op when retried with the same token. Batches are
 * RowBinary, except spooled ones an earlier build wrote (`format` says which).
 */
export interface BatchSink {
  insert(batch: BatchToInsert): Promise<void>
}

/** One insert: its rows are in `files` in the spool (every name carries the token), and `read` gives them. */
export interface BatchToInsert {
  token: string
  format: SpanRowFormat
  /** The spool files that hold the batch's rows, oldest first (an embedded engine can read them itself). */
  files: string[]
  /** The rows as one buffer: from memory when they are still held, else read from the spool. */
  read(): Promise<Buffer>
}

export interface PipelineOptions {
  /** An insert takes at most this many rows (whole spool segments, at least one)... */
  maxBatchRows: number
  /**
   * ...and starts once that many are waiting or the oldest waiting row is this old, when an insert
   * slot is free. Rows are acknowledged before (when their spool segment is fsynced), so this is
   * how fresh the stored data is, not how long exporters wait.
   */
  maxBatchAgeMs: number
  /**
   * Bytes of acknowledged rows waiting for a healthy ClickHouse before submissions get 429. While
   * the store fails, rows wait on disk only and the spool's bound applies instead (503).
   */
  maxQueueBytes: number
  /**
   * Keep waiting rows in memory for their insert (a server is sent the bytes). Off when the store
   * reads the spool files itself (the embedded engine): then the group commit is written from the
   * requests' buffers as they are, and nothing is kept.
   */
  holdRows: boolean
  /** Inserts running at once. */
  maxConcurrentInserts: number
  /** An insert taking longer is treated as failed (and retried with its token, so a late success dedups). */
  insertTimeoutMs: number
  /** Retry backoff while the store fails: first delay and cap, doubled with jitter after each failure. */
  retryInitialMs: number
  retryMaxMs: number
}

export const DEFAULT_PIPELINE_OPTIONS: PipelineOptions = {
  maxBatchRows: 100_000,
  maxBatchAgeMs: 1000,
  maxQueueBytes: 128 * 1024 * 1024,
  holdRows: true,
  maxConcurrentInserts: 2,
  insertTimeoutMs: 30_000,
  retryInitialMs: 250,
  retryMaxMs: 30_000,
}

/** Too much is waiting in memory; the receiver answers 429 with Retry-After. */
export class BackpressureError extends Error {
  override name = 'BackpressureError'
}

/**
 * What happened to an insert, for metrics: inserted at the first try, spooled (it failed; its rows
 * wait in the spool), replayed (a later try stored them), or failed (rows could not be written to
 * the spool, so their requests were refused).
 */
export type BatchOutcome = 'inserted' | 'spooled' | 'replayed' | 'failed'

export interface PipelineObserver {
  batch?(outcome: BatchOutcome, rows: number, seconds: number): void
  error?(message: string): void
}

interface Waiter {
  resolve: () => void
  reject: (error: Error) => void
}

/** Rows submitted since the last spool write began: the next group commit. */
interface Commit {
  chunks: Buffer[]
  rows: number
  bytes: number
  waiters: Waiter[]
}

/**
 * A spool segment waiting for ClickHouse, with its rows in memory (when the pipeline holds rows)
 * unless they were let go. `held` is what it counts against `maxQueueBytes` until then.
 */
interface Waiting {
  segment: Segment
  body?: Buffer
  held: number
  since: number
}

/** One insert's worth of segments; `token` once the spool records it (and for every retry). */
interface Batch {
  items: Waiting[]
  token?: string
  retried: boolean
}

const newCommit = (): Commit => ({ chunks: [], rows: 0, bytes: 0, waiters: [] })
const concat = (chunks: Buffer[], bytes: number) =>
  chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, bytes)

/**
 * Makes accepted rows durable, then stores them in ClickHouse in large batches
 * (docs/decisions/0003-spool-and-batching.md).
 *
 * 1. Group commit to the spool: rows submitted while a spool write is in progress are written
 *    together as the next segment, fsynced; then their requests are acknowledged.
 * 2. Inserts take waiting segments, up to `maxBatchRows`, once that many wait or the oldest is
 *    `maxBatchAgeMs` old. Each insert first names its segments with its dedup token in the spool,
 *    and deletes them once stored. A failing store is retried with backoff; rows keep being
 *    acknowledged into the spool up to its bound (then 503).
 *
 * Acknowledgement costs an fsync, not an insert, so exporters that wait for answers are not held
 * to ClickHouse's pace, and inserts are as large as the load allows. Memory is bounded by
 * `maxQueueBytes` (then 429); while the store fails, rows live only on disk.
 */
export class IngestPipeline {
  private open = newCommit()
  private writing = false
  private readonly waiting: Waiting[] = []
  private waitingRows = 0
  private readonly retries: Batch[] = []
  private inFlight = 0
  private heldBytes = 0
  private storeHealthy = true
  private retryAt = 0
  private retryDelayMs: number
  private timer: NodeJS.Timeout | undefined
  private flushing = 0
  private closed = false
  private readonly idle: (() => void)[] = []

  constructor(
    private readonly sink: BatchSink,
    private readonly spool: Spool,
    private readonly options: PipelineOptions = DEFAULT_PIPELINE_OPTIONS,
    private readonly observer: PipelineObserver = {},
  ) {
    this.retryDelayMs = options.retryInitialMs
  }

  /** Bytes of acknowledged rows waiting for a healthy store (counted against `maxQueueBytes`). */
  get queuedBytes(): number {
    return this.heldBytes
  }

  /** Why no more rows can be taken now (the queue is at `maxQueueBytes`), or undefined. */
  backpressure(): string | undefined {
    if (this.heldBytes < this.options.maxQueueBytes) return undefined
    return `ingest queue is full (${this.heldBytes} bytes waiting); retry shortly`
  }

  /** Whether the last insert succeeded. */
  get healthy(): boolean {
    return this.storeHealthy
  }

  /** Add rows (RowBinary, see ingest/rows.ts); resolves once they are in the spool. */
  submit(body: Buffer, rows: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the collector is shutting down'))
    if (rows === 0) return Promise.resolve()
    // Full once `maxQueueBytes` wait: the request that crosses the bound is still taken.
    const full = this.backpressure()
    if (full !== undefined) {
      return Promise.reject(new BackpressureError(full))
    }
    if (!this.spool.hasRoom(this.open.bytes + body.length)) {
      return Promise.reject(
        new SpoolFullError(
          `the spool is full (${this.spool.bytes} bytes not yet in ClickHouse${this.storeHealthy ? '' : ', which is failing'}); retry later`,
        ),
      )
    }
    return new Promise<void>((resolve, reject) => {
      this.heldBytes += body.length
      const open = this.open
      open.chunks.push(body)
      open.rows += rows
      open.bytes += body.length
      open.waiters.push({ resolve, reject })
      if (!this.writing) void this.commit()
    })
  }

  /** Resume what an earlier run left in the spool: batches that had a token retry with it. */
  start(): void {
    const byToken = new Map<string, Batch>()
    for (const segment of this.spool.list()) {
      const item: Waiting = { segment, held: 0, since: performance.now() }
      if (segment.token === undefined) {
        this.waiting.push(item)
        this.waitingRows += segment.rows
        continue
      }
      let batch = byToken.get(segment.token)
      if (!batch) {
        batch = { items: [], token: segment.token, retried: true }
        byToken.set(segment.token, batch)
        this.retries.push(batch)
      }
      batch.items.push(item)
    }
    this.pump()
  }

  /** Wait until everything submitted so far is in ClickHouse, or waits in the spool for a failing store. */
  async flush(): Promise<void> {
    this.flushing++
    try {
      this.pump()
      while (!this.settled()) await new Promise<void>((resolve) => this.idle.push(resolve))
    } finally {
      this.flushing--
    }
  }

  /** Flush, then stop. What is still spooled stays on disk for the next start. */
  async close(): Promise<void> {
    await this.flush()
    this.closed = true
    clearTimeout(this.timer)
  }

  private settled(): boolean {
    if (this.writing || this.open.rows > 0 || this.inFlight > 0) return false
    return !this.storeHealthy || (this.waiting.length === 0 && this.retries.length === 0)
  }

  private wake(): void {
    if (!this.settled()) return
    for (const resolve of this.idle.splice(0)) resolve()
  }

  /** Write the open commit to the spool, acknowledge it, and repeat while more arrived meanwhile. */
  private async commit(): Promise<void> {
    this.writing = true
    while (this.open.rows > 0) {
      const commit = this.open
      this.open = newCommit()
      const hold = this.options.holdRows && this.storeHealthy
      const body = hold ? concat(commit.chunks, commit.bytes) : undefined
      const started = performance.now()
      let segment: Segment
      try {
        segment = await this.spool.append(body ?? commit.chunks, commit.rows)
      } catch (error) {
        this.heldBytes -= commit.bytes
        this.observer.batch?.('failed', commit.rows, (performance.now() - started) / 1000)
        const reason =
          error instanceof SpoolFullError
            ? error
            : new SpoolFullError(`cannot write to the spool: ${(error as Error).message}`)
        for (const waiter of commit.waiters) waiter.reject(reason)
        continue
      }
      // While the store fails the rows wait on disk only, so memory stays free for new requests.
      const item: Waiting = { segment, body, held: commit.bytes, since: performance.now() }
      if (!this.storeHealthy) this.letGo(item)
      this.waiting.push(item)
      this.waitingRows += commit.rows
      for (const waiter of commit.waiters) waiter.resolve()
      this.pump()
    }
    this.writing = false
    this.wake()
  }

  /** Start inserts while a slot is free and a batch is due; otherwise arm a timer for when one is. */
  private pump(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    while (!this.closed && this.inFlight < this.options.maxConcurrentInserts) {
      if (!this.storeHealthy) {
        // One probe at a time, after the backoff delay.
        const wait = this.retryAt - performance.now()
        if (this.inFlight > 0) return
        if (wait > 0) {
          this.arm(wait)
          return
        }
      }
      const batch = this.nextBatch()
      if (!batch) return
      this.inFlight++
      void this.insert(batch).finally(() => {
        this.inFlight--
        this.pump()
        this.wake()
      })
    }
  }

  private arm(delayMs: number): void {
    this.timer = setTimeout(() => this.pump(), Math.max(0, delayMs))
  }

  /** The next batch due: a retry, else waiting segments once enough rows or time have gathered. */
  private nextBatch(): Batch | undefined {
    const retry = this.retries.shift()
    if (retry) return retry
    const oldest = this.waiting[0]
    if (!oldest) return undefined
    const age = performance.now() - oldest.since
    if (this.waitingRows < this.options.maxBatchRows && age < this.options.maxBatchAgeMs && !this.flushing) {
      this.arm(this.options.maxBatchAgeMs - age)
      return undefined
    }
    const items: Waiting[] = []
    let rows = 0
    while (this.waiting.length > 0) {
      const next = this.waiting[0] as Waiting
      if (items.length > 0 && rows + next.segment.rows > this.options.maxBatchRows) break
      // One insert has one format: segments an earlier build spooled go in batches of their own.
      if (items.length > 0 && next.segment.format !== (items[0] as Waiting).segment.format) break
      items.push(this.waiting.shift() as Waiting)
      rows += next.segment.rows
    }
    this.waitingRows -= rows
    return { items, retried: false }
  }

  private async insert(batch: Batch): Promise<void> {
    const segments = batch.items.map((item) => item.segment)
    const rows = segments.reduce((sum, segment) => sum + segment.rows, 0)
    const started = performance.now()
    try {
      // The token is chosen once per batch and kept through every retry, so a retry of an insert
      // that landed (a timeout after success) is a no-op.
      batch.token ??= randomUUID()
      const token = batch.token
      await this.spool.assign(segments, token)
      const { items } = batch
      const spool = this.spool
      await this.insertWithTimeout({
        token,
        format: segments[0]?.format ?? 'RowBinary',
        files: segments.map((segment) => spool.path(segment)),
        async read() {
          const bodies = await Promise.all(items.map((item) => item.body ?? spool.read(item.segment)))
          return concat(
            bodies,
            bodies.reduce((sum, body) => sum + body.length, 0),
          )
        },
      })
    } catch (error) {
      this.failed(batch, rows, started, error as Error)
      return
    }
    await this.spool.remove(segments).catch((error: Error) => {
      this.observer.error?.(`cannot remove stored rows from the spool: ${error.message}`)
    })
    this.release(batch)
    this.observer.batch?.(batch.retried ? 'replayed' : 'inserted', rows, (performance.now() - started) / 1000)
    if (!this.storeHealthy) this.observer.error?.('the store accepts inserts again; replaying the spool')
    this.storeHealthy = true
    this.retryDelayMs = this.options.retryInitialMs
  }

  private failed(batch: Batch, rows: number, started: number, error: Error): void {
    if (this.storeHealthy) {
      this.observer.error?.(
        `insert failed, keeping rows in the spool until the store recovers: ${error.message}`,
      )
    } else {
      this.observer.error?.(`spool replay failed, retrying in ${this.retryDelayMs} ms: ${error.message}`)
    }
    if (!batch.retried) this.observer.batch?.('spooled', rows, (performance.now() - started) / 1000)
    this.storeHealthy = false
    // The rows are on disk; let go of them in memory, and of every waiting segment's too.
    this.release(batch)
    for (const item of this.waiting) this.letGo(item)
    batch.retried = true
    this.retries.push(batch)
    this.retries.sort((a, b) => firstSequence(a) - firstSequence(b))
    const delay = this.retryDelayMs
    this.retryDelayMs = Math.min(this.options.retryMaxMs, this.retryDelayMs * 2)
    this.retryAt = performance.now() + delay / 2 + Math.random() * (delay / 2)
  }

  private release(batch: Batch): void {
    for (const item of batch.items) this.letGo(item)
  }

  private letGo(item: Waiting): void {
    this.heldBytes -= item.held
    item.held = 0
    item.body = undefined
  }

  private insertWithTimeout(batch: BatchToInsert): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`insert took longer than ${this.options.insertTimeoutMs} ms`)),
        this.options.insertTimeoutMs,
      )
    })
    return Promise.race([this.sink.insert(batch), timeout]).finally(() => clearTimeout(timer))
  }
}

const firstSequence = (batch: Batch) => batch.items[0]?.segment.sequence ?? 0
