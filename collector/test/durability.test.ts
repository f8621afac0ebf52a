import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RowWriter, resourceValues, scopeValues } from '../src/ingest/rows.js'
import { decodeTraceExportJson } from '../src/otlp/json.js'
import { queryRows } from '../src/store/client.js'
import { insertSpanBatch } from '../src/store/spans.js'
import { exportJson, postTraces, runSpans, startTestCollector } from './ingest-support.js'

let collector: Awaited<ReturnType<typeof startTestCollector>>
beforeAll(async () => {
  collector = await startTestCollector()
})
afterAll(() => collector.dispose())

/** How many times each question counts the runs of one experiment, from the raw table and the rollups. */
async function counts(experiment: string) {
  const [row] = await queryRows<Record<string, number | string>>(
    collector.store,
    `SELECT
       (SELECT count() FROM twinspan.parallel_runs FINAL WHERE experiment = {e:String}) AS runs_final,
       (SELECT sum(runs) FROM twinspan.parallel_runs_1m WHERE experiment = {e:String}) AS runs_rollup,
       (SELECT sum(runs) FROM twinspan.diff_paths_1m WHERE experiment = {e:String}) AS paths_rollup`,
    { e: experiment },
  )
  return {
    runsFinal: Number(row?.runs_final),
    runsRollup: Number(row?.runs_rollup),
    pathsRollup: Number(row?.paths_rollup),
  }
}

const metric = async (name: string) => {
  const text = await (await fetch(`${collector.url}/metrics`)).text()
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN)
}

describe('durability against the real embedded ClickHouse', () => {
  it('acknowledges while ClickHouse refuses inserts, spools, and stores every run once when it recovers', async () => {
    await collector.store.client.command({ query: 'DETACH TABLE twinspan.otel_traces' })
    const runs = Array.from({ length: 20 }, (_, i) => ({ experiment: 'outage', runId: `outage-${i}` }))
    for (let i = 0; i < runs.length; i += 5) {
      const response = await postTraces(collector.url, exportJson(runSpans(runs.slice(i, i + 5))))
      expect(response.status).toBe(200) // durable in the spool
    }
    await collector.flush() // returns once an insert has failed and the rows wait in the spool
    expect(await metric('twinspan_spool_batches')).toBeGreaterThan(0)
    expect(await metric('twinspan_store_healthy')).toBe(0)

    await collector.store.client.command({ query: 'ATTACH TABLE twinspan.otel_traces' })
    const deadline = Date.now() + 20_000
    while ((await metric('twinspan_spool_batches')) > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    expect(await metric('twinspan_spool_batches')).toBe(0)
    expect(await metric('twinspan_store_healthy')).toBe(1)
    expect(await counts('outage')).toMatchObject({ runsFinal: 20, runsRollup: 20 })
  })

  it('counts a batch inserted twice with the same token once, in the raw table and every rollup', async () => {
    const decoded = decodeTraceExportJson(
      Buffer.from(
        exportJson(
          runSpans([
            { experiment: 'retried', runId: 'retried-1', outcome: 'mismatch', severity: 'major' },
            { experiment: 'retried', runId: 'retried-2' },
          ]),
        ),
      ),
    )
    const context = {
      resource: resourceValues({ 'service.name': 'checkout' }),
      scope: scopeValues({ name: 'test', version: '' }),
    }
    const spans = decoded.resourceSpans[0]?.scopeSpans[0]?.spans ?? []
    const writer = new RowWriter()
    for (const span of spans) writer.span(span, context)
    const body = writer.finish() as Buffer

    await insertSpanBatch(collector.store, body, 'batch-token-1')
    await insertSpanBatch(collector.store, body, 'batch-token-1') // a replay of an insert that had landed
    expect(await counts('retried')).toEqual({ runsFinal: 2, runsRollup: 2, pathsRollup: 0 })

    // Without the token the rollups would count the runs again; the raw table still dedups (FINAL).
    await insertSpanBatch(collector.store, body, 'batch-token-2')
    expect(await counts('retried')).toEqual({ runsFinal: 2, runsRollup: 4, pathsRollup: 0 })
  })

  it('keeps the exporter columns and the trace-id index of otel_traces, without the attribute skip indexes', async () => {
    const indexes = await queryRows<{ name: string }>(
      collector.store,
      `SELECT name FROM system.data_skipping_indices
       WHERE database = 'twinspan' AND table = 'otel_traces' ORDER BY name`,
    )
    expect(indexes.map((index) => index.name)).toEqual(['idx_duration', 'idx_trace_id']) // migration 4
    const columns = await queryRows<{ name: string; type: string }>(
      collector.store,
      `SELECT name, type FROM system.columns
       WHERE database = 'twinspan' AND table = 'otel_traces' AND name IN ('SpanAttributes', 'ResourceAttributes', 'Timestamp')
       ORDER BY name`,
    )
    expect(columns).toEqual([
      { name: 'ResourceAttributes', type: 'Map(LowCardinality(String), String)' },
      { name: 'SpanAttributes', type: 'Map(LowCardinality(String), String)' },
      { name: 'Timestamp', type: 'DateTime64(9)' },
    ])
  })
})
