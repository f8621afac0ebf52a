import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Dispatcher } from '../src/alerts/dispatcher.js'
import { senderFor } from '../src/alerts/receivers/send.js'
import { runAlerts } from '../src/alerts/run-alerts.js'
import { parseAlerts } from '../src/config/alerts.js'
import type { IngestedRun } from '../src/ingest/runs.js'
import { freePort, sendRuns, waitFor } from './alerts-support.js'
import { startTestCollector } from './ingest-support.js'

// A real Alertmanager (Debian's prometheus-alertmanager; .ci/run installs it) on a free port.
const ALERTMANAGER = '/usr/bin/prometheus-alertmanager'
const RESOLVE_AFTER = 1000

let alertmanager: ChildProcess | undefined
let alertmanagerUrl: string
let workDir: string
let collector: Awaited<ReturnType<typeof startTestCollector>>

interface ListedAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string
  generatorURL?: string
  status: { state: string }
  fingerprint: string
}

const listed = async (experiment: string): Promise<ListedAlert[]> => {
  const response = await fetch(
    `${alertmanagerUrl}/api/v2/alerts?filter=${encodeURIComponent(`experiment="${experiment}"`)}`,
  )
  return (await response.json()) as ListedAlert[]
}

beforeAll(async () => {
  expect(
    existsSync(ALERTMANAGER),
    'prometheus-alertmanager is needed (Debian package; .ci/run installs it)',
  ).toBe(true)
  workDir = mkdtempSync(join(tmpdir(), 'twinspan-alertmanager-'))
  writeFileSync(
    join(workDir, 'alertmanager.yml'),
    'route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n',
  )
  const port = await freePort()
  alertmanagerUrl = `http://127.0.0.1:${port}`
  alertmanager = spawn(
    ALERTMANAGER,
    [
      `--config.file=${join(workDir, 'alertmanager.yml')}`,
      `--storage.path=${join(workDir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=', // no gossip: a single instance
    ],
    { stdio: 'ignore' },
  )
  await waitFor(
    () =>
      fetch(`${alertmanagerUrl}/-/ready`).then(
        (r) => r.status,
        () => 0,
      ),
    (status) => status === 200,
    15_000,
    'Alertmanager to be ready',
  )
  collector = await startTestCollector((config) => {
    config.alerts = parseAlerts({
      dashboardUrl: 'https://twinspan.example.com',
      receivers: [{ name: 'ha', alertmanager: { url: alertmanagerUrl } }],
      route: { receiver: 'log', routes: [{ receiver: 'ha', groupWait: '0s', groupInterval: '300ms' }] },
      runs: { resolveAfter: `${RESOLVE_AFTER}ms` },
      rules: {
        mismatchRate: { enabled: false },
        shadowErrorRate: { enabled: false },
        p95Regression: { enabled: false },
        readiness: { enabled: false },
      },
    })
  })
}, 60_000)

afterAll(async () => {
  await collector?.dispose()
  if (alertmanager && alertmanager.exitCode === null) {
    const exited = new Promise((resolve) => alertmanager?.once('exit', resolve))
    alertmanager.kill('SIGTERM')
    await exited
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true })
})

describe('Alertmanager receiver', () => {
  it('posts our alerts to /api/v2/alerts with labels, annotations, startsAt and endsAt, and resolves them', async () => {
    const t0 = Date.now()
    await sendRuns(collector, {
      experiment: 'am-exp',
      count: 30,
      operation: 'POST /quote',
      paths: (i) => [i % 3 === 0 ? 'tax' : 'total'],
    })
    const alerts = await waitFor(
      () => listed('am-exp'),
      (list) => list.length === 2,
      5000,
      'two alerts in Alertmanager',
    )
    const byPath = new Map(alerts.map((alert) => [alert.labels.path, alert]))
    expect(byPath.get('total')?.labels).toEqual({
      alertname: 'ParallelRunMismatch',
      candidate: 'shadow',
      experiment: 'am-exp',
      operation: 'POST /quote',
      path: 'total',
      severity: 'critical',
    })
    const total = byPath.get('total') as ListedAlert
    expect(total.status.state).toBe('active')
    expect(total.annotations).toMatchObject({
      summary: 'am-exp: 20 critical mismatches at total (POST /quote)',
      dashboard: 'https://twinspan.example.com/#/experiments/am-exp',
      runs: '20',
    })
    expect(total.annotations.description).toMatch(/^20 mismatched runs since /)
    expect(total.generatorURL).toBe('https://twinspan.example.com/#/experiments/am-exp')
    expect(Date.parse(total.startsAt)).toBeGreaterThanOrEqual(t0 - 1000)
    expect(Date.parse(total.endsAt)).toBeGreaterThan(Date.now() + 60_000) // held; refreshed every group interval
    expect(byPath.get('tax')?.annotations.summary).toBe('am-exp: 10 critical mismatches at tax (POST /quote)')

    // Recovery: the resolved alerts are sent with their end time and Alertmanager stops listing them.
    await waitFor(
      () => listed('am-exp'),
      (list) => list.length === 0,
      RESOLVE_AFTER + 5000,
      'Alertmanager to see them resolved',
    )
  })

  it('deduplicates the same alert sent by two collector replicas', async () => {
    await sendRuns(collector, { experiment: 'am-ha', count: 5 })
    await waitFor(
      () => listed('am-ha'),
      (list) => list.length === 1,
      5000,
      'the alert from the collector',
    )

    // A second replica: the same engine, fed the same kind of runs by its own share of the traffic.
    const config = parseAlerts({
      receivers: [{ name: 'ha', alertmanager: { url: alertmanagerUrl } }],
      route: { receiver: 'log', routes: [{ receiver: 'ha', groupWait: '0s', groupInterval: '300ms' }] },
    })
    const replica = new Dispatcher(config)
    const now = Date.now()
    const run: IngestedRun = {
      experiment: 'am-ha',
      candidate: 'shadow',
      operation: '',
      runId: 'replica-run',
      traceId: 'f'.repeat(32),
      shadowSpanId: 'e'.repeat(16),
      outcome: 'mismatch',
      severity: 'critical',
      diffPaths: ['total'],
      diff: JSON.stringify([{ path: 'total', kind: 'changed', severity: 'critical' }]),
      primaryDurationMs: 5,
      shadowDurationMs: 6,
      timeMs: now,
    }
    replica.receive(runAlerts([run, { ...run, runId: 'replica-run-2' }], config.runs, now), now)
    const [notification] = replica.flush(now)
    expect(notification?.receiver).toBe('ha')
    const receiver = config.receivers.find((r) => r.name === 'ha')
    if (!receiver || !notification) throw new Error('no Alertmanager notification')
    const send = senderFor(receiver, {
      dashboardUrl: () => 'https://twinspan.example.com',
      source: 'replica-2',
      timeoutMs: 5000,
      writeLog: () => {},
      now: Date.now,
    })
    expect(await send(notification, new AbortController().signal)).toEqual({ ok: true })

    const alerts = await listed('am-ha')
    expect(alerts).toHaveLength(1)
    expect(alerts[0]?.labels).toEqual({
      alertname: 'ParallelRunMismatch',
      candidate: 'shadow',
      experiment: 'am-ha',
      path: 'total',
      severity: 'critical',
    })
  })
})
