import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RunSeverity } from '@twinspan/conventions'
import { type Collector, type CollectorConfig, defaultConfig, startCollector } from '../src/index.js'
import { runSpans as syntheticRunSpans } from './support/synthetic-runs.js'

/** Start an in-process collector on a free port with a fresh data directory. One per test file. */
export async function startTestCollector(
  adjust: (config: CollectorConfig) => void = () => {},
): Promise<Collector & { dataDir: string; dispose(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'twinspan-collector-'))
  const config = defaultConfig()
  config.server.port = 0
  config.storage.dataDir = dataDir
  config.storage.batchAgeMs = 20 // tests wait for durability; keep batches short
  adjust(config)
  const collector = await startCollector(config)
  return Object.assign(collector, {
    dataDir,
    async dispose() {
      await collector.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  })
}

export interface RunSpec {
  experiment?: string
  runId: string
  outcome?: 'match' | 'mismatch' | 'shadow_error' | 'timeout'
  severity?: RunSeverity
  timeMs?: number
}

/** OTLP/JSON spans (primary + linked shadow) for parallel runs, built by the shared synthetic-run builder. */
export function runSpans(runs: RunSpec[]): object[] {
  return runs.flatMap((run) =>
    syntheticRunSpans({
      experiment: run.experiment ?? 'shipping-cost',
      runId: run.runId,
      timeMs: run.timeMs ?? Date.now(),
      outcome: run.outcome ?? 'match',
      severity: run.severity,
      candidate: 'shadow',
      primaryMs: 5,
      shadowMs: 6,
    }),
  )
}

/** A full OTLP/JSON export body around some spans. */
export function exportJson(spans: object[], serviceName = 'checkout'): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }] },
        scopeSpans: [{ scope: { name: '@twinspan/sdk', version: '0.1.0' }, spans }],
      },
    ],
  })
}

/** POST an OTLP body to a collector. */
export function postTraces(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string> = { 'content-type': 'application/json' },
): Promise<Response> {
  return fetch(`${url}/v1/traces`, { method: 'POST', headers, body })
}
