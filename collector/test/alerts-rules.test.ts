import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AlertsStatus } from '../src/alerts/status.js'
import { parseAlerts } from '../src/config/alerts.js'
import { parseExperiments } from '../src/config/experiments.js'
import { sendRuns, waitFor } from './alerts-support.js'
import { startTestCollector } from './ingest-support.js'

// Rule alerts evaluated from the real store (embedded ClickHouse) every 200 ms, reusing the analysis.
let collector: Awaited<ReturnType<typeof startTestCollector>>

beforeAll(async () => {
  collector = await startTestCollector((config) => {
    config.experiments = parseExperiments({
      gate: {
        readiness: {
          window: '1h',
          minSamples: 20,
          minMatchRate: 0.9,
          maxP95DeltaPct: 1000,
          maxShadowErrorRate: 0.5,
        },
      },
    })
    config.alerts = parseAlerts({
      route: { receiver: 'log', groupWait: '100ms', groupInterval: '100ms' },
      runs: { severities: ['critical'] }, // minor mismatches below raise no run alerts: only rules here
      rules: {
        evaluateEvery: '200ms',
        mismatchRate: { threshold: 0.2, minSamples: 20, window: '1h', severity: 'major' },
        shadowErrorRate: { threshold: 0.2, minSamples: 20, window: '1h' },
        p95Regression: { threshold: 50, minSamples: 20, window: '1h' },
        readiness: { severity: 'critical' },
      },
    })
  })
}, 60_000)

afterAll(() => collector?.dispose())

const firing = async (experiment: string): Promise<AlertsStatus['alerts']> => {
  const status = (await (await fetch(`${collector.url}/api/alerts`)).json()) as AlertsStatus
  return status.alerts.filter((alert) => alert.labels.experiment === experiment)
}
const names = (alerts: AlertsStatus['alerts']) => alerts.map((alert) => alert.labels.alertname).sort()

describe('rule alerts', () => {
  it('fire on a high mismatch rate over the window and resolve when it drops', async () => {
    await sendRuns(collector, { experiment: 'rates', count: 30, outcome: 'match' })
    await sendRuns(collector, { experiment: 'rates', count: 20, severity: 'minor' })
    const [alert] = await waitFor(
      () => firing('rates'),
      (a) => a.length === 1,
      10_000,
      'MismatchRateHigh',
    )
    expect(alert?.labels).toEqual({ alertname: 'MismatchRateHigh', experiment: 'rates', severity: 'major' })
    expect(alert?.annotations.summary).toBe('rates: mismatch rate 40% > 20% over 1h (50 runs)')
    expect(alert?.details).toEqual({
      kind: 'rule',
      rule: 'mismatchRate',
      value: 0.4,
      threshold: 0.2,
      window: '1h',
      runs: 50,
    })
    await waitFor(
      () => firing('rates'),
      (a) => a[0]?.lastNotification?.action === 'trigger',
      5000,
      'the log notification',
    )

    await sendRuns(collector, { experiment: 'rates', count: 100, outcome: 'match' }) // 20 / 150 = 13%
    await waitFor(
      () => firing('rates'),
      (a) => a.length === 0,
      10_000,
      'the rule to resolve',
    )
  })

  it('fire on the shadow error rate and on a p95 regression', async () => {
    await sendRuns(collector, { experiment: 'errors', count: 20, outcome: 'match' })
    await sendRuns(collector, { experiment: 'errors', count: 10, outcome: 'shadow_error' })
    await sendRuns(collector, {
      experiment: 'slow',
      count: 40,
      outcome: 'match',
      primaryMs: 10,
      shadowMs: 30,
    })
    expect(
      names(
        await waitFor(
          () => firing('errors'),
          (a) => a.length === 1,
          10_000,
          'ShadowErrorRateHigh',
        ),
      ),
    ).toEqual(['ShadowErrorRateHigh'])
    const [slow] = await waitFor(
      () => firing('slow'),
      (a) => a.length === 1,
      10_000,
      'ShadowLatencyRegression',
    )
    expect(slow?.labels).toEqual({
      alertname: 'ShadowLatencyRegression',
      experiment: 'slow',
      severity: 'minor',
    })
    expect(slow?.details).toMatchObject({ rule: 'p95Regression', threshold: 50 })
    expect((slow?.details as { value: number } | undefined)?.value).toBeGreaterThan(150)
  })

  it('fire when readiness turns from go to no-go, and resolve when it is go again', async () => {
    await sendRuns(collector, { experiment: 'gate', count: 25, outcome: 'match' })
    const verdict = async () => {
      const body = (await (await fetch(`${collector.url}/api/experiments/gate/readiness`)).json()) as {
        verdict: string
      }
      return body.verdict
    }
    expect(await verdict()).toBe('go')
    await new Promise((resolve) => setTimeout(resolve, 500)) // let the evaluator see it go
    expect(await firing('gate')).toEqual([])

    await sendRuns(collector, { experiment: 'gate', count: 25, severity: 'minor' }) // match rate 50%
    const [alert] = await waitFor(
      () => firing('gate'),
      (a) => names(a).includes('ReadinessNoGo'),
      10_000,
      'ReadinessNoGo',
    )
    const noGo = (await firing('gate')).find((a) => a.labels.alertname === 'ReadinessNoGo') ?? alert
    expect(noGo?.labels).toEqual({ alertname: 'ReadinessNoGo', experiment: 'gate', severity: 'critical' })
    expect(noGo?.annotations.summary).toBe('gate: readiness turned no-go: matchRate 0.5 < 0.9')

    await sendRuns(collector, { experiment: 'gate', count: 500, outcome: 'match' }) // 525 / 550 ≥ 0.9
    await waitFor(
      () => firing('gate'),
      (a) => !names(a).includes('ReadinessNoGo'),
      10_000,
      'readiness to resolve',
    )
  })
})
