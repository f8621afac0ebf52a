import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  ATTR_CANDIDATE,
  ATTR_DIFF_COUNT,
  ATTR_EXPERIMENT,
  ATTR_OUTCOME,
  ATTR_PRIMARY_DURATION_MS,
  ATTR_ROLE,
  ATTR_RUN_ID,
  ATTR_SEVERITY,
  ATTR_SHADOW_DURATION_MS,
} from '@twinspan/conventions'
import { type Collector, type CollectorConfig, defaultConfig, startCollector } from '../src/index.js'

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
  severity?: string
  timeMs?: number
}

let spanCounter = 1
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0')

/** OTLP/JSON spans (primary + linked shadow) for parallel runs. */
export function runSpans(runs: RunSpec[]): object[] {
  const spans: object[] = []
  for (const run of runs) {
    const traceId = hex(spanCounter, 32)
    const primaryId = hex(spanCounter++, 16)
    const shadowId = hex(spanCounter++, 16)
    const start = BigInt(run.timeMs ?? Date.now()) * 1_000_000n
    const common = [
      { key: ATTR_EXPERIMENT, value: { stringValue: run.experiment ?? 'shipping-cost' } },
      { key: ATTR_RUN_ID, value: { stringValue: run.runId } },
    ]
    spans.push({
      traceId,
      spanId: primaryId,
      name: 'primary',
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + 5_000_000n),
      attributes: [...common, { key: ATTR_ROLE, value: { stringValue: 'primary' } }],
    })
    spans.push({
      traceId,
      spanId: shadowId,
      name: 'shadow',
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + 6_000_000n),
      links: [{ traceId, spanId: primaryId }],
      attributes: [
        ...common,
        { key: ATTR_ROLE, value: { stringValue: 'shadow' } },
        { key: ATTR_CANDIDATE, value: { stringValue: 'shadow' } },
        { key: ATTR_OUTCOME, value: { stringValue: run.outcome ?? 'match' } },
        { key: ATTR_SEVERITY, value: { stringValue: run.severity ?? 'none' } },
        { key: ATTR_DIFF_COUNT, value: { intValue: run.outcome === 'mismatch' ? '1' : '0' } },
        { key: ATTR_PRIMARY_DURATION_MS, value: { doubleValue: 5 } },
        { key: ATTR_SHADOW_DURATION_MS, value: { doubleValue: 6 } },
      ],
    })
  }
  return spans
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
