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

const garbage = Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]) // a length far past the end
const protobuf = { 'content-type': 'application/x-protobuf' }

describe('a full ingest queue', () => {
  it('takes the request that fills it, then refuses with 429 before reading bodies, until it drains', async () => {
    const first = await postTraces(
      collector.url,
      exportJson(runSpans([{ experiment: 'queue', runId: 'q-1' }])),
    )
    expect(first.status).toBe(200) // crosses the bound: still taken

    // Undecodable, but refused before it is read: a 429, not a 400, so refusing costs no decoding.
    const refused = await postTraces(collector.url, garbage, protobuf)
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('1')
    expect(refused.headers.get('content-type')).toContain('application/x-protobuf')
    const valid = await postTraces(
      collector.url,
      exportJson(runSpans([{ experiment: 'queue', runId: 'q-2' }])),
    )
    expect(valid.status).toBe(429)
    expect(await valid.json()).toMatchObject({
      code: 8,
      message: expect.stringMatching(/ingest queue is full/),
    })

    await collector.flush()
    expect((await postTraces(collector.url, garbage, protobuf)).status).toBe(400) // read and decoded again
    const runs = await queryRows<{ run_id: string }>(
      collector.store,
      "SELECT run_id FROM twinspan.parallel_runs FINAL WHERE experiment = 'queue'",
    )
    expect(runs).toEqual([{ run_id: 'q-1' }])
  })
})
