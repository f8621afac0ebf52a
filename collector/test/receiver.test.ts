import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ProtoReader } from '../src/otlp/protobuf-reader.js'
import { queryRows } from '../src/store/client.js'
import { exportJson, postTraces, runSpans, startTestCollector } from './ingest-support.js'

const MAX_BODY = 1024 * 1024
let collector: Awaited<ReturnType<typeof startTestCollector>>

beforeAll(async () => {
  collector = await startTestCollector((config) => {
    config.server.maxBodyBytes = MAX_BODY
  })
})
afterAll(() => collector.dispose())

const valid = () => exportJson(runSpans([{ runId: `r-${Math.random()}` }]))
const emptyProto = Uint8Array.from([0x0a, 0x00]) // one empty ResourceSpans

interface Case {
  name: string
  method?: string
  headers?: Record<string, string>
  body?: string | Uint8Array
  status: number
  /** What the response body must say (a substring of its text), and its media type. */
  contains?: string
  type?: string
  retryAfter?: boolean
}

const cases: Case[] = [
  { name: 'valid JSON export', body: valid(), status: 200, type: 'application/json', contains: '{}' },
  {
    name: 'JSON with charset parameter',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: valid(),
    status: 200,
  },
  {
    name: 'valid protobuf export',
    headers: { 'content-type': 'application/x-protobuf' },
    body: emptyProto,
    status: 200,
    type: 'application/x-protobuf',
  },
  {
    name: 'gzip JSON',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: gzipSync(valid()),
    status: 200,
  },
  {
    name: 'a span breaking the contract is a partial success',
    body: exportJson([
      {
        traceId: '1'.repeat(32),
        spanId: '2'.repeat(16),
        attributes: [{ key: 'parallel_run.role', value: { stringValue: 'x' } }],
      },
    ]),
    status: 200,
    contains: '"rejectedSpans":"1"',
  },
  { name: 'GET', method: 'GET', status: 405, contains: 'use POST' },
  { name: 'PUT', method: 'PUT', body: valid(), status: 405 },
  {
    name: 'text/plain',
    headers: { 'content-type': 'text/plain' },
    body: 'x',
    status: 415,
    contains: 'Content-Type',
  },
  { name: 'no content type', headers: {}, body: 'x', status: 415 },
  {
    name: 'brotli encoding',
    headers: { 'content-type': 'application/json', 'content-encoding': 'br' },
    body: 'x',
    status: 415,
    contains: 'Content-Encoding',
  },
  { name: 'invalid JSON', body: '{"resourceSpans": [', status: 400, contains: 'not valid JSON' },
  {
    name: 'JSON of the wrong shape',
    body: '{"resourceSpans": {"a": 1}}',
    status: 400,
    contains: 'must be an array',
  },
  {
    name: 'truncated protobuf',
    headers: { 'content-type': 'application/x-protobuf' },
    body: Uint8Array.from([0x0a, 0x05, 0x01]),
    status: 400,
    type: 'application/x-protobuf',
  },
  {
    name: 'corrupt gzip',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: Buffer.from('definitely not gzip'),
    status: 400,
    contains: 'not valid gzip',
  },
  { name: 'body over the cap', body: 'x'.repeat(MAX_BODY + 1), status: 413 },
  {
    name: 'gzip bomb: 64 KiB on the wire, 64 MiB inflated',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body: gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 }),
    status: 413,
    contains: 'decompressed body exceeds',
  },
]

describe('POST /v1/traces conformance', () => {
  it.each(cases)('$name → $status', async (c) => {
    const response = await fetch(`${collector.url}/v1/traces`, {
      method: c.method ?? 'POST',
      headers: c.headers ?? { 'content-type': 'application/json' },
      body: c.method === 'GET' ? undefined : c.body,
    })
    expect(response.status).toBe(c.status)
    const text = await response.text()
    if (c.contains) expect(text).toContain(c.contains)
    if (c.type) expect(response.headers.get('content-type')).toContain(c.type)
    if (c.status === 405) expect(response.headers.get('allow')).toBe('POST')
    if (c.status >= 400 && (response.headers.get('content-type') ?? '').includes('json')) {
      const status = JSON.parse(text) as { code: number; message: string }
      expect(status.code).toBeGreaterThan(0) // a google.rpc.Status
      expect(status.message.length).toBeGreaterThan(0)
    }
    if (c.status === 400 && c.type === 'application/x-protobuf') {
      const reader = new ProtoReader(new Uint8Array(Buffer.from(text, 'latin1')))
      expect(reader.tag()).toBe((1 << 3) | 0) // google.rpc.Status.code: field 1, varint
    }
  })

  it('stores accepted runs once they are answered, and drops spans without parallel_run attributes', async () => {
    const body = JSON.parse(exportJson(runSpans([{ runId: 'stored-1', experiment: 'drop-test' }]))) as {
      resourceSpans: { scopeSpans: { spans: object[] }[] }[]
    }
    body.resourceSpans[0]?.scopeSpans[0]?.spans.push({
      traceId: '3'.repeat(32),
      spanId: '4'.repeat(16),
      name: 'GET /',
    })
    const response = await postTraces(collector.url, JSON.stringify(body))
    expect(response.status).toBe(200) // in the spool; the next insert stores it
    await collector.flush()
    const [stored] = await queryRows<{ runs: number | string; spans: number | string }>(
      collector.store,
      `SELECT (SELECT count() FROM twinspan.parallel_runs FINAL WHERE experiment = {e:String}) AS runs,
              (SELECT count() FROM twinspan.otel_traces WHERE SpanAttributes['parallel_run.experiment'] = {e:String}) AS spans`,
      { e: 'drop-test' },
    )
    expect(Number(stored?.runs)).toBe(1)
    expect(Number(stored?.spans)).toBe(2) // primary + shadow; the plain span was not stored
    const metrics = await (await fetch(`${collector.url}/metrics`)).text()
    expect(metrics).toMatch(/twinspan_spans_dropped_total [1-9]/)
    expect(metrics).toMatch(/twinspan_spans_rejected_total [1-9]/)
  })

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200)
    const ready = await fetch(`${collector.url}/readyz`)
    expect(ready.status).toBe(200)
    expect(((await ready.json()) as { status: string }).status).toBe('ready')
  })

  it('exposes metrics that promtool accepts', async () => {
    const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => existsSync(path))
    expect(promtool, 'promtool is needed (Debian package prometheus; .ci/run installs it)').toBeDefined()
    const metrics = await (await fetch(`${collector.url}/metrics`)).text()
    expect(metrics).toContain('twinspan_spans_received_total')
    expect(metrics).toContain('twinspan_insert_duration_seconds_bucket')
    const file = join(mkdtempSync(join(tmpdir(), 'metrics-')), 'metrics.txt')
    writeFileSync(file, metrics)
    // promtool exits non-zero (and execFileSync throws) on any problem with the exposition.
    const output = execFileSync('sh', ['-c', `${promtool} check metrics < ${file} 2>&1`]).toString()
    expect(output).not.toMatch(/error/i)
  })
})
