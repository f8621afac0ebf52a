import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAlerts } from '../src/config/alerts.js'
import { type Collector, defaultConfig, startCollector } from '../src/index.js'
import { type Recorded, sendRuns, sleep, standIn, waitFor } from './alerts-support.js'

// A collector restarted on the same data directory, in this process (chDB reopens a closed path).
const GROUP_INTERVAL = 200
const RESOLVE_AFTER = 1500

let pagerduty: Awaited<ReturnType<typeof standIn>>
let answer = 202
let dataDir: string
let collector: Collector | undefined

async function start(): Promise<Collector> {
  const config = defaultConfig()
  config.server.port = 0
  config.storage.dataDir = dataDir
  config.storage.batchAgeMs = 20
  config.alerts = parseAlerts({
    receivers: [
      { name: 'oncall', pagerduty: { routingKey: 'restart-key', url: `${pagerduty.url}/v2/enqueue` } },
    ],
    route: {
      receiver: 'log',
      groupWait: '200ms',
      groupInterval: `${GROUP_INTERVAL}ms`,
      routes: [{ matchers: ['severity="critical"'], receiver: 'oncall' }],
    },
    runs: { resolveAfter: `${RESOLVE_AFTER}ms` },
    rules: {
      mismatchRate: { enabled: false },
      shadowErrorRate: { enabled: false },
      p95Regression: { enabled: false },
      readiness: { enabled: false },
    },
    delivery: { initialBackoff: '100ms', maxBackoff: '200ms', maxAttempts: 1000 },
  })
  collector = await startCollector(config)
  return collector
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'twinspan-alerts-restart-'))
  pagerduty = await standIn(() => ({
    status: answer,
    body: answer === 202 ? '{"status":"success"}' : '{"status":"error"}',
  }))
}, 60_000)

afterAll(async () => {
  await collector?.close()
  await pagerduty?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const events = (experiment: string, action: 'trigger' | 'resolve', accepted = true): Recorded[] => {
  const keys = new Set(
    pagerduty.requests.filter((r) => r.body?.payload?.component === experiment).map((r) => r.body.dedup_key),
  )
  return pagerduty.requests.filter(
    (r) => keys.has(r.body?.dedup_key) && r.body.event_action === action && (!accepted || r.status === 202),
  )
}

describe('a collector restart', () => {
  it('between trigger and resolve neither re-pages nor loses the resolve', async () => {
    let running = await start()
    await sendRuns(running, { experiment: 'restart-1', count: 40 })
    await waitFor(
      () => events('restart-1', 'trigger').length,
      (n) => n === 1,
      5000,
      'the page',
    )
    // The notification log reaches the disk right after the delivery.
    await waitFor(
      () => JSON.parse(readFileSync(join(dataDir, 'alerts', 'state.json'), 'utf8')).log.length,
      (n) => n === 1,
      2000,
      'the log entry',
    )
    await running.close()

    running = await start()
    await sleep(200 + 3 * GROUP_INTERVAL) // groupWait and a few flushes of the re-formed group
    expect(events('restart-1', 'trigger')).toHaveLength(1)
    const { alerts } = (await (await fetch(`${running.url}/api/alerts`)).json()) as {
      alerts: { labels: Record<string, string>; lastNotification: { action: string } | null }[]
    }
    expect(alerts.find((a) => a.labels.experiment === 'restart-1')?.lastNotification).toMatchObject({
      action: 'trigger',
    })

    await waitFor(
      () => events('restart-1', 'resolve').length,
      (n) => n === 1,
      RESOLVE_AFTER + 3000,
      'the resolve',
    )
    await sleep(3 * GROUP_INTERVAL)
    expect(events('restart-1', 'resolve')).toHaveLength(1)
    expect(events('restart-1', 'resolve')[0]?.body.dedup_key).toBe(
      events('restart-1', 'trigger')[0]?.body.dedup_key,
    )
    expect(events('restart-1', 'trigger')).toHaveLength(1)
    await running.close()
  })

  it('delivers a page and a resolve that were still being retried at shutdown, once each', async () => {
    let running = await start()
    // The page is decided while PagerDuty fails: it is retried until the collector stops.
    answer = 500
    await sendRuns(running, { experiment: 'restart-2', count: 10 })
    await waitFor(
      () => events('restart-2', 'trigger', false).length,
      (n) => n >= 2,
      5000,
      'failing attempts',
    )
    await running.close()
    const outbox = JSON.parse(readFileSync(join(dataDir, 'alerts', 'state.json'), 'utf8')).outbox
    expect(
      outbox.map((n: { status: string; groupLabels: Record<string, string> }) => [
        n.status,
        n.groupLabels.experiment,
      ]),
    ).toEqual([['firing', 'restart-2']])

    answer = 202
    running = await start()
    await waitFor(
      () => events('restart-2', 'trigger').length,
      (n) => n === 1,
      5000,
      'the page after the restart',
    )

    // Now the resolve is decided while PagerDuty fails, and the collector stops before it gets through.
    answer = 500
    const failedResolves = () => events('restart-2', 'resolve', false).filter((r) => r.status === 500).length
    await waitFor(failedResolves, (n) => n >= 1, RESOLVE_AFTER + 3000, 'a failing resolve attempt')
    await running.close()
    expect(events('restart-2', 'resolve')).toHaveLength(0)
    const pending = JSON.parse(readFileSync(join(dataDir, 'alerts', 'state.json'), 'utf8')).outbox
    expect(pending.map((n: { status: string }) => n.status)).toEqual(['resolved'])
    answer = 202
    running = await start()
    await waitFor(
      () => events('restart-2', 'resolve').length,
      (n) => n === 1,
      5000,
      'the resolve after the restart',
    )
    await sleep(200 + 3 * GROUP_INTERVAL)
    expect(events('restart-2', 'trigger')).toHaveLength(1)
    expect(events('restart-2', 'resolve')).toHaveLength(1)
    expect(existsSync(join(dataDir, 'alerts', 'state.json.tmp'))).toBe(false)
  })
})
