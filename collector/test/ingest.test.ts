import { describe, expect, it } from 'vitest'
import { Ingest, type RowSink } from '../src/ingest/ingest.js'
import type { IngestedRun } from '../src/ingest/runs.js'
import { decodeTraceExportJson } from '../src/otlp/json.js'
import { exportJson, runSpans } from './ingest-support.js'

const decode = (body: string) => decodeTraceExportJson(Buffer.from(body))

describe('Ingest', () => {
  it('hands compared runs to onRuns only after their rows are durable', async () => {
    const order: string[] = []
    let seen: IngestedRun[] = []
    const sink: RowSink = {
      async submit(body, rows) {
        order.push(`durable ${rows}`)
        expect(body.length).toBeGreaterThan(rows * 32) // RowBinary: at least a trace id per row
      },
    }
    const ingest = new Ingest(sink, {
      keepAllSpans: false,
      onRuns: (runs) => {
        order.push(`runs ${runs.length}`)
        seen = runs
      },
    })
    const result = await ingest.accept(
      decode(
        exportJson(runSpans([{ runId: 'a', outcome: 'mismatch', severity: 'critical' }, { runId: 'b' }])),
      ),
    )
    expect(result).toMatchObject({ accepted: 4, rejected: 0, dropped: 0 })
    expect(order).toEqual(['durable 4', 'runs 2'])
    expect(seen.map((r) => [r.runId, r.outcome, r.severity, r.candidate])).toEqual([
      ['a', 'mismatch', 'critical', 'shadow'],
      ['b', 'match', 'none', 'shadow'],
    ])
    expect(seen[0]?.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(seen[0]?.primaryDurationMs).toBe(5)
  })

  it('does not call onRuns when the rows could not be made durable', async () => {
    let called = false
    const ingest = new Ingest(
      { submit: () => Promise.reject(new Error('spool full')) },
      { keepAllSpans: false, onRuns: () => (called = true) },
    )
    await expect(ingest.accept(decode(exportJson(runSpans([{ runId: 'x' }]))))).rejects.toThrow('spool full')
    expect(called).toBe(false)
  })

  it('a failing consumer never fails the request', async () => {
    const ingest = new Ingest(
      { submit: async () => {} },
      {
        keepAllSpans: false,
        onRuns: () => {
          throw new Error('router bug')
        },
      },
    )
    await expect(ingest.accept(decode(exportJson(runSpans([{ runId: 'y' }]))))).resolves.toMatchObject({
      accepted: 2,
    })
  })
})
