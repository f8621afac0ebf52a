import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RowWriter, resourceValues, scopeValues } from '../src/ingest/rows.js'
import { emptySpan } from '../src/otlp/model.js'
import { openStore, queryRows, type Store } from '../src/store/client.js'
import { migrate } from '../src/store/migrate.js'
import { insertSpoolBatch, OTEL_TRACE_COLUMNS } from '../src/store/spans.js'

/**
 * What the collector sends a ClickHouse server for a spool batch. No ClickHouse server ≥ 24.8 can be
 * installed on the development machines (Debian's is 18.16), so an HTTP receiver records the
 * request, and the body it got is then inserted into the real embedded engine to show it is the
 * rows the query names.
 */
interface Received {
  url: URL
  body: Buffer
}

let receiver: Server
let received: Received[] = []
let embedded: Store
let dataDir: string
beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      received.push({ url: new URL(request.url ?? '/', 'http://receiver'), body: Buffer.concat(chunks) })
      response.writeHead(200, { 'X-ClickHouse-Summary': '{"written_rows":"2"}' })
      response.end()
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  dataDir = mkdtempSync(join(tmpdir(), 'twinspan-remote-'))
  embedded = openStore({ dataDir, database: 'twinspan' })
  await migrate(embedded, { retentionDays: 30 })
})
afterAll(async () => {
  await embedded.close()
  await new Promise((resolve) => receiver.close(resolve))
  rmSync(dataDir, { recursive: true, force: true })
})

describe('spool batches sent to a ClickHouse server', () => {
  it('posts the RowBinary rows with their column list and dedup token, read from the batch', async () => {
    received = []
    const { port } = receiver.address() as AddressInfo
    const remote = openStore({ dataDir, url: `http://127.0.0.1:${port}`, database: 'twinspan' })
    const writer = new RowWriter()
    const context = {
      resource: resourceValues({ 'service.name': 'checkout' }),
      scope: scopeValues({ name: 's', version: '1' }),
    }
    const now = BigInt(Date.now()) * 1_000_000n
    for (const id of ['01', '02']) {
      writer.span(
        { ...emptySpan(), spanId: id.repeat(8), startTimeUnixNano: now, endTimeUnixNano: now + 0x0a0an },
        context,
      )
    }
    const body = writer.finish() as Buffer
    let reads = 0
    await insertSpoolBatch(remote, {
      token: 'batch-token-7',
      format: 'RowBinary',
      files: ['/nowhere/1-2-batch-token-7.rowbinary'], // a server cannot read the collector's disk
      async read() {
        reads++
        return body
      },
    })
    await remote.close()

    expect(reads).toBe(1)
    expect(received).toHaveLength(1)
    const [request] = received as [Received]
    const columns = OTEL_TRACE_COLUMNS.map((column) => `\`${column}\``).join(', ')
    expect(request.url.searchParams.get('query')).toBe(
      `INSERT INTO twinspan.otel_traces (${columns}) FORMAT RowBinary`,
    )
    expect(request.url.searchParams.get('insert_deduplication_token')).toBe('batch-token-7')
    expect(request.url.searchParams.get('deduplicate_blocks_in_dependent_materialized_views')).toBe('1')
    expect(request.body).toEqual(body)

    // The bytes the server got are the two rows, in the columns the query names.
    await embedded.insertLines('twinspan.otel_traces', request.body, {
      format: 'RowBinary',
      columns: OTEL_TRACE_COLUMNS,
    })
    const rows = await queryRows<{ SpanId: string; Duration: number }>(
      embedded,
      'SELECT SpanId, Duration FROM twinspan.otel_traces ORDER BY SpanId',
    )
    expect(rows).toEqual([
      { SpanId: '01'.repeat(8), Duration: 0x0a0a },
      { SpanId: '02'.repeat(8), Duration: 0x0a0a },
    ])
  })
})
