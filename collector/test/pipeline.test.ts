import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  BackpressureError,
  type BatchSink,
  DEFAULT_PIPELINE_OPTIONS,
  IngestPipeline,
  type PipelineOptions,
} from '../src/ingest/pipeline.js'
import { Spool, SpoolFullError } from '../src/ingest/spool.js'

/** A sink standing in for ClickHouse at the pipeline's I/O edge: records inserts, fails on demand. */
class RecordingSink implements BatchSink {
  readonly inserted: { rows: string[]; token: string }[] = []
  failuresLeft = 0
  down = false
  async insert(body: Buffer, token: string): Promise<void> {
    if (this.down || this.failuresLeft > 0) {
      this.failuresLeft--
      throw new Error('ClickHouse is unavailable')
    }
    // Same token twice is the store's dedup: keep one copy, like insert_deduplication_token does.
    if (this.inserted.some((batch) => batch.token === token)) return
    this.inserted.push({ rows: body.toString().split('\n').filter(Boolean), token })
  }
  rows(): string[] {
    return this.inserted.flatMap((batch) => batch.rows)
  }
}

const lines = (...rows: string[]) => Buffer.from(`${rows.join('\n')}\n`)
const options = (overrides: Partial<PipelineOptions> = {}): PipelineOptions => ({
  ...DEFAULT_PIPELINE_OPTIONS,
  maxBatchAgeMs: 10,
  retryInitialMs: 5,
  retryMaxMs: 20,
  ...overrides,
})
const tempSpool = (maxBytes = 1024 * 1024) => new Spool(mkdtempSync(join(tmpdir(), 'spool-')), maxBytes)
const until = async (check: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

describe('IngestPipeline', () => {
  it('group commit: inserts at once when idle; what arrives during an insert forms the next batch', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const inserted: string[][] = []
    const slow: BatchSink = {
      async insert(body) {
        inserted.push(body.toString().split('\n').filter(Boolean))
        if (inserted.length === 1) await gate
      },
    }
    const pipeline = new IngestPipeline(
      slow,
      tempSpool(),
      options({ maxConcurrentInserts: 1, minInsertIntervalMs: 0, maxBatchAgeMs: 60_000 }),
    )
    const first = pipeline.submit(lines('a'), 1)
    const second = pipeline.submit(lines('b', 'c'), 2)
    const third = pipeline.submit(lines('d'), 1)
    expect(inserted).toEqual([['a']]) // inserted immediately, still running
    release()
    await Promise.all([first, second, third])
    expect(inserted).toEqual([['a'], ['b', 'c', 'd']])
    expect(pipeline.queuedBytes).toBe(0)
  })

  it('seals a batch at maxBatchRows even while the insert slot is busy', async () => {
    const sink = new RecordingSink()
    const pipeline = new IngestPipeline(
      sink,
      tempSpool(),
      options({
        maxBatchRows: 3,
        maxConcurrentInserts: 1,
        minInsertIntervalMs: 60_000,
        maxBatchAgeMs: 60_000,
      }),
    )
    await pipeline.submit(lines('a'), 1) // first insert: nothing ran before it
    const pending = [pipeline.submit(lines('b', 'c'), 2), pipeline.submit(lines('d'), 1)]
    await Promise.all(pending)
    expect(sink.inserted.map((b) => b.rows)).toEqual([['a'], ['b', 'c', 'd']])
  })

  it('refuses with BackpressureError beyond maxQueueBytes, and takes more once drained', async () => {
    const sink = new RecordingSink()
    const pipeline = new IngestPipeline(sink, tempSpool(), options({ maxQueueBytes: 10, maxBatchAgeMs: 50 }))
    const accepted = pipeline.submit(lines('12345678'), 1)
    await expect(pipeline.submit(lines('x'), 1)).rejects.toBeInstanceOf(BackpressureError)
    await accepted
    await pipeline.submit(lines('x'), 1)
    expect(sink.rows()).toEqual(['12345678', 'x'])
  })

  it('spools when the store fails, acknowledges, and replays with the same token until stored', async () => {
    const sink = new RecordingSink()
    const spool = tempSpool()
    const errors: string[] = []
    const outcomes: string[] = []
    const pipeline = new IngestPipeline(sink, spool, options(), {
      batch: (outcome) => outcomes.push(outcome),
      error: (message) => errors.push(message),
    })
    sink.down = true
    await pipeline.submit(lines('r1', 'r2'), 2) // durable in the spool, so acknowledged
    expect(sink.inserted).toHaveLength(0)
    expect(spool.size).toBe(1)
    expect(pipeline.healthy).toBe(false)
    await pipeline.submit(lines('r3'), 1) // the store is known down: straight to the spool
    expect(spool.size).toBe(2)
    sink.down = false
    await until(() => spool.size === 0)
    expect(sink.rows().sort()).toEqual(['r1', 'r2', 'r3'])
    expect(pipeline.healthy).toBe(true)
    expect(outcomes).toEqual(['spooled', 'spooled', 'replayed', 'replayed'])
    expect(errors[0]).toContain('ClickHouse is unavailable')
    await pipeline.close()
  })

  it('keeps the batch token through the spool, so a replay of an insert that did land is a no-op', async () => {
    const landedButFailed: BatchSink & { tokens: string[] } = {
      tokens: [],
      async insert(_body, token) {
        this.tokens.push(token)
        if (this.tokens.length === 1) throw new Error('timeout after the insert landed')
      },
    }
    const spool = tempSpool()
    const pipeline = new IngestPipeline(landedButFailed, spool, options())
    await pipeline.submit(lines('once'), 1)
    await until(() => spool.size === 0)
    expect(landedButFailed.tokens).toHaveLength(2)
    expect(landedButFailed.tokens[1]).toBe(landedButFailed.tokens[0])
  })

  it('answers SpoolFullError when the store is down and the spool is at its bound, losing nothing acknowledged', async () => {
    const sink = new RecordingSink()
    const spool = tempSpool(64)
    const pipeline = new IngestPipeline(sink, spool, options())
    sink.down = true
    await pipeline.submit(lines('x'.repeat(40)), 1)
    await expect(pipeline.submit(lines('y'.repeat(40)), 1)).rejects.toBeInstanceOf(SpoolFullError)
    expect(pipeline.queuedBytes).toBe(0) // the refused rows hold no memory
    sink.down = false
    await until(() => spool.size === 0)
    expect(sink.rows()).toEqual(['x'.repeat(40)])
  })

  it('rejects (and frees) a batch whose insert fails while the spool has no room', async () => {
    const sink = new RecordingSink()
    sink.down = true
    const pipeline = new IngestPipeline(sink, tempSpool(16), options())
    await expect(pipeline.submit(lines('z'.repeat(40)), 1)).rejects.toBeInstanceOf(SpoolFullError)
    expect(pipeline.queuedBytes).toBe(0)
  })

  it('replays what a previous run left in the spool, and discards half-written files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'))
    const earlier = new Spool(dir, 1024)
    earlier.write(lines('left', 'over'), 2, 'token-from-before')
    writeFileSync(join(dir, '000000000009-1-cut.ndjson.tmp'), '{"half":')
    const sink = new RecordingSink()
    const spool = new Spool(dir, 1024)
    expect(readdirSync(dir).some((name) => name.endsWith('.tmp'))).toBe(false)
    const pipeline = new IngestPipeline(sink, spool, options())
    pipeline.start()
    await until(() => spool.size === 0)
    expect(sink.inserted).toEqual([{ rows: ['left', 'over'], token: 'token-from-before' }])
  })

  it('treats a hanging insert as failed after insertTimeoutMs and spools the batch', async () => {
    const hanging: BatchSink = { insert: () => new Promise(() => {}) }
    const spool = tempSpool()
    const pipeline = new IngestPipeline(hanging, spool, options({ insertTimeoutMs: 30 }))
    await pipeline.submit(lines('slow'), 1)
    expect(spool.size).toBe(1)
  })

  it('flush makes everything durable; close refuses new work', async () => {
    const sink = new RecordingSink()
    const pipeline = new IngestPipeline(sink, tempSpool(), options({ maxBatchAgeMs: 60_000 }))
    const pending = pipeline.submit(lines('late'), 1)
    await pipeline.close()
    await pending
    expect(sink.rows()).toEqual(['late'])
    await expect(pipeline.submit(lines('after'), 1)).rejects.toThrow(/shutting down/)
  })
})
