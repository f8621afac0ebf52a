import { describe, expect, it } from 'vitest'
import { Ingest, type RowSink } from '../src/ingest/ingest.js'
import { nanosText, otelTraceLine, resourceValues, scopeValues } from '../src/ingest/rows.js'
import type { IngestedRun } from '../src/ingest/runs.js'
import { decodeTraceExportJson } from '../src/otlp/json.js'
import { emptySpan, type Span } from '../src/otlp/model.js'
import { exportJson, runSpans } from './ingest-support.js'

const decode = (body: string) => decodeTraceExportJson(Buffer.from(body))

describe('Ingest', () => {
  it('hands compared runs to onRuns only after their rows are durable', async () => {
    const order: string[] = []
    let seen: IngestedRun[] = []
    const sink: RowSink = {
      async submit(body, rows) {
        order.push(`durable ${rows}`)
        expect(body.toString().trim().split('\n')).toHaveLength(rows)
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

  it('writes span times as exact "seconds.nanoseconds", clamped to what DateTime64(9) holds', () => {
    expect(nanosText(1_763_770_000_123_456_789n)).toBe('"1763770000.123456789"')
    expect(nanosText(5n)).toBe('"0.000000005"')
    expect(nanosText(-1n)).toBe('"0.000000000"') // would fail the whole batch's insert
    expect(nanosText(2n ** 64n - 1n)).toBe('"9223372036.854775807"')
    expect(nanosText(999_999_999n)).toBe('"0.999999999"')
    expect(nanosText(1_000_000_000n)).toBe('"1.000000000"')
    expect(nanosText(0n)).toBe('"0.000000000"')
  })

  it('writes a span as one JSONCompactEachRow line in the column order, escaping what needs it', () => {
    const span: Span = {
      ...emptySpan(),
      traceId: 'ab'.repeat(16),
      spanId: 'cd'.repeat(8),
      parentSpanId: '',
      traceState: 'k="v"',
      name: 'quote " and \\ and ünï',
      kind: 3,
      startTimeUnixNano: 1_000_000_000_500n,
      endTimeUnixNano: 1_000_000_002_000n,
      attributes: Object.defineProperty(
        { 'parallel_run.role': 'shadow', 'a.count': 3, 'a.list': ['x', 1], 'a.flag': true },
        '__proto__',
        { value: 'odd', enumerable: true },
      ),
      events: [{ timeUnixNano: 7n, name: 'retry', attributes: { attempt: 2 } }],
      links: [
        { traceId: '01'.repeat(16), spanId: '02'.repeat(8), traceState: '', attributes: {} },
        { traceId: '03'.repeat(16), spanId: '04'.repeat(8), traceState: 'a=b', attributes: { why: 'x"y' } },
      ],
      status: { code: 2, message: 'line\nbreak' },
    }
    const context = {
      resource: resourceValues({ 'service.name': 'checkout' }),
      scope: scopeValues({ name: 's', version: '1' }),
    }
    const line = otelTraceLine(span, context)
    expect(line).not.toContain('\n') // one line: a raw newline would split the row
    expect(line).toContain('"__proto__":"odd"') // an attribute like any other
    expect(JSON.parse(line)).toEqual([
      '1000.000000500',
      'ab'.repeat(16),
      'cd'.repeat(8),
      '',
      'k="v"',
      'quote " and \\ and ünï',
      'Client',
      'checkout',
      { 'service.name': 'checkout' },
      's',
      '1',
      JSON.parse(
        '{"parallel_run.role":"shadow","a.count":"3","a.list":"[\\"x\\",1]","a.flag":"true","__proto__":"odd"}',
      ),
      1500,
      'Error',
      'line\nbreak',
      ['0.000000007'],
      ['retry'],
      [{ attempt: '2' }],
      ['01'.repeat(16), '03'.repeat(16)],
      ['02'.repeat(8), '04'.repeat(8)],
      ['', 'a=b'],
      [{}, { why: 'x"y' }],
    ])
  })
})
