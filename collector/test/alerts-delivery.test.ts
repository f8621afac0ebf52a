import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Alert } from '../src/alerts/alert.js'
import { backoffMs, retryDelayMs } from '../src/alerts/delivery/backoff.js'
import { DeliveryQueue } from '../src/alerts/delivery/queue.js'
import { Dispatcher } from '../src/alerts/dispatcher.js'
import type { Notification } from '../src/alerts/notification.js'
import { alertmanagerAlerts } from '../src/alerts/receivers/alertmanager.js'
import { logLine } from '../src/alerts/receivers/log.js'
import { MAX_EVENT_BYTES, pagerDutyEvent } from '../src/alerts/receivers/pagerduty.js'
import { classifyResponse, parseRetryAfter, type SendResult } from '../src/alerts/receivers/send.js'
import { escapeMrkdwn, slackMessage } from '../src/alerts/receivers/slack.js'
import { newSilence } from '../src/alerts/silences.js'
import { StateFile } from '../src/alerts/state-file.js'
import { parseAlerts } from '../src/config/alerts.js'

function alert(overrides: Partial<Alert> = {}): Alert {
  return {
    fingerprint: 'fp1',
    labels: {
      alertname: 'ParallelRunMismatch',
      experiment: 'shipping-cost',
      severity: 'critical',
      path: 'total',
      candidate: 'shadow',
    },
    source: 'run',
    startsAt: Date.parse('2026-11-21T10:00:00Z'),
    updatedAt: Date.parse('2026-11-21T10:00:05Z'),
    endsAt: Date.parse('2026-11-21T10:10:05Z'),
    details: {
      kind: 'run',
      runs: 500,
      firstRunAt: Date.parse('2026-11-21T10:00:00Z'),
      lastRunAt: Date.parse('2026-11-21T10:00:05Z'),
      paths: [
        { path: 'total', count: 500 },
        { path: 'items[0].price', count: 12 },
      ],
      samples: [
        {
          runId: 'r1',
          traceId: 't1',
          at: 0,
          differences: [{ path: 'total', kind: 'changed', severity: 'critical' }],
        },
      ],
    },
    ...overrides,
  }
}

function notification(overrides: Partial<Notification> = {}): Notification {
  const firing = [alert()]
  return {
    id: 'n1',
    receiver: 'oncall',
    groupKey: '{}/{severity="critical"}:{experiment="shipping-cost", severity="critical"}',
    dedupKey: 'twinspan-0123456789abcdef',
    groupLabels: { experiment: 'shipping-cost', severity: 'critical' },
    status: 'firing',
    reason: 'new',
    firing,
    resolved: [],
    firingFingerprints: ['fp1'],
    resolvedFingerprints: [],
    readiness: {
      'shipping-cost': {
        verdict: 'no-go',
        checks: [{ name: 'matchRate', ok: false, actual: 0.9, threshold: 0.995, comparator: '>=' }],
        reasons: ['matchRate 0.9 < 0.995'],
        at: 0,
      },
    },
    createdAt: Date.parse('2026-11-21T10:00:30Z'),
    groupIntervalMs: 300_000,
    ...overrides,
  }
}

const dashboard = 'https://twinspan.example.com'

describe('PagerDuty Events API v2 payload', () => {
  it('triggers with a stable dedup_key, a bounded summary and the details on-call needs', () => {
    const event = pagerDutyEvent(notification(), {
      routingKey: 'R0UT1NG',
      source: 'collector-1',
      dashboardUrl: dashboard,
    })
    expect(event.routing_key).toBe('R0UT1NG')
    expect(event.event_action).toBe('trigger')
    expect(event.dedup_key).toBe('twinspan-0123456789abcdef')
    expect(event.payload).toMatchObject({
      summary: 'shipping-cost: 500 critical mismatches at total',
      source: 'collector-1',
      severity: 'critical',
      timestamp: '2026-11-21T10:00:00.000Z',
      component: 'shipping-cost',
      class: 'ParallelRunMismatch',
    })
    const details = event.payload?.custom_details ?? {}
    expect(details.mismatched_runs).toBe(500)
    expect(details.top_differing_paths).toEqual([
      { path: 'total', count: 500 },
      { path: 'items[0].price', count: 12 },
    ])
    expect(details.readiness).toMatchObject({ 'shipping-cost': { verdict: 'no-go' } })
    expect(details.dashboard).toEqual(['https://twinspan.example.com/#/experiments/shipping-cost'])
    expect(event.links).toEqual([
      { href: 'https://twinspan.example.com/#/experiments/shipping-cost', text: 'twinspan: shipping-cost' },
    ])
  })

  it('resolves with just the routing key and dedup_key', () => {
    const event = pagerDutyEvent(notification({ status: 'resolved', firing: [], resolved: [alert()] }), {
      routingKey: 'R',
      source: 's',
      dashboardUrl: dashboard,
    })
    expect(event).toEqual({
      routing_key: 'R',
      event_action: 'resolve',
      dedup_key: 'twinspan-0123456789abcdef',
    })
  })

  it('keeps summary ≤ 1024 characters and the event under 512 KB, whatever the group holds', () => {
    const huge = Array.from({ length: 50 }, (_, i) =>
      alert({
        fingerprint: `fp${i}`,
        labels: { experiment: 'x'.repeat(3000), severity: 'major', path: `p${i}` },
        details: {
          kind: 'run',
          runs: 1,
          firstRunAt: 0,
          lastRunAt: 0,
          paths: Array.from({ length: 10 }, (_, j) => ({ path: `${'y'.repeat(2000)}${j}`, count: 1 })),
          samples: [],
        },
      }),
    )
    const event = pagerDutyEvent(
      notification({ firing: huge, firingFingerprints: huge.map((a) => a.fingerprint) }),
      { routingKey: 'R', source: 's', dashboardUrl: dashboard },
    )
    expect(event.payload?.summary.length).toBeLessThanOrEqual(1024)
    expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThan(MAX_EVENT_BYTES)
    expect(event.payload?.severity).toBe('error') // major
  })
})

describe('Slack message', () => {
  it('has a fallback text and Block Kit blocks within their limits', () => {
    const message = slackMessage(
      notification({ groupLabels: { experiment: 'shipping-cost', severity: 'major' } }),
      dashboard,
    )
    expect(message.text).toBe('[FIRING] shipping-cost: 500 critical mismatches at total')
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'FIRING: shipping-cost · critical', emoji: true },
    })
    expect(message.blocks[1]).toMatchObject({ type: 'section', text: { type: 'mrkdwn' } })
    const fields = (message.blocks[2] as { fields: { text: string }[] }).fields.map((f) => f.text)
    expect(fields).toContain('*Mismatched runs*\n500')
    expect(fields).toContain('*Readiness · shipping-cost*\nno-go: matchRate 0.9 &lt; 0.995')
    expect(message.blocks[3]).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: '<https://twinspan.example.com/#/experiments/shipping-cost|shipping-cost on the twinspan dashboard>',
        },
      ],
    })
    expect(escapeMrkdwn('a<b>&c')).toBe('a&lt;b&gt;&amp;c')
  })
})

describe('Alertmanager alerts and log lines', () => {
  it('sends firing alerts with endsAt a few intervals ahead and resolved ones with their end', () => {
    const resolved = alert({ fingerprint: 'fp2', labels: { ...alert().labels, path: 'tax' } })
    const [firing, done] = alertmanagerAlerts(notification({ resolved: [resolved] }), dashboard)
    expect(firing).toMatchObject({
      labels: alert().labels,
      startsAt: '2026-11-21T10:00:00.000Z',
      endsAt: '2026-11-21T10:20:30.000Z', // created + 4 × 5m
      generatorURL: 'https://twinspan.example.com/#/experiments/shipping-cost',
    })
    expect(firing?.annotations).toMatchObject({
      summary: 'shipping-cost: 500 critical mismatches at total',
      runs: '500',
    })
    expect(done?.endsAt).toBe('2026-11-21T10:10:05.000Z')
  })

  it('logs one JSON line per notification', () => {
    const line = JSON.parse(logLine(notification(), 0))
    expect(line).toMatchObject({
      msg: 'twinspan alert notification',
      receiver: 'oncall',
      status: 'firing',
      firing: 1,
    })
  })
})

describe('retry classification and backoff', () => {
  const ok = (status: number) => status === 202
  it('retries 429 and 5xx (with Retry-After), never other 4xx', () => {
    expect(classifyResponse(202, '', null, ok, 0)).toEqual({ ok: true })
    expect(classifyResponse(500, 'boom', null, ok, 0)).toMatchObject({ ok: false, retryable: true })
    expect(classifyResponse(429, '', '2', ok, 0)).toMatchObject({
      ok: false,
      retryable: true,
      retryAfterMs: 2000,
    })
    expect(classifyResponse(400, 'invalid routing key', null, ok, 0)).toMatchObject({
      ok: false,
      retryable: false,
    })
    expect(classifyResponse(404, '', null, ok, 0)).toMatchObject({ retryable: false })
    expect(parseRetryAfter('Wed, 21 Oct 2026 07:28:05 GMT', Date.parse('2026-10-21T07:28:00Z'))).toBe(5000)
    expect(parseRetryAfter('soon', 0)).toBeUndefined()
  })

  it('doubles the delay with jitter up to the cap, and prefers Retry-After', () => {
    expect([1, 2, 3, 4, 10].map((attempt) => backoffMs(attempt, 1000, 8000, () => 1))).toEqual([
      1000, 2000, 4000, 8000, 8000,
    ])
    expect(backoffMs(3, 1000, 8000, () => 0)).toBe(2000)
    expect(retryDelayMs(1, 2000, 100, 1000)).toBe(2000)
  })
})

describe('delivery queue', () => {
  const options = { capacity: 2, maxAttempts: 3, initialBackoffMs: 5, maxBackoffMs: 20, minIntervalMs: 0 }
  const script = (results: SendResult[]) => {
    const calls: number[] = []
    return {
      calls,
      send: async () => {
        calls.push(Date.now())
        return results.shift() ?? { ok: true as const }
      },
    }
  }
  const settle = (queue: DeliveryQueue) =>
    new Promise<void>((resolve) => {
      const check = () => (queue.size === 0 ? resolve() : setTimeout(check, 5))
      check()
    })

  it('retries retryable failures and delivers once', async () => {
    const { calls, send } = script([
      { ok: false, retryable: true, error: '500' },
      { ok: false, retryable: true, error: '500' },
    ])
    const delivered: number[] = []
    const queue = new DeliveryQueue('r', send, options, {
      delivered: (_n, attempts) => delivered.push(attempts),
      failed: () => {},
    })
    queue.push(notification())
    await settle(queue)
    expect(calls).toHaveLength(3)
    expect(delivered).toEqual([3])
    expect(queue.stats).toEqual({ sent: 1, failed: 0, dropped: 0, retries: 2 })
  })

  it('gives up at once on a non-retryable answer, and after maxAttempts otherwise', async () => {
    const { send } = script([
      { ok: false, retryable: false, error: '400' },
      ...Array.from({ length: 3 }, () => ({ ok: false as const, retryable: true, error: '503' })),
    ])
    const failed: [string, number][] = []
    const queue = new DeliveryQueue('r', send, options, {
      delivered: () => {},
      failed: (_n, e, a) => failed.push([e, a]),
    })
    queue.push(notification({ id: 'a' }))
    queue.push(notification({ id: 'b' }))
    await settle(queue)
    expect(failed).toEqual([
      ['400', 1],
      ['503', 3],
    ])
    expect(queue.stats).toMatchObject({ failed: 2, dropped: 0 })
  })

  it('counts what a full queue drops', async () => {
    const queue = new DeliveryQueue(
      'r',
      () => new Promise(() => {}),
      { ...options, capacity: 1 },
      { delivered: () => {}, failed: () => {} },
    )
    queue.push(notification({ id: 'a' })) // being sent
    queue.push(notification({ id: 'b' })) // waiting
    expect(queue.push(notification({ id: 'c' }))).toBe(false)
    expect(queue.stats.dropped).toBe(1)
    await Promise.race([queue.close(), new Promise((r) => setTimeout(r, 50))])
  })

  it('keeps the minimum interval between sends and honours Retry-After', async () => {
    const { calls, send } = script([{ ok: false, retryable: true, error: '429', retryAfterMs: 120 }])
    const queue = new DeliveryQueue(
      'r',
      send,
      { ...options, capacity: 10, minIntervalMs: 40 },
      { delivered: () => {}, failed: () => {} },
    )
    for (const id of ['a', 'b', 'c']) queue.push(notification({ id }))
    await settle(queue)
    const gaps = calls.slice(1).map((t, i) => t - (calls[i] as number))
    expect(gaps[0]).toBeGreaterThanOrEqual(118)
    for (const gap of gaps.slice(1)) expect(gap).toBeGreaterThanOrEqual(38)
  })
})

describe('state file', () => {
  const config = parseAlerts({})
  it('writes atomically, coalesces saves, and reads back what it wrote', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alert-state-'))
    const dispatcher = new Dispatcher(config)
    let snapshots = 0
    const file = new StateFile(join(dir, 'alerts', 'state.json'), () => {
      snapshots++
      return dispatcher.snapshot()
    })
    const silence = newSilence(
      { matchers: ['experiment="a"'], createdBy: 'me', comment: 'x', duration: '1h' },
      0,
      's1',
    )
    dispatcher.silences.set('s1', silence)
    await Promise.all(Array.from({ length: 20 }, () => file.save()))
    expect(snapshots).toBeLessThanOrEqual(2)
    const loaded = await file.load(() => {})
    expect(loaded?.silences).toEqual([silence])
    expect(JSON.parse(readFileSync(join(dir, 'alerts', 'state.json'), 'utf8')).version).toBe(1)
  })

  it('sets a damaged file aside and starts empty', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alert-state-'))
    const path = join(dir, 'state.json')
    writeFileSync(path, '{"version": 1, "alerts": [')
    const reports: string[] = []
    const loaded = await new StateFile(path, () => new Dispatcher(config).snapshot()).load((m) =>
      reports.push(m),
    )
    expect(loaded).toBeUndefined()
    expect(reports[0]).toMatch(/unreadable .* moved to .*state\.json\.damaged-/)
  })
})
