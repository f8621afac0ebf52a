import type { Severity } from '@twinspan/conventions'
import { annotationsOf } from '../describe.js'
import type { Notification } from '../notification.js'
import { contentOf } from './content.js'
import { experimentLink, truncate } from './links.js'

/** A PagerDuty Events API v2 event (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/). */
export interface PagerDutyEvent {
  routing_key: string
  event_action: 'trigger' | 'resolve'
  dedup_key: string
  payload?: {
    summary: string
    source: string
    severity: 'critical' | 'error' | 'warning' | 'info'
    timestamp?: string
    component?: string
    group?: string
    class?: string
    custom_details: Record<string, unknown>
  }
  client?: string
  client_url?: string
  links?: { href: string; text: string }[]
}

export const MAX_SUMMARY_CHARS = 1024
/** PagerDuty refuses events over 512 KB; stay clear of it. */
export const MAX_EVENT_BYTES = 500_000
const MAX_LISTED_ALERTS = 20

const PAGERDUTY_SEVERITY: Record<Severity | 'none', 'critical' | 'error' | 'warning' | 'info'> = {
  critical: 'critical',
  major: 'error',
  minor: 'warning',
  cosmetic: 'info',
  none: 'info',
}

export interface PagerDutyContext {
  routingKey: string
  /** `payload.source`: where the problem is seen, e.g. the collector's host name. */
  source: string
  dashboardUrl: string
}

/**
 * The event for a notification: a `trigger` while the group fires (the same `dedup_key` every time,
 * so PagerDuty keeps one incident per group), a `resolve` once it cleared. Differing paths are the
 * SDK's (already redacted); no recorded values are sent.
 */
export function pagerDutyEvent(notification: Notification, context: PagerDutyContext): PagerDutyEvent {
  if (notification.status === 'resolved') {
    return { routing_key: context.routingKey, event_action: 'resolve', dedup_key: notification.dedupKey }
  }
  const content = contentOf(notification)
  const links = content.experiments.map((experiment) => ({
    href: experimentLink(context.dashboardUrl, experiment),
    text: `twinspan: ${experiment}`,
  }))
  const starts = notification.firing.map((alert) => alert.startsAt)
  const only = content.experiments.length === 1 ? content.experiments[0] : undefined
  const alertnames = new Set(notification.firing.map((alert) => alert.labels.alertname ?? ''))
  const event: PagerDutyEvent = {
    routing_key: context.routingKey,
    event_action: 'trigger',
    dedup_key: notification.dedupKey,
    payload: {
      summary: truncate(content.title, MAX_SUMMARY_CHARS),
      source: context.source,
      severity: PAGERDUTY_SEVERITY[content.severity],
      timestamp: new Date(starts.length > 0 ? Math.min(...starts) : notification.createdAt).toISOString(),
      ...(only ? { component: only } : {}),
      group: 'twinspan',
      ...(alertnames.size === 1 ? { class: [...alertnames][0] as string } : {}),
      custom_details: {
        group: notification.groupLabels,
        reason: notification.reason,
        firing_alerts: notification.firingFingerprints.length,
        mismatched_runs: content.runs,
        top_differing_paths: content.paths,
        alerts: notification.firing.slice(0, MAX_LISTED_ALERTS).map((alert) => ({
          summary: annotationsOf(alert).summary,
          labels: alert.labels,
          starts_at: new Date(alert.startsAt).toISOString(),
          details: alert.details,
        })),
        readiness: notification.readiness,
        dashboard: links.map((link) => link.href),
      },
    },
    client: 'twinspan',
    links,
  }
  if (links[0]) event.client_url = links[0].href
  return fitEvent(event)
}

/** Drop detail until the event is under {@link MAX_EVENT_BYTES}: sample runs, then listed alerts, then readiness. */
export function fitEvent(event: PagerDutyEvent): PagerDutyEvent {
  const details = event.payload?.custom_details
  if (!details) return event
  const size = () => Buffer.byteLength(JSON.stringify(event))
  const alerts = details.alerts as { details: Record<string, unknown> }[]
  if (size() > MAX_EVENT_BYTES) for (const alert of alerts) delete alert.details.samples
  while (size() > MAX_EVENT_BYTES && alerts.length > 0) alerts.pop()
  if (size() > MAX_EVENT_BYTES) details.readiness = '(omitted: too large)'
  if (size() > MAX_EVENT_BYTES) details.top_differing_paths = '(omitted: too large)'
  return event
}
