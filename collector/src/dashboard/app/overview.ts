/** Overview: one card per experiment, what needs attention first. */
import { apiPath, optional, request, Unauthorized } from './api.js'
import { type AttentionFacts, byAttention } from './attention.js'
import { matchRateSummary, sparkline } from './charts.js'
import { h, routeHref } from './dom.js'
import { ago, count, percent, plural, signedMs, signedPercent } from './format.js'
import {
  alertsFor,
  alertTitle,
  byUrgency,
  type PageContext,
  severityBadge,
  severityOf,
  stat,
  suppression,
} from './page.js'
import type {
  AlertsStatus,
  AlertView,
  ExperimentList,
  ExperimentSummary,
  ParityReport,
  ReadinessReport,
} from './types.js'
import { readinessFailures, verdictBanner } from './verdict.js'

interface CardFacts {
  summary: ExperimentSummary
  readiness: ReadinessReport | null
  readinessError?: string
  parity: ParityReport | null
}

/** The overview page. */
export async function overviewPage(ctx: PageContext): Promise<HTMLElement> {
  const [list, alerts] = await Promise.all([
    request<ExperimentList>(apiPath(['experiments'], { window: ctx.window })),
    optional<AlertsStatus>(apiPath(['alerts'])),
  ])
  const cards = await Promise.all(list.experiments.map((summary) => cardFacts(summary, ctx.window)))
  const facts = (card: CardFacts): AttentionFacts => ({
    name: card.summary.name,
    verdict: card.readiness?.verdict ?? null,
    // Silenced or inhibited alerts are already handled by someone: they do not raise a card.
    alertSeverities: alertsFor(alerts, card.summary.name)
      .filter((alert) => alert.state === 'active')
      .map(severityOf),
    failedChecks: card.readiness ? readinessFailures(card.readiness).length : 0,
    matchRate: card.summary.matchRate,
    runs: card.summary.runs,
  })
  cards.sort((a, b) => byAttention(facts(a), facts(b)))

  const noGo = cards.filter((card) => card.readiness?.verdict === 'no-go').length
  return h(
    'section',
    { class: 'page overview', 'aria-labelledby': 'page-title' },
    h('h1', { id: 'page-title' }, 'Experiments'),
    h(
      'p',
      { class: 'lede' },
      list.experiments.length === 0
        ? 'No experiments yet: point an OpenTelemetry exporter at this collector’s /v1/traces.'
        : `${count(list.experiments.length)} experiments · ${count(noGo)} not ready for cutover · numbers over the last ${ctx.window}, most in need of attention first`,
    ),
    alerts === null ? h('p', { class: 'note' }, 'Alerting is not configured on this collector.') : null,
    h(
      'ul',
      { class: 'cards', role: 'list' },
      cards.map((card) => h('li', null, experimentCard(card, alerts, ctx))),
    ),
  )
}

async function cardFacts(summary: ExperimentSummary, window: string): Promise<CardFacts> {
  const name = summary.name
  const [readiness, parity] = await Promise.allSettled([
    request<ReadinessReport>(apiPath(['experiments', name, 'readiness'])),
    request<ParityReport>(apiPath(['experiments', name, 'parity'], { window, paths: '1' })),
  ])
  for (const result of [readiness, parity]) {
    if (result.status === 'rejected' && result.reason instanceof Unauthorized) throw result.reason
  }
  return {
    summary,
    readiness: readiness.status === 'fulfilled' ? readiness.value : null,
    readinessError: readiness.status === 'rejected' ? String((readiness.reason as Error).message) : undefined,
    parity: parity.status === 'fulfilled' ? parity.value : null,
  }
}

function experimentCard(card: CardFacts, alerts: AlertsStatus | null, ctx: PageContext): HTMLElement {
  const { summary, parity } = card
  const name = summary.name
  const titleId = `card-${encodeURIComponent(name).replace(/[^A-Za-z0-9_-]/g, '_')}`
  const latency = summary.latencyMs
  const mine = alertsFor(alerts, name).sort(byUrgency)
  const spark = h('div', {
    class: 'spark',
    role: 'img',
    'aria-label': `Match rate over the last ${ctx.window}: ${parity ? matchRateSummary(parity.series) : 'unavailable'}`,
  })
  if (parity) ctx.charts.add(spark, (width) => sparkline(parity.series, width, 'match rate'))
  return h(
    'article',
    { class: 'card', 'data-experiment': name, 'aria-labelledby': titleId },
    h('h2', { id: titleId }, h('a', { href: routeHref('experiments', name) }, name)),
    verdictBanner(card.readiness, card.readinessError, 4),
    h(
      'dl',
      { class: 'stats' },
      stat('Runs', count(summary.runs), 'runs'),
      stat('Match rate', percent(summary.matchRate), 'matchRate'),
      stat('Failed', count(summary.failed), 'failed', failedNote(summary)),
      stat(
        'p95 delta',
        signedMs(latency.delta.p95),
        'p95Delta',
        latency.deltaPct.p95 === null ? undefined : `(${signedPercent(latency.deltaPct.p95)})`,
      ),
    ),
    h('figure', { class: 'spark-figure' }, spark, h('figcaption', null, `Match rate, last ${ctx.window}`)),
    alerts === null
      ? null
      : h(
          'div',
          { class: 'card-alerts', 'data-alerts': String(mine.length) },
          h('h3', null, alertsHeading(mine)),
          mine.length === 0
            ? null
            : h(
                'ul',
                null,
                mine
                  .slice(0, 3)
                  .map((alert) =>
                    h(
                      'li',
                      null,
                      severityBadge(severityOf(alert)),
                      ' ',
                      alertTitle(alert),
                      alert.state === 'active' ? '' : ` (${suppression(alert)})`,
                    ),
                  ),
              ),
        ),
    h('p', { class: 'card-foot' }, `last run ${ago(summary.lastSeen, ctx.now)}`),
  )
}

function failedNote(summary: ExperimentSummary): string | undefined {
  if (summary.failed === 0) return undefined
  return `(${count(summary.outcomes.shadow_error)} errors, ${count(summary.outcomes.timeout)} timeouts)`
}

function alertsHeading(alerts: readonly AlertView[]): string {
  if (alerts.length === 0) return 'No active alerts'
  const muted = alerts.filter((alert) => alert.state !== 'active').length
  const total = `${plural(alerts.length, 'active alert')}`
  return muted === 0 ? total : `${total} (${count(muted)} silenced or inhibited)`
}
