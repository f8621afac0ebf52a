import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defaultConfig } from '../src/config/config.js'
import { RowWriter, resourceValues, scopeValues } from '../src/ingest/rows.js'
import { emptySpan, type Span } from '../src/otlp/model.js'
import { startCollector } from '../src/server.js'
import { infilePattern, openStore, queryRows, type Store } from '../src/store/client.js'
import { migrate } from '../src/store/migrate.js'
import { OTEL_TRACE_COLUMNS } from '../src/store/spans.js'

let store: Store
let dataDir: string
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'twinspan-rows-'))
  store = openStore({ dataDir, database: 'twinspan' })
  await migrate(store, { retentionDays: 30 })
  // otel_traces itself, without the retention TTL: the clamped times are in 1970 and 2262.
  await store.client.command({ query: 'CREATE TABLE twinspan.rows_check AS twinspan.otel_traces' })
  await store.client.command({ query: 'ALTER TABLE twinspan.rows_check REMOVE TTL' })
})
afterAll(async () => {
  await store.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const context = {
  resource: resourceValues({ 'service.name': 'checkout', 'host.name': 'büro-1' }),
  scope: scopeValues({ name: '@twinspan/sdk', version: '1' }),
}

/** Write spans as ingest does, insert them into the real engine, and read them back as JSON values. */
async function roundTrip(spans: Span[]): Promise<Record<string, unknown>[]> {
  const writer = new RowWriter(16) // tiny, so every test also grows the buffer
  for (const span of spans) writer.span(span, context)
  expect(writer.rows).toBe(spans.length)
  const body = writer.finish() as Buffer
  await store.client.command({ query: 'TRUNCATE TABLE twinspan.rows_check' })
  await store.insertLines('twinspan.rows_check', body, { format: 'RowBinary', columns: OTEL_TRACE_COLUMNS })
  return queryRows(
    store,
    `SELECT toString(toUnixTimestamp64Nano(Timestamp)) AS ts, * EXCEPT (Timestamp, \`Events.Timestamp\`),
       arrayMap(t -> toString(toUnixTimestamp64Nano(t)), Events.Timestamp) AS event_ts
     FROM twinspan.rows_check ORDER BY SpanId`,
  )
}

const long = (text: string, length: number) => text.repeat(Math.ceil(length / text.length)).slice(0, length)

describe('RowBinary rows of otel_traces, read back from the embedded engine', () => {
  it('stores every column of a span as the exporter would, escapes and unicode included', async () => {
    const span: Span = {
      ...emptySpan(),
      traceId: 'ab'.repeat(16),
      spanId: 'cd'.repeat(8),
      traceState: 'k="v"',
      name: 'quote " and \\ and ünï',
      kind: 3,
      startTimeUnixNano: 1_763_770_000_123_456_789n,
      endTimeUnixNano: 1_763_770_000_123_458_289n,
      attributes: Object.defineProperty(
        {
          'parallel_run.role': 'shadow',
          'a.count': 3,
          'a.big': 2n ** 63n - 1n,
          'a.list': ['x', 1],
          'a.flag': true,
          'a.null': null,
          'a.bytes': new Uint8Array([1, 2, 255]),
          'a.nul': 'x\0y\nz\tw',
          'a.emoji': '🦆 and a lone \ud800',
        },
        '__proto__',
        { value: 'odd', enumerable: true },
      ),
      events: [
        { timeUnixNano: 7n, name: 'retry', attributes: { attempt: 2 } },
        { timeUnixNano: 8n, name: 'gave up', attributes: {} },
      ],
      links: [
        { traceId: '01'.repeat(16), spanId: '02'.repeat(8), traceState: '', attributes: {} },
        { traceId: '03'.repeat(16), spanId: '04'.repeat(8), traceState: 'a=b', attributes: { why: 'x"y' } },
      ],
      status: { code: 2, message: 'line\nbreak' },
    }
    expect(await roundTrip([span])).toEqual([
      {
        ts: '1763770000123456789',
        TraceId: 'ab'.repeat(16),
        SpanId: 'cd'.repeat(8),
        ParentSpanId: '',
        TraceState: 'k="v"',
        SpanName: 'quote " and \\ and ünï',
        SpanKind: 'Client',
        ServiceName: 'checkout',
        ResourceAttributes: { 'service.name': 'checkout', 'host.name': 'büro-1' },
        ScopeName: '@twinspan/sdk',
        ScopeVersion: '1',
        SpanAttributes: {
          'parallel_run.role': 'shadow',
          'a.count': '3',
          'a.big': '9223372036854775807',
          'a.list': '["x",1]',
          'a.flag': 'true',
          'a.null': '',
          'a.bytes': 'AQL/',
          'a.nul': 'x\0y\nz\tw',
          'a.emoji': '🦆 and a lone \ufffd',
          ['__proto__']: 'odd', // computed: an attribute, not the literal's prototype
        },
        Duration: 1500,
        StatusCode: 'Error',
        StatusMessage: 'line\nbreak',
        'Events.Name': ['retry', 'gave up'],
        'Events.Attributes': [{ attempt: '2' }, {}],
        'Links.TraceId': ['01'.repeat(16), '03'.repeat(16)],
        'Links.SpanId': ['02'.repeat(8), '04'.repeat(8)],
        'Links.TraceState': ['', 'a=b'],
        'Links.Attributes': [{}, { why: 'x"y' }],
        event_ts: ['7', '8'],
      },
    ])
  })

  it('keeps bytes that look like an empty line (chDB ends inline insert data there)', async () => {
    const span: Span = {
      ...emptySpan(),
      spanId: '05'.repeat(8),
      startTimeUnixNano: 1_000_000_000n,
      endTimeUnixNano: 1_000_000_000n + 0x0a0an, // Duration's bytes: 0a 0a
      attributes: { text: 'a\n\nb', '\n\n': '\r\n\r\n' },
    }
    const [row] = await roundTrip([span, { ...span, spanId: '06'.repeat(8) }])
    expect(row).toMatchObject({ Duration: 0x0a0a, SpanAttributes: { text: 'a\n\nb', '\n\n': '\r\n\r\n' } })
  })

  it('writes lengths and counts of any size, and clamps times to what DateTime64(9) holds', async () => {
    const many = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, `v${i}`]))
    const spans: Span[] = [
      { ...emptySpan(), spanId: '01'.repeat(8), startTimeUnixNano: 2n ** 64n - 1n, endTimeUnixNano: 1n },
      { ...emptySpan(), spanId: '02'.repeat(8), startTimeUnixNano: -5n, attributes: many },
      {
        ...emptySpan(),
        spanId: '03'.repeat(8),
        name: long('a', 127),
        traceState: long('b', 128),
        attributes: { [long('key', 200)]: long('välue', 20_000), short: long('c', 16_384) },
        status: { code: 0, message: long('ü', 127) },
      },
    ]
    const [huge, negative, lengths] = await roundTrip(spans)
    expect(huge).toMatchObject({ ts: String(2n ** 63n - 1n), Duration: 0, SpanKind: 'Unspecified' })
    expect(negative).toMatchObject({ ts: '0', SpanAttributes: many })
    expect(lengths).toMatchObject({
      SpanName: long('a', 127),
      TraceState: long('b', 128),
      SpanAttributes: { [long('key', 200)]: long('välue', 20_000), short: long('c', 16_384) },
      StatusMessage: long('ü', 127),
      StatusCode: 'Unset',
    })
  })

  it('starts afresh after finish and reset', () => {
    const writer = new RowWriter()
    expect(writer.finish()).toBeUndefined()
    writer.span(emptySpan(), context)
    writer.reset()
    expect(writer.rows).toBe(0)
    expect(writer.finish()).toBeUndefined()
    writer.span(emptySpan(), context)
    const one = writer.finish() as Buffer
    writer.span(emptySpan(), context)
    expect(writer.finish()).toEqual(one)
  })

  it('names a batch of spool files for FROM INFILE, refusing paths that would read something else', () => {
    expect(infilePattern(['/data/spool/1-5-t.rowbinary'])).toBe('/data/spool/1-5-t.rowbinary')
    expect(infilePattern(['/data/spool/1-5-t.rowbinary', '/data/spool/2-3-t.rowbinary'])).toBe(
      '/data/spool/{1-5-t.rowbinary,2-3-t.rowbinary}',
    )
    for (const dir of ['/data/*', "/it's", '/a{b}', '/a,b', '/a[1]', '/a?', '/a\\b']) {
      expect(() => infilePattern([`${dir}/spool/1-5-t.rowbinary`])).toThrow(/must not contain/)
    }
    expect(() => infilePattern(['/a/1.rowbinary', '/b/2.rowbinary'])).toThrow(/share one directory/)
    // A spool batch: every name carries its token, so a glob stands for any number of them.
    const batch = ['/d/1-5-tok-1.rowbinary', '/d/2-3-tok-1.rowbinary']
    expect(infilePattern(batch, 'tok-1')).toBe('/d/*-tok-1.rowbinary')
    expect(infilePattern(batch, 'tok-2')).toBe('/d/{1-5-tok-1.rowbinary,2-3-tok-1.rowbinary}')
    expect(() => infilePattern([])).toThrow()
  })

  it('inserts a batch of thousands of spool files by the token glob, and a retry once', async () => {
    const dir = mkdtempSync(join(dataDir, 'spool-'))
    const token = 'many-files-1'
    const files: string[] = []
    for (let i = 0; i < 2000; i++) {
      const writer = new RowWriter(512)
      writer.span({ ...emptySpan(), spanId: i.toString(16).padStart(16, '0') }, context)
      const file = join(dir, `${String(i).padStart(12, '0')}-1-${token}.rowbinary`)
      writeFileSync(file, writer.finish() as Buffer)
      files.push(file)
    }
    writeFileSync(join(dir, '999999999999-1-other-token.rowbinary'), 'not this batch')
    await store.client.command({ query: 'TRUNCATE TABLE twinspan.rows_check' })
    const insertFiles = store.insertFiles?.bind(store) as NonNullable<Store['insertFiles']>
    const options = { token, format: 'RowBinary' as const, columns: OTEL_TRACE_COLUMNS }
    await insertFiles('twinspan.rows_check', files, options)
    await insertFiles('twinspan.rows_check', files, options) // a retry: deduplicated by the token
    const [row] = await queryRows<{ rows: number; ids: number }>(
      store,
      'SELECT count() AS rows, uniqExact(SpanId) AS ids FROM twinspan.rows_check',
    )
    expect(row).toEqual({ rows: 2000, ids: 2000 })
  })

  it('refuses to start the collector on such a data directory, before opening the engine', async () => {
    const config = defaultConfig()
    config.storage.dataDir = join(dataDir, 'data{1,2}')
    await expect(startCollector(config)).rejects.toThrow(/must not contain \* \? \{ \}/)
  })
})
