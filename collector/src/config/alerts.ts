import { SEVERITIES, type Severity } from '@twinspan/conventions'
import { formatDuration, parseDuration } from '../alerts/duration.js'
import { LABEL_NAME } from '../alerts/labels.js'
import { formatMatcher, type Matcher, MatcherError, parseMatchers } from '../alerts/matchers.js'
import { BadRequestError } from '../analysis/errors.js'
import { parseWindow } from '../analysis/window.js'
import { ConfigError } from './config.js'

/** Where notifications go. Every kind may turn off resolved notifications with `sendResolved: false`. */
export type ReceiverConfig =
  | {
      name: string
      kind: 'pagerduty'
      routingKey: string
      url: string
      source?: string
      sendResolved: boolean
    }
  | { name: string; kind: 'slack'; webhookUrl: string; minIntervalMs: number; sendResolved: boolean }
  | { name: string; kind: 'alertmanager'; url: string; sendResolved: boolean }
  | { name: string; kind: 'log'; sendResolved: boolean }

export type ReceiverKind = ReceiverConfig['kind']

/** One node of the route tree, with the settings it inherited already filled in. */
export interface RouteConfig {
  /** Stable id: the matchers on the path from the root, e.g. `{}/{severity="critical"}`. Keys group state. */
  key: string
  receiver: string
  matchers: Matcher[]
  /** Keep looking at the following sibling routes after this one matched. */
  continue: boolean
  /** Labels that split alerts into groups; `all` (written `...`) groups by every label. */
  groupBy: string[] | 'all'
  groupWaitMs: number
  groupIntervalMs: number
  repeatIntervalMs: number
  routes: RouteConfig[]
}

/** Alertmanager's inhibit rule: a firing source alert mutes target alerts that share the `equal` labels. */
export interface InhibitRuleConfig {
  sourceMatchers: Matcher[]
  targetMatchers: Matcher[]
  equal: string[]
}

/** A threshold rule evaluated over a look-back window from the store. */
export interface ThresholdRuleConfig {
  enabled: boolean
  /** A fraction (rates) or a percentage (p95 regression) the value must exceed to fire. */
  threshold: number
  /** Look-back window, `1m`..`90d`. */
  window: string
  /** Fewer runs than this in the window: the rule does not fire (and resolves). */
  minSamples: number
  severity: Severity
}

export interface AlertRulesConfig {
  evaluateEveryMs: number
  mismatchRate: ThresholdRuleConfig
  shadowErrorRate: ThresholdRuleConfig
  p95Regression: ThresholdRuleConfig
  /** Readiness turning from go to no-go. */
  readiness: { enabled: boolean; severity: Severity }
}

export interface RunAlertsConfig {
  /** Mismatches of these severities raise run alerts. */
  severities: Severity[]
  /** A run alert resolves when no mismatch with its labels arrived for this long. */
  resolveAfterMs: number
}

export interface DeliveryConfig {
  timeoutMs: number
  /** Attempts per notification on 429, 5xx and network errors; the group retries at its next interval. */
  maxAttempts: number
  initialBackoffMs: number
  maxBackoffMs: number
  /** Notifications waiting per receiver; more are dropped and counted. */
  queueSize: number
}

/** The `alerts` section, validated, with defaults filled in. */
export interface AlertsConfig {
  enabled: boolean
  /** Base URL of the dashboard for links, e.g. `https://twinspan.example.com`; default: the collector's URL. */
  dashboardUrl?: string
  receivers: ReceiverConfig[]
  route: RouteConfig
  inhibitRules: InhibitRuleConfig[]
  runs: RunAlertsConfig
  rules: AlertRulesConfig
  delivery: DeliveryConfig
  /** Active alerts held at once; new ones past it are dropped and counted. */
  maxActiveAlerts: number
}

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue'
/** The receiver every config has unless it defines one with this name: one log line per notification. */
export const IMPLICIT_LOG_RECEIVER = 'log'

export const DEFAULT_ROUTE_TIMING = Object.freeze({
  groupWaitMs: 30_000,
  groupIntervalMs: 300_000,
  repeatIntervalMs: 4 * 3_600_000,
})
export const DEFAULT_GROUP_BY = ['experiment', 'severity']

const DEFAULT_RULE = { enabled: true, window: '15m', minSamples: 100 }

/** The defaults (also what a config without `alerts` gets): everything is logged. */
export function defaultAlertsConfig(): AlertsConfig {
  return parseAlerts(undefined)
}

/** Validate the `alerts` section; errors name the key, e.g. `config: alerts.receivers[1].slack.webhookUrl is missing`. */
export function parseAlerts(raw: unknown): AlertsConfig {
  const section = mapping(raw, 'alerts')
  onlyKeys(section, 'alerts', [
    'enabled',
    'dashboardUrl',
    'receivers',
    'route',
    'inhibitRules',
    'runs',
    'rules',
    'delivery',
    'maxActiveAlerts',
  ])
  const receivers = parseReceivers(section.receivers)
  const names = new Set(receivers.map((receiver) => receiver.name))
  const route =
    section.route === undefined || section.route === null
      ? defaultRoute(receivers)
      : parseRoute(section.route, 'alerts.route', undefined, names)
  const config: AlertsConfig = {
    enabled: section.enabled === undefined ? true : boolean(section.enabled, 'alerts.enabled'),
    receivers,
    route,
    inhibitRules:
      section.inhibitRules === undefined || section.inhibitRules === null
        ? defaultInhibitRules()
        : list(section.inhibitRules, 'alerts.inhibitRules').map((rule, i) =>
            parseInhibitRule(rule, `alerts.inhibitRules[${i}]`),
          ),
    runs: parseRuns(section.runs),
    rules: parseRules(section.rules),
    delivery: parseDelivery(section.delivery),
    maxActiveAlerts:
      section.maxActiveAlerts === undefined
        ? 1000
        : integer(section.maxActiveAlerts, 'alerts.maxActiveAlerts', 1, 1_000_000),
  }
  if (section.dashboardUrl !== undefined)
    config.dashboardUrl = httpUrl(section.dashboardUrl, 'alerts.dashboardUrl').replace(/\/+$/, '')
  return config
}

function parseReceivers(raw: unknown): ReceiverConfig[] {
  const receivers: ReceiverConfig[] = []
  const seen = new Set<string>()
  list(raw, 'alerts.receivers').forEach((value, i) => {
    const key = `alerts.receivers[${i}]`
    const section = mapping(value, key)
    const kinds = ['pagerduty', 'slack', 'alertmanager', 'log'] as const
    onlyKeys(section, key, ['name', 'sendResolved', ...kinds])
    const name = required(section, 'name', key)
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(name))
      throw new ConfigError(`config: ${key}.name must be a name of letters, digits, _, . and -`)
    if (seen.has(name)) throw new ConfigError(`config: ${key}.name "${name}" is used by another receiver`)
    seen.add(name)
    const given = kinds.filter((kind) => section[kind] !== undefined)
    if (given.length !== 1) {
      throw new ConfigError(
        `config: ${key} must have exactly one of ${kinds.join(', ')} (got ${given.length === 0 ? 'none' : given.join(', ')})`,
      )
    }
    const kind = given[0] as (typeof kinds)[number]
    const sendResolved =
      section.sendResolved === undefined ? true : boolean(section.sendResolved, `${key}.sendResolved`)
    const at = `${key}.${kind}`
    const body = mapping(section[kind], at)
    switch (kind) {
      case 'pagerduty': {
        onlyKeys(body, at, ['routingKey', 'url', 'source'])
        const receiver: ReceiverConfig = {
          name,
          kind,
          routingKey: nonEmpty(required(body, 'routingKey', at), `${at}.routingKey`),
          url: body.url === undefined ? PAGERDUTY_EVENTS_URL : httpUrl(body.url, `${at}.url`),
          sendResolved,
        }
        if (body.source !== undefined) receiver.source = nonEmpty(body.source, `${at}.source`)
        receivers.push(receiver)
        break
      }
      case 'slack':
        onlyKeys(body, at, ['webhookUrl', 'minInterval'])
        receivers.push({
          name,
          kind,
          webhookUrl: httpUrl(required(body, 'webhookUrl', at), `${at}.webhookUrl`),
          minIntervalMs:
            body.minInterval === undefined ? 1000 : duration(body.minInterval, `${at}.minInterval`),
          sendResolved,
        })
        break
      case 'alertmanager':
        onlyKeys(body, at, ['url'])
        receivers.push({
          name,
          kind,
          url: httpUrl(required(body, 'url', at), `${at}.url`).replace(/\/+$/, ''),
          sendResolved,
        })
        break
      case 'log':
        onlyKeys(body, at, [])
        receivers.push({ name, kind, sendResolved })
        break
    }
  })
  if (!seen.has(IMPLICIT_LOG_RECEIVER))
    receivers.push({ name: IMPLICIT_LOG_RECEIVER, kind: 'log', sendResolved: true })
  return receivers
}

const ROUTE_KEYS = [
  'receiver',
  'matchers',
  'continue',
  'groupBy',
  'groupWait',
  'groupInterval',
  'repeatInterval',
  'routes',
]

function parseRoute(
  raw: unknown,
  key: string,
  parent: RouteConfig | undefined,
  receivers: Set<string>,
): RouteConfig {
  const section = mapping(raw, key)
  onlyKeys(section, key, ROUTE_KEYS)
  if (parent === undefined && section.matchers !== undefined)
    throw new ConfigError(`config: ${key}.matchers is not allowed on the root route (it takes every alert)`)
  if (parent === undefined && section.continue !== undefined)
    throw new ConfigError(`config: ${key}.continue is not allowed on the root route`)
  const receiver =
    section.receiver === undefined ? parent?.receiver : nonEmpty(section.receiver, `${key}.receiver`)
  if (receiver === undefined) throw new ConfigError(`config: ${key}.receiver is missing`)
  if (!receivers.has(receiver)) {
    throw new ConfigError(
      `config: ${key}.receiver "${receiver}" is not one of alerts.receivers (${[...receivers].join(', ')})`,
    )
  }
  const matchers = list(section.matchers, `${key}.matchers`).flatMap((value, i) =>
    matchersOf(value, `${key}.matchers[${i}]`),
  )
  const route: RouteConfig = {
    key: parent === undefined ? '{}' : `${parent.key}/{${matchers.map(formatMatcher).join(',')}}`,
    receiver,
    matchers,
    continue: section.continue === undefined ? false : boolean(section.continue, `${key}.continue`),
    groupBy:
      section.groupBy === undefined
        ? (parent?.groupBy ?? DEFAULT_GROUP_BY)
        : groupBy(section.groupBy, `${key}.groupBy`),
    groupWaitMs: timing(
      section.groupWait,
      `${key}.groupWait`,
      parent?.groupWaitMs ?? DEFAULT_ROUTE_TIMING.groupWaitMs,
      0,
    ),
    groupIntervalMs: timing(
      section.groupInterval,
      `${key}.groupInterval`,
      parent?.groupIntervalMs ?? DEFAULT_ROUTE_TIMING.groupIntervalMs,
      1,
    ),
    repeatIntervalMs: timing(
      section.repeatInterval,
      `${key}.repeatInterval`,
      parent?.repeatIntervalMs ?? DEFAULT_ROUTE_TIMING.repeatIntervalMs,
      1,
    ),
    routes: [],
  }
  const keys = new Set<string>()
  list(section.routes, `${key}.routes`).forEach((child, i) => {
    const parsed = parseRoute(child, `${key}.routes[${i}]`, route, receivers)
    // Siblings with the same matchers need distinct keys: their groups are different groups.
    if (keys.has(parsed.key)) renameKey(parsed, `${parsed.key}#${i}`)
    keys.add(parsed.key)
    route.routes.push(parsed)
  })
  return route
}

function renameKey(route: RouteConfig, key: string): void {
  const old = route.key
  route.key = key
  for (const child of route.routes) renameKey(child, key + child.key.slice(old.length))
}

/**
 * With no `route`: the default tiers. Every alert goes to an `alertmanager` receiver if there is one
 * (and on), critical ones page the first `pagerduty` receiver, major ones (and critical ones when no
 * PagerDuty is configured) go to the first `slack` receiver, and the rest are logged.
 */
export function defaultRoute(receivers: ReceiverConfig[]): RouteConfig {
  const first = (kind: ReceiverKind) => receivers.find((receiver) => receiver.kind === kind)?.name
  const log = first('log') ?? IMPLICIT_LOG_RECEIVER
  const pagerduty = first('pagerduty')
  const slack = first('slack')
  const alertmanager = first('alertmanager')
  const children: unknown[] = []
  // Alertmanager groups and repeats itself: forward at once, refresh every minute.
  if (alertmanager)
    children.push({ receiver: alertmanager, continue: true, groupWait: '0s', groupInterval: '1m' })
  if (pagerduty) children.push({ matchers: ['severity="critical"'], receiver: pagerduty })
  if (slack) {
    children.push({
      matchers: [pagerduty ? 'severity="major"' : 'severity=~"critical|major"'],
      receiver: slack,
    })
  }
  return parseRoute(
    { receiver: log, routes: children },
    'alerts.route',
    undefined,
    new Set(receivers.map((receiver) => receiver.name)),
  )
}

/** A firing critical alert of an experiment mutes its major and minor alerts (issue 7). */
export function defaultInhibitRules(): InhibitRuleConfig[] {
  return [
    {
      sourceMatchers: parseMatchers('severity="critical"'),
      targetMatchers: parseMatchers('severity=~"major|minor"'),
      equal: ['experiment'],
    },
  ]
}

function parseInhibitRule(raw: unknown, key: string): InhibitRuleConfig {
  const section = mapping(raw, key)
  onlyKeys(section, key, ['sourceMatchers', 'targetMatchers', 'equal'])
  const matchers = (name: string) => {
    const values = list(required(section, name, key), `${key}.${name}`)
    if (values.length === 0) throw new ConfigError(`config: ${key}.${name} must list at least one matcher`)
    return values.flatMap((value, i) => matchersOf(value, `${key}.${name}[${i}]`))
  }
  return {
    sourceMatchers: matchers('sourceMatchers'),
    targetMatchers: matchers('targetMatchers'),
    equal: section.equal === undefined ? [] : labelNames(section.equal, `${key}.equal`),
  }
}

function parseRuns(raw: unknown): RunAlertsConfig {
  const section = mapping(raw, 'alerts.runs')
  onlyKeys(section, 'alerts.runs', ['severities', 'resolveAfter'])
  return {
    severities:
      section.severities === undefined
        ? ['critical', 'major', 'minor']
        : list(section.severities, 'alerts.runs.severities').map((value, i) =>
            severity(value, `alerts.runs.severities[${i}]`),
          ),
    resolveAfterMs:
      section.resolveAfter === undefined
        ? 600_000
        : duration(section.resolveAfter, 'alerts.runs.resolveAfter', 1),
  }
}

function parseRules(raw: unknown): AlertRulesConfig {
  const section = mapping(raw, 'alerts.rules')
  onlyKeys(section, 'alerts.rules', [
    'evaluateEvery',
    'mismatchRate',
    'shadowErrorRate',
    'p95Regression',
    'readiness',
  ])
  const readiness = mapping(section.readiness, 'alerts.rules.readiness')
  onlyKeys(readiness, 'alerts.rules.readiness', ['enabled', 'severity'])
  return {
    evaluateEveryMs:
      section.evaluateEvery === undefined
        ? 60_000
        : duration(section.evaluateEvery, 'alerts.rules.evaluateEvery', 100),
    mismatchRate: parseThresholdRule(section.mismatchRate, 'alerts.rules.mismatchRate', {
      ...DEFAULT_RULE,
      threshold: 0.05,
      severity: 'major',
    }),
    shadowErrorRate: parseThresholdRule(section.shadowErrorRate, 'alerts.rules.shadowErrorRate', {
      ...DEFAULT_RULE,
      threshold: 0.05,
      severity: 'major',
    }),
    p95Regression: parseThresholdRule(
      section.p95Regression,
      'alerts.rules.p95Regression',
      { ...DEFAULT_RULE, threshold: 50, severity: 'minor' },
      1_000_000,
    ),
    readiness: {
      enabled:
        readiness.enabled === undefined ? true : boolean(readiness.enabled, 'alerts.rules.readiness.enabled'),
      severity:
        readiness.severity === undefined
          ? 'major'
          : severity(readiness.severity, 'alerts.rules.readiness.severity'),
    },
  }
}

function parseThresholdRule(
  raw: unknown,
  key: string,
  defaults: ThresholdRuleConfig,
  maxThreshold = 1,
): ThresholdRuleConfig {
  const section = mapping(raw, key)
  onlyKeys(section, key, ['enabled', 'threshold', 'window', 'minSamples', 'severity'])
  const rule = { ...defaults }
  if (section.enabled !== undefined) rule.enabled = boolean(section.enabled, `${key}.enabled`)
  if (section.threshold !== undefined)
    rule.threshold = number(section.threshold, `${key}.threshold`, 0, maxThreshold)
  if (section.minSamples !== undefined)
    rule.minSamples = integer(section.minSamples, `${key}.minSamples`, 1, Number.MAX_SAFE_INTEGER)
  if (section.severity !== undefined) rule.severity = severity(section.severity, `${key}.severity`)
  if (section.window !== undefined) {
    try {
      rule.window = parseWindow(section.window, `${key}.window`).text
    } catch (error) {
      if (error instanceof BadRequestError) throw new ConfigError(`config: ${error.message}`)
      throw error
    }
  }
  return rule
}

function parseDelivery(raw: unknown): DeliveryConfig {
  const section = mapping(raw, 'alerts.delivery')
  const key = 'alerts.delivery'
  onlyKeys(section, key, ['timeout', 'maxAttempts', 'initialBackoff', 'maxBackoff', 'queueSize'])
  const delivery: DeliveryConfig = {
    timeoutMs: section.timeout === undefined ? 10_000 : duration(section.timeout, `${key}.timeout`, 1),
    maxAttempts:
      section.maxAttempts === undefined ? 10 : integer(section.maxAttempts, `${key}.maxAttempts`, 1, 1000),
    initialBackoffMs:
      section.initialBackoff === undefined
        ? 1000
        : duration(section.initialBackoff, `${key}.initialBackoff`, 1),
    maxBackoffMs:
      section.maxBackoff === undefined ? 60_000 : duration(section.maxBackoff, `${key}.maxBackoff`, 1),
    queueSize:
      section.queueSize === undefined ? 1000 : integer(section.queueSize, `${key}.queueSize`, 1, 1_000_000),
  }
  if (delivery.maxBackoffMs < delivery.initialBackoffMs) {
    throw new ConfigError(
      `config: ${key}.maxBackoff (${formatDuration(delivery.maxBackoffMs)}) is shorter than ${key}.initialBackoff (${formatDuration(delivery.initialBackoffMs)})`,
    )
  }
  return delivery
}

// ——— value checks ———

function matchersOf(value: unknown, key: string): Matcher[] {
  if (typeof value !== 'string')
    throw new ConfigError(`config: ${key} must be a matcher string such as 'severity="critical"'`)
  try {
    const matchers = parseMatchers(value)
    if (matchers.length === 0) throw new MatcherError('empty matcher')
    return matchers
  } catch (error) {
    if (error instanceof MatcherError) throw new ConfigError(`config: ${key}: ${error.message}`)
    throw error
  }
}

function groupBy(value: unknown, key: string): string[] | 'all' {
  const names = list(value, key)
  if (names.includes('...')) {
    if (names.length > 1) throw new ConfigError(`config: ${key}: '...' (every label) stands alone`)
    return 'all'
  }
  return labelNames(names, key)
}

function labelNames(value: unknown, key: string): string[] {
  return list(value, key).map((name, i) => {
    if (typeof name !== 'string' || !LABEL_NAME.test(name))
      throw new ConfigError(
        `config: ${key}[${i}] must be a label name (letters, digits, _), got ${JSON.stringify(name)}`,
      )
    return name
  })
}

function timing(value: unknown, key: string, fallback: number, min: number): number {
  return value === undefined ? fallback : duration(value, key, min)
}

function duration(value: unknown, key: string, min = 0): number {
  const ms = parseDuration(value)
  if (ms === undefined)
    throw new ConfigError(
      `config: ${key} must be a duration such as 200ms, 30s, 5m, 4h or 1h30m, got ${JSON.stringify(value)}`,
    )
  if (ms < min)
    throw new ConfigError(
      `config: ${key} must be at least ${formatDuration(min)}, got ${JSON.stringify(value)}`,
    )
  return ms
}

function severity(value: unknown, key: string): Severity {
  if (!(SEVERITIES as readonly unknown[]).includes(value))
    throw new ConfigError(
      `config: ${key} must be one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(value)}`,
    )
  return value as Severity
}

function required(section: Record<string, unknown>, name: string, key: string): unknown {
  const value = section[name]
  if (value === undefined || value === null || value === '')
    throw new ConfigError(`config: ${key}.${name} is missing`)
  return value
}

function nonEmpty(value: unknown, key: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new ConfigError(`config: ${key} must be a non-empty string`)
  return value
}

function httpUrl(value: unknown, key: string): string {
  const text = nonEmpty(value, key)
  let protocol = ''
  try {
    protocol = new URL(text).protocol
  } catch {}
  if (protocol !== 'http:' && protocol !== 'https:')
    throw new ConfigError(`config: ${key} must be an http(s) URL, got ${JSON.stringify(text)}`)
  return text
}

function boolean(value: unknown, key: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(`config: ${key} must be true or false`)
  return value
}

function number(value: unknown, key: string, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max)
    throw new ConfigError(
      `config: ${key} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    )
  return n
}

function integer(value: unknown, key: string, min: number, max: number): number {
  const n = number(value, key, min, max)
  if (!Number.isInteger(n))
    throw new ConfigError(`config: ${key} must be a whole number, got ${JSON.stringify(value)}`)
  return n
}

function mapping(value: unknown, key: string): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`config: ${key} must be a mapping`)
  return value as Record<string, unknown>
}

function list(value: unknown, key: string): unknown[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value)) throw new ConfigError(`config: ${key} must be a list`)
  return value
}

function onlyKeys(section: Record<string, unknown>, key: string, allowed: readonly string[]): void {
  for (const name of Object.keys(section)) {
    if (!allowed.includes(name))
      throw new ConfigError(`config: unknown key ${key}.${name} (expected one of: ${allowed.join(', ')})`)
  }
}
