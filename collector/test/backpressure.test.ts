import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { queryRows } from '../src/store/client.js'
import { exportJson, postTraces, runSpans, startTestCollector } from './ingest-support.js'

// A queue bound of one byte, and batches that only an explicit flush starts: the first request's
// rows fill the queue and stay there.
let collector: Awaited<ReturnType<typeof startTestCollector>>
beforeAll(async () => {
  collector = await startTestCollector((config) => {
    config.server.maxQueueBytes = 1
    config.storage.batchAgeMs = 600_000
    config.storage.batchRows = 1_000_000
  })
})
afterAll(() => collector.dispose())

describe('a full ingest queue', () => {
  it('takes the request that fills it, then refuses with 429 until it drains', async () => {
    const first = await postTraces(
      collector.url,
      exportJson(runSpans([{ experiment: 'queue', runId: 'q-1' }])),
    )
    expect(first.status).toBe(200) // crosses the bound: still taken

    const refused = await postTraces(
      collector.url,
      exportJson(runSpans([{ experiment: 'queue', runId: 'q-2' }])),
    )
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(await refused.json()).toMatchObject({
      code: 8,
      message: expect.stringMatching(/ingest queue is full/),
    })

    await collector.flush()
    const later = await postTraces(
      collector.url,
      exportJson(runSpans([{ experiment: 'queue', runId: 'q-3' }])),
    )
    expect(later.status).toBe(200)
    await collector.flush()
    const runs = await queryRows<{ run_id: string }>(
      collector.store,
      "SELECT run_id FROM twinspan.parallel_runs FINAL WHERE experiment = 'queue'",
    )
    expect(runs.map((run) => run.run_id).sort()).toEqual(['q-1', 'q-3']) // q-2 was refused, not stored
  })
})
