import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseAlerts } from '../src/config/alerts.js'
import { metricValue, type Recorded, sendRuns, sleep, standIn, waitFor } from './alerts-support.js'
import { startTestCollector } from './ingest-support.js'

// Short intervals so the suite runs in seconds; the semantics are the production ones.
const GROUP_WAIT = 300
const GROUP_INTERVAL = 300
const RESOLVE_AFTER = 1000
const REPEAT = 1500

let pagerduty: Awaited<ReturnType<typeof standIn>>
let slack: Awaited<ReturnType<typeof standIn>>
let collector: Awaited<ReturnType<typeof startTestCollector>>
const flakyAnswers = [500, 500]
let slackRateLimited = false

beforeAll(async () => {
  pagerduty = await standIn((request) => {
    if (request.body?.payload?.component === 'flaky' && flakyAnswers.length > 0) {
      return { status: flakyAnswers.shift() as number, body: '{"status":"error"}' }
    }
    return {
      status: 202,
      body: JSON.stringify({
        status: 'success',
        message: 'Event processed',
        dedup_key: request.body?.dedup_key,
      }),
      headers: { 'content-type': 'application/json' },
    }
  })
  slack = await standIn((request) => {
    if (String(request.body?.text).includes('slack-429') && !slackRateLimited) {
      slackRateLimited = true
      return { status: 429, body: 'rate_limited', headers: { 'retry-after': '2' } }
    }
    return { status: 200, body: 'ok' }
  })
  collector = await startTestCollector((config) => {
    config.alerts = parseAlerts({
      dashboardUrl: 'https://twinspan.example.com/',
      receivers: [
        {
          name: 'oncall',
          pagerduty: {
            routingKey: 'test-routing-key',
            url: `${pagerduty.url}/v2/enqueue`,
            source: 'collector-test',
          },
        },
        { name: 'channel', slack: { webhookUrl: `${slack.url}/services/T0/B0/x`, minInterval: '1s' } },
      ],
      route: {
        receiver: 'log',
        groupBy: ['experiment', 'severity'],
        groupWait: `${GROUP_WAIT}ms`,
        groupInterval: `${GROUP_INTERVAL}ms`,
        repeatInterval: '1h',
        routes: [
          { matchers: ['experiment="repeat-check"'], receiver: 'oncall', repeatInterval: `${REPEAT}ms` },
          { matchers: ['severity="critical"'], receiver: 'oncall' },
          { matchers: ['severity="major"'], receiver: 'channel' },
        ],
      },
      runs: { resolveAfter: `${RESOLVE_AFTER}ms` },
      rules: {
        mismatchRate: { enabled: false },
        shadowErrorRate: { enabled: false },
        p95Regression: { enabled: false },
        readiness: { enabled: false },
      },
      delivery: { initialBackoff: '100ms', maxBackoff: '400ms', timeout: '2s' },
    })
  })
}, 60_000)

afterAll(async () => {
  await collector?.dispose()
  await pagerduty?.close()
  await slack?.close()
})

/** PagerDuty events for an experiment: triggers carry it as `component`, resolves only the dedup_key. */
function pagerdutyEvents(experiment: string, accepted = true): Recorded[] {
  const keys = new Set(
    pagerduty.requests.filter((r) => r.body?.payload?.component === experiment).map((r) => r.body.dedup_key),
  )
  return pagerduty.requests.filter((r) => keys.has(r.body?.dedup_key) && (!accepted || r.status === 202))
}
const triggers = (experiment: string) =>
  pagerdutyEvents(experiment).filter((r) => r.body.event_action === 'trigger')
const resolves = (experiment: string) =>
  pagerdutyEvents(experiment).filter((r) => r.body.event_action === 'resolve')
const slackFor = (experiment: string) =>
  slack.requests.filter((r) => String(r.body?.text).includes(experiment))

const api = async <T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> => {
  const response = await fetch(`${collector.url}${path}`, init)
  return { status: response.status, body: (await response.json()) as T }
}

describe('PagerDuty', () => {
  it('pages once per group after groupWait for a burst of 500 critical mismatches, then resolves on recovery', async () => {
    const t0 = Date.now()
    const paths = (i: number) => (i % 2 === 0 ? ['total'] : [`items[${i % 7}].price`, 'total'])
    await Promise.all([
      sendRuns(collector, { experiment: 'burst-a', count: 250, paths }, 50),
      sendRuns(collector, { experiment: 'burst-b', count: 250, paths }, 50),
    ])
    await waitFor(
      () => triggers('burst-a').length + triggers('burst-b').length,
      (n) => n === 2,
      5000,
      'two triggers',
    )
    // GET /api/alerts (while they fire): the alerts, their group, receiver and last notification.
    const { body: status } = await api<{
      alerts: {
        labels: Record<string, string>
        receivers: { name: string; lastNotification: { action: string } | null }[]
      }[]
    }>('/api/alerts')
    const listed = status.alerts.filter((a) => a.labels.experiment === 'burst-a')
    expect(listed).toHaveLength(2)
    expect(listed[0]?.receivers).toMatchObject([{ name: 'oncall', lastNotification: { action: 'trigger' } }])

    await sleep(3 * GROUP_INTERVAL) // more flushes: nothing more to say
    for (const experiment of ['burst-a', 'burst-b']) {
      const [trigger, ...more] = triggers(experiment)
      expect(more).toEqual([])
      expect(trigger?.at).toBeGreaterThanOrEqual(t0 + GROUP_WAIT)
      expect(trigger?.method).toBe('POST')
      expect(trigger?.path).toBe('/v2/enqueue')
      expect(trigger?.headers['content-type']).toBe('application/json')
      const event = trigger?.body
      expect(Object.keys(event).sort()).toEqual([
        'client',
        'client_url',
        'dedup_key',
        'event_action',
        'links',
        'payload',
        'routing_key',
      ])
      expect(event.routing_key).toBe('test-routing-key')
      expect(event.event_action).toBe('trigger')
      expect(event.dedup_key).toMatch(/^twinspan-[0-9a-f]{16}$/)
      // Half the runs' most severe difference is at total, half at items[n].price: two alerts, one group.
      expect(event.payload.summary).toMatch(
        new RegExp(
          `^2 alerts firing in \\{experiment="${experiment}", severity="critical"\\}: ${experiment}: 125 critical mismatches at (total|items\\[\\*\\]\\.price), …$`,
        ),
      )
      expect(event.payload.summary.length).toBeLessThanOrEqual(1024)
      expect(event.payload.source).toBe('collector-test')
      expect(event.payload.severity).toBe('critical')
      expect(event.payload.component).toBe(experiment)
      expect(event.payload.class).toBe('ParallelRunMismatch')
      expect(Date.parse(event.payload.timestamp)).toBeGreaterThanOrEqual(t0 - 1000)
      const details = event.payload.custom_details
      expect(details.group).toEqual({ experiment, severity: 'critical' })
      expect(details.reason).toBe('new')
      expect(details.firing_alerts).toBe(2)
      expect(details.mismatched_runs).toBe(250)
      expect(details.top_differing_paths[0]).toEqual({ path: 'total', count: 250 })
      expect(details.top_differing_paths.map((p: { path: string }) => p.path)).toContain('items[1].price')
      expect(details.alerts.map((a: { labels: { path: string } }) => a.labels.path).sort()).toEqual([
        'items[*].price',
        'total',
      ])
      // Values never leave: the sample differences carry paths, kinds and severities only.
      expect(JSON.stringify(details)).not.toContain('[redacted]')
      const link = `https://twinspan.example.com/#/experiments/${experiment}`
      expect(details.dashboard).toEqual([link])
      expect(event.client_url).toBe(link)
      expect(event.links).toEqual([{ href: link, text: `twinspan: ${experiment}` }])
      expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThan(512 * 1024)
    }
    expect(triggers('burst-a')[0]?.body.dedup_key).not.toBe(triggers('burst-b')[0]?.body.dedup_key)

    // Recovery: no more critical mismatches for resolveAfter → one resolve per group, same dedup_key.
    await waitFor(
      () => resolves('burst-a').length + resolves('burst-b').length,
      (n) => n === 2,
      RESOLVE_AFTER + 3000,
      'resolves',
    )
    await sleep(2 * GROUP_INTERVAL)
    for (const experiment of ['burst-a', 'burst-b']) {
      const [resolve, ...more] = resolves(experiment)
      expect(more).toEqual([])
      expect(resolve?.body).toEqual({
        routing_key: 'test-routing-key',
        event_action: 'resolve',
        dedup_key: triggers(experiment)[0]?.body.dedup_key,
      })
      expect(resolve?.at).toBeGreaterThanOrEqual(
        (triggers(experiment)[0]?.at ?? 0) + RESOLVE_AFTER - GROUP_INTERVAL,
      )
    }
    expect(triggers('burst-a')).toHaveLength(1)
    const after = await api<{ alerts: { labels: Record<string, string> }[] }>('/api/alerts')
    expect(after.body.alerts.filter((a) => a.labels.experiment?.startsWith('burst-'))).toEqual([])
  })

  it('repeats a page only after repeatInterval while the problem persists', async () => {
    const until = Date.now() + 2 * REPEAT + 600
    while (Date.now() < until) {
      await sendRuns(collector, { experiment: 'repeat-check', count: 1 })
      await sleep(150)
    }
    const sent = triggers('repeat-check')
    expect(sent.length).toBeGreaterThanOrEqual(2)
    expect(sent.length).toBeLessThanOrEqual(3)
    expect(sent.slice(1).map((r) => r.body.payload.custom_details.reason)).toEqual(
      sent.slice(1).map(() => 'repeat'),
    )
    const gaps = sent.slice(1).map((r, i) => r.at - (sent[i] as Recorded).at)
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(REPEAT - 50)
    expect(new Set(sent.map((r) => r.body.dedup_key)).size).toBe(1)
  })

  it('delivers exactly once when PagerDuty answers 500 twice, then 202', async () => {
    await sendRuns(collector, { experiment: 'flaky', count: 20 })
    await waitFor(
      () => triggers('flaky').length,
      (n) => n === 1,
      5000,
      'the trigger to get through',
    )
    await sleep(3 * GROUP_INTERVAL)
    const attempts = pagerdutyEvents('flaky', false).filter((r) => r.body.event_action === 'trigger')
    expect(attempts.map((r) => r.status)).toEqual([500, 500, 202])
    expect(new Set(attempts.map((r) => JSON.stringify(r.body))).size).toBe(1) // the same event, retried
    const gaps = attempts.slice(1).map((r, i) => r.at - (attempts[i] as Recorded).at)
    expect(gaps[0]).toBeGreaterThanOrEqual(50) // 100 ms backoff, half of it jitter
    expect(gaps[1]).toBeGreaterThanOrEqual(100)
    await sendRuns(collector, { experiment: 'flaky', count: 1 }) // still firing while we look
    const metrics = await (await fetch(`${collector.url}/metrics`)).text()
    expect(
      metricValue(metrics, 'twinspan_notification_retries_total{receiver="oncall"}'),
    ).toBeGreaterThanOrEqual(2)
    expect(
      metricValue(metrics, 'twinspan_notifications_total{receiver="oncall",result="sent"}'),
    ).toBeGreaterThanOrEqual(3)
    expect(metricValue(metrics, 'twinspan_notifications_total{receiver="oncall",result="failed"}')).toBe(0)
    expect(metricValue(metrics, 'twinspan_notifications_dropped_total{receiver="oncall"}')).toBe(0)
    expect(metricValue(metrics, 'twinspan_alerts_active')).toBeGreaterThanOrEqual(1)
  })
})

describe('silences', () => {
  interface SilenceBody {
    id: string
    status: { state: string }
    matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean; text: string }[]
  }

  it('suppress matching alerts until expired through the API', async () => {
    const created = await api<SilenceBody>('/api/silences', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: ['experiment="silenced"'],
        createdBy: 'ana',
        comment: 'known rounding bug',
        duration: '1h',
      }),
    })
    expect(created.status).toBe(201)
    expect(created.body).toMatchObject({
      createdBy: 'ana',
      comment: 'known rounding bug',
      status: { state: 'active' },
      matchers: [
        {
          name: 'experiment',
          value: 'silenced',
          isRegex: false,
          isEqual: true,
          text: 'experiment="silenced"',
        },
      ],
    })
    await sendRuns(collector, { experiment: 'silenced', count: 50 })
    // Wait for the alert itself (how soon it fires depends on the machine), then for the notification
    // it would have sent unsilenced.
    const silenced = await waitFor(
      async () =>
        (
          await api<{
            alerts: { labels: Record<string, string>; state: string; status: { silencedBy: string[] } }[]
          }>('/api/alerts')
        ).body.alerts.find((a) => a.labels.experiment === 'silenced'),
      (alert) => alert !== undefined,
      5000,
      'the silenced alert',
    )
    expect(silenced).toMatchObject({ state: 'suppressed', status: { silencedBy: [created.body.id] } })
    await sleep(GROUP_WAIT + 2 * GROUP_INTERVAL)
    expect(pagerduty.requests.filter((r) => r.body?.payload?.component === 'silenced')).toEqual([])

    await sendRuns(collector, { experiment: 'silenced', count: 1 }) // still failing when the silence ends
    const expired = await api<SilenceBody>(`/api/silences/${created.body.id}`, { method: 'DELETE' })
    expect(expired).toMatchObject({ status: 200, body: { status: { state: 'expired' } } })
    await waitFor(
      () => triggers('silenced').length,
      (n) => n === 1,
      3000,
      'the page after the silence',
    )
    const list = await api<{ silences: SilenceBody[] }>('/api/silences')
    expect(list.body.silences.find((s) => s.id === created.body.id)?.status.state).toBe('expired')
  })

  it('refuses bad silences with a reason and unknown ids with 404', async () => {
    const post = (body: unknown) =>
      api<{ error: string }>('/api/silences', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    expect(
      await post({ matchers: ['severity=~".*"'], createdBy: 'a', comment: 'b', duration: '1h' }),
    ).toMatchObject({
      status: 400,
      body: { error: 'matchers match every alert: at least one must require a label value' },
    })
    expect((await post({ matchers: ['experiment="x"'], createdBy: 'a', comment: 'b' })).body.error).toMatch(
      /endsAt .* or duration/,
    )
    expect(
      (await post({ matchers: ['experiment'], createdBy: 'a', comment: 'b', duration: '1h' })).body.error,
    ).toMatch(/^matchers\[0\]: /)
    const broken = await fetch(`${collector.url}/api/silences`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    })
    expect(broken.status).toBe(400)
    expect((await api('/api/silences/nope', { method: 'DELETE' })).status).toBe(404)
  })
})

describe('Slack', () => {
  it('posts text and blocks, one message a second, and a critical alert inhibits the major ones of its experiment', async () => {
    await Promise.all([
      sendRuns(collector, {
        experiment: 'slack-a',
        count: 20,
        severity: 'major',
        paths: () => ['shipping.carrier'],
      }),
      sendRuns(collector, {
        experiment: 'slack-b',
        count: 5,
        severity: 'major',
        operation: 'GET /quote',
      }),
      sendRuns(collector, { experiment: 'inhibited', count: 5, severity: 'critical' }),
      sendRuns(collector, { experiment: 'inhibited', count: 5, severity: 'major' }),
    ])
    await waitFor(
      () => slackFor('slack-a').length + slackFor('slack-b').length,
      (n) => n === 2,
      5000,
      'two Slack messages',
    )
    const message = slackFor('slack-a')[0]?.body
    expect(Object.keys(message).sort()).toEqual(['blocks', 'text'])
    expect(message.text).toBe('[FIRING] slack-a: 20 major mismatches at shipping.carrier')
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'FIRING: slack-a · major', emoji: true },
    })
    expect(message.blocks[1]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: ':large_orange_circle: • slack-a: 20 major mismatches at shipping.carrier',
      },
    })
    expect(message.blocks[2].fields).toEqual([
      { type: 'mrkdwn', text: '*Severity*\nmajor' },
      { type: 'mrkdwn', text: '*Alerts*\n1' },
      { type: 'mrkdwn', text: '*Mismatched runs*\n20' },
      { type: 'mrkdwn', text: '*Top differing paths*\n`shipping.carrier` (20)' },
    ])
    expect(message.blocks[3]).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: '<https://twinspan.example.com/#/experiments/slack-a|slack-a on the twinspan dashboard>',
        },
      ],
    })
    expect(slackFor('slack-b')[0]?.body.text).toBe(
      '[FIRING] slack-b: 5 major mismatches at total (GET /quote)',
    )
    const [first, second] = [...slackFor('slack-a'), ...slackFor('slack-b')].sort((a, b) => a.at - b.at)
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(950)
    // The critical one paged; its experiment's major alert was inhibited, so Slack heard nothing.
    await waitFor(
      () => triggers('inhibited').length,
      (n) => n === 1,
      3000,
      'the critical page',
    )
    expect(slackFor('inhibited')).toEqual([])
  })

  it('honours Retry-After on 429', async () => {
    await sendRuns(collector, { experiment: 'slack-429', count: 3, severity: 'major' })
    await waitFor(
      () => slackFor('slack-429').filter((r) => r.status === 200).length,
      (n) => n === 1,
      6000,
      'delivery after 429',
    )
    const [limited, retried, ...more] = slackFor('slack-429')
    expect(more).toEqual([])
    expect(limited?.status).toBe(429)
    expect(retried?.status).toBe(200)
    const gap = (retried?.at ?? 0) - (limited?.at ?? 0)
    expect(gap).toBeGreaterThanOrEqual(2000)
    expect(gap).toBeLessThan(3000)
    expect(retried?.body).toEqual(limited?.body)
  })
})
