import { describe, expect, it } from 'vitest'
import type { AlertInput } from '../src/alerts/alert.js'
import { Dispatcher } from '../src/alerts/dispatcher.js'
import { inhibitor } from '../src/alerts/inhibition.js'
import { fingerprint } from '../src/alerts/labels.js'
import { decide } from '../src/alerts/notification.js'
import { groupKeyOf, groupLabelsOf, matchRoutes } from '../src/alerts/routes.js'
import { readinessAlert, thresholdAlerts } from '../src/alerts/rule-alerts.js'
import { normalizePath, runAlerts } from '../src/alerts/run-alerts.js'
import { newSilence } from '../src/alerts/silences.js'
import type { ReadinessReport } from '../src/analysis/readiness.js'
import { toRunStats } from '../src/analysis/run-stats.js'
import { type AlertsConfig, parseAlerts } from '../src/config/alerts.js'
import type { IngestedRun } from '../src/ingest/runs.js'

const S = 1000
const M = 60 * S
const H = 60 * M

function config(extra: Record<string, unknown> = {}): AlertsConfig {
  return parseAlerts({
    receivers: [
      { name: 'oncall', pagerduty: { routingKey: 'rk' } },
      { name: 'channel', slack: { webhookUrl: 'https://hooks.test/x' } },
      { name: 'ha', alertmanager: { url: 'http://am.test' } },
    ],
    route: {
      receiver: 'log',
      routes: [
        { matchers: ['severity="critical"'], receiver: 'oncall' },
        { matchers: ['severity="major"'], receiver: 'channel' },
      ],
    },
    runs: { resolveAfter: '10m' },
    ...extra,
  })
}

let runCounter = 0
function run(overrides: Partial<IngestedRun> = {}): IngestedRun {
  runCounter++
  return {
    experiment: 'checkout',
    candidate: 'shadow',
    operation: '',
    runId: `run-${runCounter}`,
    traceId: `trace-${runCounter}`,
    shadowSpanId: `span-${runCounter}`,
    outcome: 'mismatch',
    severity: 'critical',
    diffPaths: ['total'],
    diff: JSON.stringify([{ path: 'total', kind: 'changed', severity: 'critical', primary: 1, shadow: 2 }]),
    primaryDurationMs: 5,
    shadowDurationMs: 6,
    timeMs: 0,
    ...overrides,
  }
}

const ids = () => {
  let n = 0
  return () => `n${++n}`
}

describe('run alerts', () => {
  it('aggregate a batch into one alert per label set, with counts and value-free samples', () => {
    const inputs = runAlerts(
      [
        run(),
        run({
          diffPaths: ['items[3].price'],
          diff: JSON.stringify([
            { path: 'items[3].price', kind: 'changed', severity: 'critical', primary: 9, shadow: 8 },
          ]),
        }),
        run({ diffPaths: ['items[7].price'], diff: '' }),
        run({ severity: 'cosmetic' }),
        run({ outcome: 'match', severity: 'none' }),
        run({ outcome: 'timeout', severity: 'none' }),
      ],
      config().runs,
      1000,
    )
    expect(inputs.map((input) => input.labels)).toEqual([
      {
        alertname: 'ParallelRunMismatch',
        candidate: 'shadow',
        experiment: 'checkout',
        path: 'total',
        severity: 'critical',
      },
      {
        alertname: 'ParallelRunMismatch',
        candidate: 'shadow',
        experiment: 'checkout',
        path: 'items[*].price',
        severity: 'critical',
      },
    ])
    const second = inputs[1]
    expect(second?.endsAt).toBe(1000 + 10 * M)
    expect(second?.details).toMatchObject({
      kind: 'run',
      runs: 2,
      paths: [
        { path: 'items[3].price', count: 1 },
        { path: 'items[7].price', count: 1 },
      ],
    })
    expect(JSON.stringify(second?.details)).not.toMatch(/"primary"|"shadow":\d/)
    expect(normalizePath('a[0].b[12].c')).toBe('a[*].b[*].c')
  })
})

describe('routing', () => {
  it('takes the first matching child unless it continues; the root takes what no child does', () => {
    const c = parseAlerts({
      receivers: [
        { name: 'a', log: {} },
        { name: 'b', log: {} },
        { name: 'c', log: {} },
      ],
      route: {
        receiver: 'a',
        routes: [
          { matchers: ['experiment="x"'], receiver: 'b', continue: true },
          { matchers: ['severity="critical"'], receiver: 'c' },
          { matchers: ['severity=~".+"'], receiver: 'b' },
        ],
      },
    })
    const receivers = (labels: Record<string, string>) => matchRoutes(c.route, labels).map((r) => r.receiver)
    expect(receivers({ experiment: 'x', severity: 'critical' })).toEqual(['b', 'c'])
    expect(receivers({ experiment: 'y', severity: 'critical' })).toEqual(['c'])
    expect(receivers({ experiment: 'y', severity: 'minor' })).toEqual(['b'])
    expect(receivers({ experiment: 'y' })).toEqual(['a'])
    const route = c.route.routes[1]
    if (!route) throw new Error('no route')
    const labels = groupLabelsOf(route, { experiment: 'y', severity: 'critical', path: 'total' })
    expect(labels).toEqual({ experiment: 'y', severity: 'critical' })
    expect(groupKeyOf(route, labels)).toBe('{}/{severity="critical"}:{experiment="y", severity="critical"}')
  })
})

describe('dedup decisions (Alertmanager dedup stage)', () => {
  const base = { mutedFiring: 0, now: 10 * H, repeatIntervalMs: 4 * H, sendResolved: true, forward: false }
  const entry = (firing: string[], sentAt = 9 * H) => ({
    receiver: 'r',
    groupKey: 'g',
    firing,
    resolved: [],
    sentAt,
    status: 'firing' as const,
    reason: 'new' as const,
  })
  it('notifies new alerts, repeats after repeatInterval, resolves what the receiver knew', () => {
    expect(decide({ ...base, firing: ['a'], resolved: [], entry: undefined })).toBe('new')
    expect(decide({ ...base, firing: ['a'], resolved: [], entry: entry(['a']) })).toBeUndefined()
    expect(decide({ ...base, firing: ['a', 'b'], resolved: [], entry: entry(['a']) })).toBe('update')
    expect(decide({ ...base, firing: ['a'], resolved: [], entry: entry(['a'], 6 * H) })).toBe('repeat')
    expect(decide({ ...base, firing: [], resolved: ['a'], entry: entry(['a']) })).toBe('resolved')
    expect(decide({ ...base, firing: [], resolved: ['a'], entry: undefined })).toBeUndefined()
    expect(decide({ ...base, firing: ['b'], resolved: ['a'], entry: entry(['a', 'b']) })).toBe('update')
    expect(
      decide({ ...base, firing: ['b'], resolved: ['a'], entry: entry(['a', 'b']), sendResolved: false }),
    ).toBeUndefined()
  })
  it('never resolves a group whose alerts are only muted', () => {
    expect(decide({ ...base, firing: [], resolved: [], mutedFiring: 1, entry: entry(['a']) })).toBeUndefined()
  })
  it('forwards every flush to Alertmanager, which deduplicates itself', () => {
    const forward = { ...base, forward: true }
    expect(decide({ ...forward, firing: ['a'], resolved: [], entry: entry(['a']) })).toBe('refresh')
    expect(decide({ ...forward, firing: [], resolved: ['a'], entry: entry(['a']) })).toBe('resolved')
  })
})

describe('dispatcher', () => {
  const burst = (
    n: number,
    at: number,
    severity: IngestedRun['severity'] = 'critical',
    experiment = 'checkout',
  ) =>
    runAlerts(
      Array.from({ length: n }, () => run({ severity, experiment })),
      config().runs,
      at,
    )

  it('sends one notification per group after groupWait for a burst, then nothing until repeatInterval', () => {
    const d = new Dispatcher(config(), ids())
    for (let i = 0; i < 500; i++) d.receive(burst(1, i * 10), i * 10)
    expect(d.alerts.size).toBe(1)
    expect(d.flush(29 * S)).toEqual([])
    const [page, ...rest] = d.flush(30 * S)
    expect(rest).toEqual([])
    expect(page).toMatchObject({ receiver: 'oncall', status: 'firing', reason: 'new' })
    expect(page?.firing[0]?.details).toMatchObject({ runs: 500 })
    d.delivered(page as never, 30 * S)
    // More of the same mismatch every 5 minutes keeps it firing; the next page is the 4h repeat.
    const repeats: number[] = []
    for (let t = 30 * S + 5 * M; t < 8 * H + 10 * M; t += 5 * M) {
      d.receive(burst(3, t), t)
      for (const n of d.flush(t)) {
        expect(n.reason).toBe('repeat')
        repeats.push(t)
        d.delivered(n, t)
      }
    }
    expect(repeats).toEqual([30 * S + 4 * H, 30 * S + 8 * H])
  })

  it('resolves a run alert resolveAfter its last mismatch, once, and forgets it', () => {
    const d = new Dispatcher(config(), ids())
    d.receive(burst(5, 0), 0)
    const [page] = d.flush(30 * S)
    d.delivered(page as never, 30 * S)
    expect(d.flush(5 * M + 30 * S)).toEqual([]) // still firing (resolves at 10m)
    const [resolve] = d.flush(10 * M + 30 * S)
    expect(resolve).toMatchObject({ status: 'resolved', reason: 'resolved', dedupKey: page?.dedupKey })
    d.delivered(resolve as never, 10 * M + 30 * S)
    expect(d.alerts.size).toBe(0)
    expect(d.groups.size).toBe(0)
    expect(d.flush(11 * H)).toEqual([])
  })

  it('keeps one notification per group in flight and decides again after a failure', () => {
    const d = new Dispatcher(config(), ids())
    d.receive(burst(1, 0), 0)
    const [first] = d.flush(30 * S)
    expect(d.outbox.size).toBe(1)
    d.receive(burst(1, 31 * S, 'critical', 'checkout'), 31 * S)
    expect(d.flush(5 * M + 30 * S)).toEqual([]) // first still in flight
    d.abandoned(first?.id as string)
    const [again] = d.flush(10 * M + 30 * S)
    expect(again).toMatchObject({ reason: 'new', dedupKey: first?.dedupKey })
  })

  it('lets a silence suppress, and notifies when it ends', () => {
    const d = new Dispatcher(config(), ids())
    const silence = newSilence(
      { matchers: ['experiment="checkout"'], createdBy: 'ana', comment: 'known bug', duration: '1h' },
      0,
      's1',
    )
    d.silences.set(silence.id, silence)
    d.receive(burst(50, 0), 0)
    expect(d.flush(30 * S)).toEqual([])
    d.receive(burst(1, 59 * M), 59 * M)
    expect(d.flush(60 * M + 1)).toMatchObject([{ reason: 'new', status: 'firing' }])
  })

  it('inhibits major alerts of an experiment while a critical one fires, not those of another experiment', () => {
    const d = new Dispatcher(config(), ids())
    d.receive(
      [
        ...burst(1, 0, 'critical', 'checkout'),
        ...burst(1, 0, 'major', 'checkout'),
        ...burst(1, 0, 'major', 'search'),
      ],
      0,
    )
    const sent = d.flush(30 * S)
    expect(sent.map((n) => [n.receiver, n.groupLabels.experiment])).toEqual([
      ['oncall', 'checkout'],
      ['channel', 'search'],
    ])
    const firing = [...d.alerts.values()]
    const inhibited = inhibitor(firing, d.config.inhibitRules)
    const major = firing.find((a) => a.labels.severity === 'major' && a.labels.experiment === 'checkout')
    expect(inhibited(major as never)).toHaveLength(1)
  })

  it('resolves rule alerts the evaluator no longer reports', () => {
    const d = new Dispatcher(config(), ids())
    const rule: AlertInput = {
      labels: { alertname: 'MismatchRateHigh', experiment: 'checkout', severity: 'major' },
      source: 'rule',
      at: 0,
      endsAt: null,
      details: { kind: 'rule', rule: 'mismatchRate', value: 0.2, threshold: 0.05, window: '15m', runs: 500 },
    }
    d.setRuleAlerts([rule], 0)
    const [n] = d.flush(30 * S)
    d.delivered(n as never, 30 * S)
    d.setRuleAlerts([{ ...rule, at: M }], M)
    d.setRuleAlerts([], 2 * M)
    const [resolved] = d.flush(5 * M + 30 * S)
    expect(resolved).toMatchObject({ receiver: 'channel', status: 'resolved' })
  })

  it('restores from a snapshot without re-sending, and still resolves', () => {
    const d = new Dispatcher(config(), ids())
    d.receive(burst(3, 0), 0)
    const [page] = d.flush(30 * S)
    d.delivered(page as never, 30 * S)
    const snapshot = JSON.parse(JSON.stringify(d.snapshot()))

    const restarted = new Dispatcher(config(), ids())
    restarted.restore(snapshot, M)
    expect(restarted.flush(M + 30 * S)).toEqual([]) // known to the receiver: no second page
    const [resolve] = restarted.flush(10 * M + 30 * S + 5 * M)
    expect(resolve).toMatchObject({ status: 'resolved', dedupKey: page?.dedupKey })
  })

  it('keeps an undelivered notification in the outbox across a restart', () => {
    const d = new Dispatcher(config(), ids())
    d.receive(burst(3, 0), 0)
    const [page] = d.flush(30 * S)
    const restarted = new Dispatcher(config(), ids())
    restarted.restore(JSON.parse(JSON.stringify(d.snapshot())), M)
    expect([...restarted.outbox.values()].map((n) => n.id)).toEqual([page?.id])
    expect(restarted.flush(M + 30 * S)).toEqual([]) // in flight: not decided twice
    restarted.delivered(restarted.outbox.get(page?.id as string) as never, M + 31 * S)
    expect(restarted.flush(M + 40 * S + 5 * M)).toEqual([])
  })

  it('forwards to Alertmanager at once and refreshes every group interval', () => {
    const c = config({
      route: { receiver: 'log', routes: [{ receiver: 'ha', groupWait: '0s', groupInterval: '1m' }] },
    })
    const d = new Dispatcher(c, ids())
    d.receive(burst(1, 0), 0)
    const [first] = d.flush(0)
    expect(first).toMatchObject({ receiver: 'ha', reason: 'new', groupIntervalMs: M })
    d.delivered(first as never, 0)
    expect(d.flush(M)).toMatchObject([{ reason: 'refresh' }])
  })

  it('drops and counts alerts past maxActiveAlerts', () => {
    const d = new Dispatcher(config({ maxActiveAlerts: 2 }), ids())
    const inputs = ['a', 'b', 'c'].flatMap((experiment) => burst(1, 0, 'critical', experiment))
    expect(d.receive(inputs, 0)).toBe(1)
    expect(d.droppedAlerts).toBe(1)
    expect(d.alerts.has(fingerprint(inputs[2]?.labels ?? {}))).toBe(false)
  })
})

describe('rule alerts (pure)', () => {
  const stats = (name: string, row: Record<string, number>) => ({
    name,
    ...toRunStats({
      runs: 0,
      matches: 0,
      mismatches: 0,
      shadow_errors: 0,
      timeouts: 0,
      primary_errors: 0,
      critical: 0,
      major: 0,
      minor: 0,
      cosmetic: 0,
      primary_q: [10, 10, 10],
      shadow_q: [10, 30, 30],
      ...row,
    }),
  })
  const rules = config().rules

  it('fire above the threshold only with enough samples', () => {
    const experiments = [
      stats('busy', { runs: 200, matches: 180, mismatches: 20 }), // 10% of 200 compared
      stats('quiet', { runs: 10, matches: 5, mismatches: 5 }), // 50%, but only 10 runs
    ]
    expect(thresholdAlerts('mismatchRate', rules.mismatchRate, experiments, 0).map((a) => a.labels)).toEqual([
      { alertname: 'MismatchRateHigh', experiment: 'busy', severity: 'major' },
    ])
    expect(
      thresholdAlerts('mismatchRate', { ...rules.mismatchRate, threshold: 0.1 }, experiments, 0),
    ).toEqual([])
    expect(
      thresholdAlerts('mismatchRate', { ...rules.mismatchRate, enabled: false }, experiments, 0),
    ).toEqual([])
    const slow = thresholdAlerts(
      'p95Regression',
      rules.p95Regression,
      [stats('s', { runs: 200, matches: 200 })],
      0,
    )
    expect(slow[0]?.details).toMatchObject({ rule: 'p95Regression', value: 200, threshold: 50 })
    const errors = thresholdAlerts(
      'shadowErrorRate',
      rules.shadowErrorRate,
      [stats('e', { runs: 200, shadow_errors: 9, timeouts: 2 })],
      0,
    )
    expect(errors[0]?.details).toMatchObject({ value: 11 / 200 })
  })

  it('raise readiness only on go → no-go, and keep it until go', () => {
    const report = (verdict: 'go' | 'no-go') =>
      ({
        experiment: 'x',
        verdict,
        window: '7d',
        checks: [],
        reasons: ['matchRate 0.9 < 0.995'],
        stats: { runs: 5000 },
      }) as unknown as ReadinessReport
    expect(readinessAlert(rules, report('no-go'), undefined, false, 0)).toBeUndefined() // never was go
    expect(readinessAlert(rules, report('no-go'), 'go', false, 0)?.labels).toEqual({
      alertname: 'ReadinessNoGo',
      experiment: 'x',
      severity: 'major',
    })
    expect(readinessAlert(rules, report('no-go'), 'no-go', true, 0)).toBeDefined() // still firing
    expect(readinessAlert(rules, report('go'), 'no-go', true, 0)).toBeUndefined()
  })
})
