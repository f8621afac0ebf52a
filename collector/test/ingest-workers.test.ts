import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PreparedSpans } from '../src/ingest/ingest.js'
import { IngestUnavailableError, IngestWorkers } from '../src/ingest/workers.js'
import { OtlpDecodeError } from '../src/otlp/model.js'
import { queryRows } from '../src/store/client.js'
import { exportJson, postTraces, runSpans, startTestCollector } from './ingest-support.js'

const options = { keepAllSpans: false, runs: true }

describe('ingest threads (server.ingestThreads)', () => {
  let collector: Awaited<ReturnType<typeof startTestCollector>>
  beforeAll(async () => {
    collector = await startTestCollector((config) => {
      config.server.ingestThreads = 2
    })
  })
  afterAll(() => collector.dispose())

  it('answer and store exactly what the HTTP thread would', async () => {
    const body = exportJson(
      runSpans([{ runId: 'w-1', outcome: 'mismatch', severity: 'major' }, { runId: 'w-2' }]),
    )
    const ok = await postTraces(collector.url, body)
    expect(ok.status).toBe(200)
    expect(await ok.text()).toBe('{}')
    const bad = await postTraces(collector.url, '{"resourceSpans": 5}')
    expect(bad.status).toBe(400)
    expect(await bad.text()).toContain('resourceSpans must be an array')
    const truncated = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Uint8Array.from([0x0a, 0x05, 0x12]),
    })
    expect(truncated.status).toBe(400)
    await collector.flush()
    const runs = await queryRows<{ run_id: string; outcome: string; severity: string }>(
      collector.store,
      `SELECT run_id, outcome, severity FROM twinspan.parallel_runs FINAL ORDER BY run_id`,
    )
    expect(runs).toEqual([
      { run_id: 'w-1', outcome: 'mismatch', severity: 'major' },
      { run_id: 'w-2', outcome: 'match', severity: 'none' },
    ])
  })
})

describe('IngestWorkers', () => {
  it('fails the requests a dying thread held with IngestUnavailableError, then serves again from a new thread', async () => {
    const errors: string[] = []
    const pool = await IngestWorkers.start(1, (message) => errors.push(message))
    try {
      // Big enough that the thread is still decoding it when it is stopped.
      const big = Buffer.from(
        exportJson(runSpans(Array.from({ length: 20_000 }, (_, i) => ({ runId: `big-${i}` })))),
      )
      const held = pool.prepare(big, 'json', options)
      // Stop the only thread from outside, as a crash would (the pool has no public way to do this).
      await (
        pool as unknown as { threads: { worker: { terminate(): Promise<number> } }[] }
      ).threads[0]?.worker.terminate()
      await expect(held).rejects.toBeInstanceOf(IngestUnavailableError)
      await expect(pool.prepare(big, 'json', options)).rejects.toThrow(/no ingest thread is running/)
      expect(errors.join('\n')).toMatch(/an ingest thread stopped .*; starting another/)

      // It died at once, so it is replaced after a pause; then requests go through again.
      let prepared: PreparedSpans | undefined
      for (let attempt = 0; attempt < 100 && !prepared; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50))
        prepared = await pool
          .prepare(Buffer.from(exportJson(runSpans([{ runId: 'after' }]))), 'json', options)
          .catch(() => undefined)
      }
      expect(prepared?.result.accepted).toBe(2)
      expect(prepared?.runs.map((run) => run.runId)).toEqual(['after'])
      expect(prepared?.body?.toString().trim().split('\n')).toHaveLength(2)
      await expect(pool.prepare(Buffer.from('not json'), 'json', options)).rejects.toBeInstanceOf(
        OtlpDecodeError,
      )
    } finally {
      await pool.close()
    }
    await expect(pool.prepare(Buffer.from('{}'), 'json', options)).rejects.toThrow(/shutting down/)
  })

  it('transfers pooled and sliced bodies without detaching the memory they share', async () => {
    const pool = await IngestWorkers.start(1)
    try {
      const text = exportJson(runSpans([{ runId: 'small' }]))
      const shared = Buffer.from(`xx${text}yy`) // a view into a larger buffer
      const body = shared.subarray(2, 2 + Buffer.byteLength(text))
      const prepared = await pool.prepare(body, 'json', options)
      expect(prepared.result.accepted).toBe(2)
      expect(shared.subarray(0, 2).toString()).toBe('xx') // still readable: it was copied, not moved
      expect(shared.byteLength).toBe(Buffer.byteLength(text) + 4)
    } finally {
      await pool.close()
    }
  })
})
