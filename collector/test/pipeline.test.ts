import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  BackpressureError,
  type BatchSink,
  type BatchToInsert,
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
  async insert({ token, read }: BatchToInsert): Promise<void> {
    const body = await read()
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
  it('acknowledges once the rows are fsynced in the spool, before ClickHouse has them', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const sink = new RecordingSink()
    const held: BatchSink = {
      async insert(batch) {
        await gate
        await sink.insert(batch)
      },
    }
    const spool = tempSpool()
    const pipeline = new IngestPipeline(held, spool, options({ maxBatchAgeMs: 60_000 }))
    await pipeline.submit(lines('a', 'b'), 2)
    const [segment] = spool.list()
    expect(segment?.rows).toBe(2)
    expect(readFileSync(join(spool.dir, segment?.file as string), 'utf8')).toBe('a\nb\n')
    const flushed = pipeline.flush() // starts the insert, which is held back
    await until(() => spool.list()[0]?.token !== undefined) // named with the insert's token first
    expect(sink.inserted).toHaveLength(0)
    release()
    await flushed
    expect(sink.rows()).toEqual(['a', 'b'])
    expect(spool.size).toBe(0) // stored rows leave the spool
    expect(pipeline.queuedBytes).toBe(0)
  })

  it('group commit: what arrives during a spool write goes into the next one', async () => {
    const spool = tempSpool()
    const pipeline = new IngestPipeline(new RecordingSink(), spool, options({ maxBatchAgeMs: 60_000 }))
    await Promise.all([
      pipeline.submit(lines('a'), 1),
      pipeline.submit(lines('b', 'c'), 2),
      pipeline.submit(lines('d'), 1),
    ])
    // The first request starts a write at once; the two that arrive while it runs share the next.
    expect(spool.list().map((segment) => segment.rows)).toEqual([1, 3])
    await pipeline.close()
  })

  it('without holdRows, writes a group commit from the requests buffers and keeps no rows, yet counts them for 429', async () => {
    const spool = tempSpool()
    const sink = new RecordingSink()
    const pipeline = new IngestPipeline(sink, spool, options({ holdRows: false, maxBatchAgeMs: 60_000 }))
    // The first request starts a write; the next 1,500 share one group commit, more buffers than
    // one writev takes (IOV_MAX is 1024).
    const rows = ['first', ...Array.from({ length: 1500 }, (_, i) => `r${i}`)]
    await Promise.all(rows.map((row) => pipeline.submit(lines(row), 1)))
    expect(spool.list().map((segment) => segment.rows)).toEqual([1, 1500])
    const written = spool.list().map((segment) => readFileSync(spool.path(segment), 'utf8'))
    expect(written.join('')).toBe(`${rows.join('\n')}\n`)
    await pipeline.flush()
    expect(sink.rows()).toEqual(rows) // read back from the spool files, nothing was kept
    expect(pipeline.queuedBytes).toBe(0)

    const small = new IngestPipeline(
      new RecordingSink(),
      tempSpool(),
      options({ holdRows: false, maxQueueBytes: 10, maxBatchAgeMs: 60_000 }),
    )
    await small.submit(lines('1234567890'), 1)
    expect(small.queuedBytes).toBe(11) // not in memory, still waiting for the store
    await expect(small.submit(lines('x'), 1)).rejects.toBeInstanceOf(BackpressureError)
    await small.close()
  })

  it('inserts once maxBatchRows rows wait, in batches of whole segments up to that size', async () => {
    const sink = new RecordingSink()
    const pipeline = new IngestPipeline(
      sink,
      tempSpool(),
      options({ maxBatchRows: 3, maxConcurrentInserts: 1, maxBatchAgeMs: 60_000 }),
    )
    await pipeline.submit(lines('a', 'b'), 2)
    expect(sink.inserted).toHaveLength(0) // 2 rows, young: not due yet
    await pipeline.submit(lines('c', 'd'), 2)
    await until(() => sink.inserted.length === 1)
    expect(sink.inserted[0]?.rows).toEqual(['a', 'b']) // a third segment row would pass 3
    await pipeline.flush() // flush does not wait for age or size
    expect(sink.inserted.map((batch) => batch.rows)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ])
  })

  it('inserts rows that waited maxBatchAgeMs even when the batch is small', async () => {
    const sink = new RecordingSink()
    const pipeline = new IngestPipeline(sink, tempSpool(), options({ maxBatchAgeMs: 30 }))
    await pipeline.submit(lines('lonely'), 1)
    await until(() => sink.inserted.length === 1)
    expect(sink.rows()).toEqual(['lonely'])
  })

  it('refuses with BackpressureError beyond maxQueueBytes, and takes more once inserted', async () => {
    const sink = new RecordingSink()
    const pipeline = new IngestPipeline(sink, tempSpool(), options({ maxQueueBytes: 10, maxBatchAgeMs: 50 }))
    await pipeline.submit(lines('1234'), 1) // acknowledged; held in memory until inserted
    expect(pipeline.backpressure()).toBeUndefined()
    await pipeline.submit(lines('12345678'), 1) // crosses the bound: still taken
    expect(pipeline.backpressure()).toMatch(/ingest queue is full \(14 bytes waiting\)/)
    await expect(pipeline.submit(lines('x'), 1)).rejects.toBeInstanceOf(BackpressureError)
    await until(() => pipeline.queuedBytes === 0)
    await pipeline.submit(lines('x'), 1)
    await pipeline.flush()
    expect(sink.rows()).toEqual(['1234', '12345678', 'x'])
  })

  it('keeps acknowledging into the spool while the store fails, and replays with the same token', async () => {
    const sink = new RecordingSink()
    const spool = tempSpool()
    const errors: string[] = []
    const outcomes: string[] = []
    const pipeline = new IngestPipeline(sink, spool, options({ maxBatchAgeMs: 0 }), {
      batch: (outcome) => outcomes.push(outcome),
      error: (message) => errors.push(message),
    })
    sink.down = true
    await pipeline.submit(lines('r1', 'r2'), 2)
    await until(() => !pipeline.healthy)
    await pipeline.submit(lines('r3'), 1) // the store is known down: acknowledged from the spool
    expect(pipeline.queuedBytes).toBe(0) // while the store fails, rows live only on disk
    expect(sink.inserted).toHaveLength(0)
    const tokened = spool.list().filter((segment) => segment.token !== undefined)
    expect(tokened).toHaveLength(1) // the failed insert's segment carries its token
    sink.down = false
    await until(() => spool.size === 0)
    expect(sink.rows().sort()).toEqual(['r1', 'r2', 'r3'])
    expect(sink.inserted[0]?.token).toBe(tokened[0]?.token)
    expect(pipeline.healthy).toBe(true)
    expect(outcomes[0]).toBe('spooled')
    expect(outcomes).toContain('replayed')
    expect(errors[0]).toContain('ClickHouse is unavailable')
    await pipeline.close()
  })

  it('keeps the batch token through retries, so a retry of an insert that did land is a no-op', async () => {
    const landedButFailed: BatchSink & { tokens: string[] } = {
      tokens: [],
      async insert({ token }) {
        this.tokens.push(token)
        if (this.tokens.length === 1) throw new Error('timeout after the insert landed')
      },
    }
    const spool = tempSpool()
    const pipeline = new IngestPipeline(landedButFailed, spool, options({ maxBatchAgeMs: 0 }))
    await pipeline.submit(lines('once'), 1)
    await until(() => spool.size === 0)
    expect(landedButFailed.tokens).toHaveLength(2)
    expect(landedButFailed.tokens[1]).toBe(landedButFailed.tokens[0])
  })

  it('answers SpoolFullError once the spool is at its bound, losing nothing acknowledged', async () => {
    const sink = new RecordingSink()
    const spool = tempSpool(64)
    const pipeline = new IngestPipeline(sink, spool, options({ maxBatchAgeMs: 0 }))
    sink.down = true
    await pipeline.submit(lines('x'.repeat(40)), 1)
    await until(() => !pipeline.healthy)
    await expect(pipeline.submit(lines('y'.repeat(40)), 1)).rejects.toBeInstanceOf(SpoolFullError)
    expect(pipeline.queuedBytes).toBe(0) // neither the spooled nor the refused rows hold memory
    sink.down = false
    await until(() => spool.size === 0)
    expect(sink.rows()).toEqual(['x'.repeat(40)])
  })

  it('refuses a request whose rows cannot be written to the spool, and frees them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'))
    const spool = new Spool(dir, 1024)
    const outcomes: string[] = []
    const pipeline = new IngestPipeline(new RecordingSink(), spool, options(), {
      batch: (outcome) => outcomes.push(outcome),
    })
    rmSync(dir, { recursive: true }) // the disk under the spool is gone
    await expect(pipeline.submit(lines('z'), 1)).rejects.toBeInstanceOf(SpoolFullError)
    expect(pipeline.queuedBytes).toBe(0)
    expect(spool.bytes).toBe(0)
    expect(outcomes).toEqual(['failed'])
  })

  it('resumes what a previous run left: batches with their token, fresh segments, and JSON files of earlier builds', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-'))
    const earlier = new Spool(dir, 1024)
    const assigned = await earlier.append(lines('was', 'being', 'inserted'), 3)
    await earlier.assign([assigned], 'token-from-before')
    await earlier.append(lines('acknowledged'), 1) // never taken by an insert
    writeFileSync(join(dir, '000000000000-1-legacy-token.ndjson'), '{"Timestamp":"old"}\n')
    writeFileSync(join(dir, '000000000003-1.compact.ndjson'), '["compact"]\n') // acknowledged by an earlier build
    writeFileSync(join(dir, '000000000009-1.compact.ndjson.tmp'), '["half') // a write cut short
    const formats: string[] = []
    const sink = new RecordingSink()
    const recording: BatchSink = {
      async insert(batch) {
        formats.push(batch.format)
        // The engine reads these files itself: they hold exactly the batch's rows and carry its token.
        expect(batch.files.every((file) => basename(file).includes(`-${batch.token}.`))).toBe(true)
        expect(Buffer.concat(batch.files.map((file) => readFileSync(file)))).toEqual(await batch.read())
        await sink.insert(batch)
      },
    }
    const spool = new Spool(dir, 1024)
    expect(readdirSync(dir).some((name) => name.endsWith('.tmp'))).toBe(false)
    const pipeline = new IngestPipeline(
      recording,
      spool,
      options({ maxBatchAgeMs: 0, maxConcurrentInserts: 1 }),
    )
    pipeline.start()
    await until(() => spool.size === 0)
    expect(sink.inserted.slice(0, 2)).toEqual([
      { rows: ['{"Timestamp":"old"}'], token: 'legacy-token' },
      { rows: ['was', 'being', 'inserted'], token: 'token-from-before' },
    ])
    // Waiting segments of different formats are never one insert.
    expect(sink.inserted.slice(2)).toMatchObject([{ rows: ['acknowledged'] }, { rows: ['["compact"]'] }])
    expect(formats).toEqual(['JSONEachRow', 'RowBinary', 'RowBinary', 'JSONCompactEachRow'])
  })

  it('treats a hanging insert as failed after insertTimeoutMs and keeps its rows in the spool', async () => {
    const hanging: BatchSink = { insert: () => new Promise(() => {}) }
    const spool = tempSpool()
    const pipeline = new IngestPipeline(hanging, spool, options({ insertTimeoutMs: 30, maxBatchAgeMs: 0 }))
    await pipeline.submit(lines('slow'), 1)
    await until(() => !pipeline.healthy)
    expect(spool.list().map((segment) => segment.token === undefined)).toEqual([false])
  })

  it('flush stores everything submitted; close refuses new work', async () => {
    const sink = new RecordingSink()
    const pipeline = new IngestPipeline(sink, tempSpool(), options({ maxBatchAgeMs: 60_000 }))
    const pending = pipeline.submit(lines('late'), 1)
    await pipeline.close()
    await pending
    expect(sink.rows()).toEqual(['late'])
    await expect(pipeline.submit(lines('after'), 1)).rejects.toThrow(/shutting down/)
  })
})
