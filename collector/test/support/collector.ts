import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Collector, parseConfig, startCollector } from '@twinspan/collector'

/** A real collector in this test process (one per test file: the embedded engine binds one data directory per process). */
export interface TestCollector extends Collector {
  token: string
  stop(): Promise<void>
}

/** Start a collector on a free port with a fresh data directory, bearer auth and the given experiments config. */
export async function startTestCollector(experiments: Record<string, unknown> = {}): Promise<TestCollector> {
  const dataDir = mkdtempSync(join(tmpdir(), 'twinspan-analysis-'))
  const token = 'analysis-test-token'
  const collector = await startCollector(
    parseConfig({ server: { port: 0, authToken: token }, storage: { dataDir }, experiments }),
  )
  return Object.assign(collector, {
    token,
    async stop() {
      await collector.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  })
}
