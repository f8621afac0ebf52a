import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openStore, queryRows } from '@twinspan/collector'
import {
  ATTR_CANDIDATE,
  ATTR_EXPERIMENT,
  ATTR_OUTCOME,
  ATTR_ROLE,
  ATTR_RUN_ID,
  ATTR_SEVERITY,
} from '@twinspan/conventions'
import { expect, it } from 'vitest'
import { startCollectorProcess } from '../fixtures/collector-process.js'

const RUNS_PER_REQUEST = 50

/** One OTLP/JSON export with `RUNS_PER_REQUEST` runs (primary + shadow spans each). */
function exportBody(client: number, request: number): { body: string; runIds: string[] } {
  const runIds: string[] = []
  const spans: object[] = []
  const now = BigInt(Date.now()) * 1_000_000n
  for (let i = 0; i < RUNS_PER_REQUEST; i++) {
    const runId = `c${client}-r${request}-${i}`
    runIds.push(runId)
    const n = client * 1_000_000 + request * 1000 + i + 1
    const traceId = n.toString(16).padStart(32, '0')
    const primaryId = (2 * n).toString(16).padStart(16, '0')
    const shadowId = (2 * n + 1).toString(16).padStart(16, '0')
    const attrs = [
      { key: ATTR_EXPERIMENT, value: { stringValue: 'kill9' } },
      { key: ATTR_RUN_ID, value: { stringValue: runId } },
    ]
    spans.push(
      {
        traceId,
        spanId: primaryId,
        name: 'p',
        startTimeUnixNano: String(now),
        endTimeUnixNano: String(now + 1000n),
        attributes: [...attrs, { key: ATTR_ROLE, value: { stringValue: 'primary' } }],
      },
      {
        traceId,
        spanId: shadowId,
        name: 's',
        startTimeUnixNano: String(now),
        endTimeUnixNano: String(now + 2000n),
        links: [{ traceId, spanId: primaryId }],
        attributes: [
          ...attrs,
          { key: ATTR_ROLE, value: { stringValue: 'shadow' } },
          { key: ATTR_CANDIDATE, value: { stringValue: 'shadow' } },
          { key: ATTR_OUTCOME, value: { stringValue: i % 7 === 0 ? 'mismatch' : 'match' } },
          { key: ATTR_SEVERITY, value: { stringValue: i % 7 === 0 ? 'major' : 'none' } },
        ],
      },
    )
  }
  return { body: JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans }] }] }), runIds }
}

it('kill -9 while clients send: every acknowledged run is stored and counted exactly once', async () => {
  const config = join(mkdtempSync(join(tmpdir(), 'kill9-')), 'twinspan.yaml')
  writeFileSync(config, 'storage:\n  batchAgeMs: 100\n')
  const first = await startCollectorProcess({ args: ['--config', config] })
  const acknowledged = new Set<string>()
  let sent = 0
  let killed = false
  const client = async (id: number) => {
    for (let request = 0; !killed; request++) {
      const { body, runIds } = exportBody(id, request)
      sent++
      try {
        const response = await fetch(`${first.url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        })
        if (response.status === 200) for (const runId of runIds) acknowledged.add(runId)
      } catch {
        // the connection died with the process: not acknowledged, the client would retry
      }
    }
  }
  const clients = [client(1), client(2)]
  while (acknowledged.size < 20 * RUNS_PER_REQUEST) await new Promise((resolve) => setTimeout(resolve, 20))
  first.child.kill('SIGKILL')
  killed = true
  await Promise.all(clients)
  await first.stop({ keepData: true })
  expect(sent).toBeGreaterThan(acknowledged.size / RUNS_PER_REQUEST)

  // Restart on the same data directory: anything spooled is replayed; then shut down cleanly.
  const second = await startCollectorProcess({ dataDir: first.dataDir, args: ['--config', config] })
  const deadline = Date.now() + 30_000
  for (;;) {
    const metrics = await (await fetch(`${second.url}/metrics`)).text()
    if (/^twinspan_spool_batches 0$/m.test(metrics) || Date.now() > deadline) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  expect(await second.stop({ keepData: true })).toBe(0)

  const store = openStore({ dataDir: first.dataDir, database: 'twinspan' })
  try {
    const stored = await queryRows<{ run_id: string; copies: number | string }>(
      store,
      "SELECT run_id, count() AS copies FROM twinspan.parallel_runs WHERE experiment = 'kill9' GROUP BY run_id",
    )
    const copies = new Map(stored.map((row) => [row.run_id, Number(row.copies)]))
    const lost = [...acknowledged].filter((runId) => !copies.has(runId))
    expect(lost).toEqual([])
    const duplicated = [...copies].filter(([, n]) => n !== 1)
    expect(duplicated).toEqual([])
    for (const rollup of ['parallel_runs_1m', 'parallel_runs_1h', 'parallel_runs_1d']) {
      const [row] = await queryRows<{ runs: number | string }>(
        store,
        `SELECT sum(runs) AS runs FROM twinspan.${rollup} WHERE experiment = 'kill9'`,
      )
      expect(Number(row?.runs), rollup).toBe(copies.size) // every rollup counts each stored run once
    }
  } finally {
    await store.close()
  }
}, 120_000)
