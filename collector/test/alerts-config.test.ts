import { describe, expect, it } from 'vitest'
import { formatDuration, parseDuration } from '../src/alerts/duration.js'
import { formatMatcher, matchesAll, parseMatcher, parseMatchers } from '../src/alerts/matchers.js'
import { defaultAlertsConfig, parseAlerts } from '../src/config/alerts.js'
import { parseConfig } from '../src/config/config.js'

describe('durations', () => {
  it('reads Alertmanager-style durations, sums included', () => {
    expect(parseDuration('200ms')).toBe(200)
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('5m')).toBe(300_000)
    expect(parseDuration('4h')).toBe(14_400_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('1d')).toBe(86_400_000)
    for (const bad of ['', '5', '5 m', '-1s', '1.5h', 'm5', 30]) expect(parseDuration(bad)).toBeUndefined()
    expect(formatDuration(300_000)).toBe('5m')
    expect(formatDuration(1500)).toBe('1500ms')
  })
})

describe('matchers', () => {
  it('parses the four operators, quoted and bare values', () => {
    expect(parseMatcher('severity="critical"')).toEqual({
      name: 'severity',
      value: 'critical',
      isRegex: false,
      isEqual: true,
    })
    expect(parseMatcher('severity != minor')).toMatchObject({
      value: 'minor',
      isEqual: false,
      isRegex: false,
    })
    expect(parseMatcher('severity=~"major|minor"')).toMatchObject({ isRegex: true, isEqual: true })
    expect(parseMatcher('path!~"items\\\\[.*"')).toMatchObject({
      value: 'items\\[.*',
      isRegex: true,
      isEqual: false,
    })
    expect(parseMatcher('comment="a \\"quoted\\" word"').value).toBe('a "quoted" word')
  })

  it('evaluates like Alertmanager: anchored regexes, absent labels are empty', () => {
    const labels = { severity: 'major', experiment: 'checkout' }
    expect(matchesAll(parseMatchers('severity=~"major|minor"'), labels)).toBe(true)
    expect(matchesAll(parseMatchers('severity=~"maj"'), labels)).toBe(false) // anchored
    expect(matchesAll(parseMatchers('team=""'), labels)).toBe(true)
    expect(matchesAll(parseMatchers('team!=""'), labels)).toBe(false)
    expect(matchesAll(parseMatchers('{experiment="checkout", severity!="critical"}'), labels)).toBe(true)
    expect(matchesAll([], labels)).toBe(true)
  })

  it('splits on commas outside quotes only and writes matchers back', () => {
    const matchers = parseMatchers('a="x,y", b=~"1|2"')
    expect(matchers.map(formatMatcher)).toEqual(['a="x,y"', 'b=~"1|2"'])
  })

  it('says what is wrong with a bad matcher', () => {
    expect(() => parseMatcher('severity')).toThrow(/not a matcher/)
    expect(() => parseMatcher('severity="critical')).toThrow(/unterminated/)
    expect(() => parseMatcher('path=~"items[("')).toThrow(/path=~/)
  })
})

describe('alerts config', () => {
  it('with no alerts section, logs everything through the implicit log receiver', () => {
    const config = defaultAlertsConfig()
    expect(config.enabled).toBe(true)
    expect(config.receivers).toEqual([{ name: 'log', kind: 'log', sendResolved: true }])
    expect(config.route).toMatchObject({
      key: '{}',
      receiver: 'log',
      groupBy: ['experiment', 'severity'],
      groupWaitMs: 30_000,
      groupIntervalMs: 300_000,
      repeatIntervalMs: 14_400_000,
      routes: [],
    })
    expect(config.inhibitRules).toHaveLength(1)
    expect(config.runs).toEqual({ severities: ['critical', 'major', 'minor'], resolveAfterMs: 600_000 })
    expect(config.rules.evaluateEveryMs).toBe(60_000)
    expect(parseConfig({}).alerts).toEqual(config)
  })

  it('derives the default tiers from the receivers: critical pages, major to Slack, the rest logged', () => {
    const config = parseAlerts({
      receivers: [
        { name: 'oncall', pagerduty: { routingKey: 'key' } },
        { name: 'migrations', slack: { webhookUrl: 'https://hooks.slack.com/services/x' } },
        { name: 'ha', alertmanager: { url: 'http://alertmanager:9093/' } },
      ],
    })
    expect(config.receivers.map((r) => r.name)).toEqual(['oncall', 'migrations', 'ha', 'log'])
    expect(config.receivers[0]).toMatchObject({ url: 'https://events.pagerduty.com/v2/enqueue' })
    expect(config.receivers[2]).toMatchObject({ url: 'http://alertmanager:9093' })
    expect(config.route.receiver).toBe('log')
    expect(
      config.route.routes.map((r) => [r.receiver, r.matchers.map(formatMatcher), r.continue, r.groupWaitMs]),
    ).toEqual([
      ['ha', [], true, 0],
      ['oncall', ['severity="critical"'], false, 30_000],
      ['migrations', ['severity="major"'], false, 30_000],
    ])
    // Without PagerDuty, critical goes to Slack rather than only to a log line.
    const slackOnly = parseAlerts({ receivers: [{ name: 's', slack: { webhookUrl: 'https://x.test/h' } }] })
    expect(slackOnly.route.routes.map((r) => r.matchers.map(formatMatcher))).toEqual([
      ['severity=~"critical|major"'],
    ])
  })

  it('inherits route settings and gives every route a stable key', () => {
    const config = parseAlerts({
      receivers: [{ name: 'a', log: {} }],
      route: {
        receiver: 'a',
        groupBy: ['experiment'],
        groupWait: '200ms',
        repeatInterval: '1h',
        routes: [
          {
            matchers: ['severity="critical"'],
            groupInterval: '1m',
            routes: [{ matchers: ['experiment=~"pay.*"'] }],
          },
          { matchers: ['severity="critical"'], groupBy: ['...'] },
        ],
      },
    })
    const [first, second] = config.route.routes
    expect(first).toMatchObject({
      receiver: 'a',
      groupBy: ['experiment'],
      groupWaitMs: 200,
      groupIntervalMs: 60_000,
    })
    expect(first?.routes[0]).toMatchObject({
      key: '{}/{severity="critical"}/{experiment=~"pay.*"}',
      groupIntervalMs: 60_000,
      repeatIntervalMs: 3_600_000,
    })
    expect(second).toMatchObject({ key: '{}/{severity="critical"}#1', groupBy: 'all' })
  })

  it('names the bad key in every error', () => {
    const bad: [unknown, RegExp][] = [
      [
        { receivers: [{ name: 'a', slack: {} }] },
        /^config: alerts\.receivers\[0\]\.slack\.webhookUrl is missing$/,
      ],
      [
        {
          receivers: [
            { name: 'p', pagerduty: { routingKey: 'k' } },
            { name: 's', slack: { webhookUrl: '' } },
          ],
        },
        /^config: alerts\.receivers\[1\]\.slack\.webhookUrl is missing$/,
      ],
      [
        { receivers: [{ name: 'p', pagerduty: {} }] },
        /alerts\.receivers\[0\]\.pagerduty\.routingKey is missing/,
      ],
      [{ receivers: [{ name: 'x' }] }, /alerts\.receivers\[0\] must have exactly one of pagerduty, slack/],
      [{ receivers: [{ name: 'x', log: {}, slack: {} }] }, /got slack, log/],
      [
        {
          receivers: [
            { name: 'x', log: {} },
            { name: 'x', log: {} },
          ],
        },
        /receivers\[1\]\.name "x" is used/,
      ],
      [
        { receivers: [{ name: 'h', alertmanager: { url: 'ftp://x' } }] },
        /receivers\[0\]\.alertmanager\.url must be an http/,
      ],
      [{ route: { receiver: 'nobody' } }, /alerts\.route\.receiver "nobody" is not one of alerts\.receivers/],
      [{ route: { receiver: 'log', groupWait: '30' } }, /alerts\.route\.groupWait must be a duration/],
      [
        { route: { receiver: 'log', routes: [{ matchers: ['sev'] }] } },
        /alerts\.route\.routes\[0\]\.matchers\[0\]: /,
      ],
      [{ route: { receiver: 'log', matchers: ['a="b"'] } }, /root route/],
      [
        { route: { receiver: 'log', groupBy: ['bad-label'] } },
        /alerts\.route\.groupBy\[0\] must be a label name/,
      ],
      [
        { inhibitRules: [{ targetMatchers: ['a="b"'] }] },
        /alerts\.inhibitRules\[0\]\.sourceMatchers is missing/,
      ],
      [
        { rules: { mismatchRate: { threshold: 2 } } },
        /alerts\.rules\.mismatchRate\.threshold must be a number from 0 to 1/,
      ],
      [{ rules: { p95Regression: { window: '10s' } } }, /alerts\.rules\.p95Regression\.window must be/],
      [{ runs: { severities: ['urgent'] } }, /alerts\.runs\.severities\[0\] must be one of critical/],
      [
        { delivery: { initialBackoff: '2s', maxBackoff: '1s' } },
        /alerts\.delivery\.maxBackoff \(1s\) is shorter/,
      ],
      [{ routes: [] }, /unknown key alerts\.routes/],
    ]
    for (const [raw, message] of bad) expect(() => parseAlerts(raw), JSON.stringify(raw)).toThrow(message)
  })

  it('takes inhibition rules and can turn them off', () => {
    expect(parseAlerts({ inhibitRules: [] }).inhibitRules).toEqual([])
    const [rule] = parseAlerts({
      inhibitRules: [
        {
          sourceMatchers: ['alertname="ReadinessNoGo"'],
          targetMatchers: ['severity="minor"'],
          equal: ['experiment'],
        },
      ],
    }).inhibitRules
    expect(rule?.equal).toEqual(['experiment'])
    expect(rule?.sourceMatchers.map(formatMatcher)).toEqual(['alertname="ReadinessNoGo"'])
  })
})
