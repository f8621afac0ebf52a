import type { Alert } from '../alert.js'
import { annotationsOf } from '../describe.js'
import type { Notification } from '../notification.js'
import { experimentLink } from './links.js'

/** One alert as Alertmanager's `POST /api/v2/alerts` takes it. */
export interface AlertmanagerAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string
  generatorURL?: string
}

/** Firing alerts are sent with an `endsAt` this many group intervals ahead, and at least this long. */
const REFRESH_INTERVALS = 4
const MIN_HOLD_MS = 3 * 60_000

/**
 * The alerts of a notification for Alertmanager. Labels are the alert's own, with nothing that
 * names this collector, so replicas that see the same problem send the same alert and Alertmanager
 * deduplicates them. Firing alerts hold until a few group intervals ahead and are re-sent every
 * interval; if the collector stops, Alertmanager resolves them on its own.
 */
export function alertmanagerAlerts(notification: Notification, dashboardUrl: string): AlertmanagerAlert[] {
  const holdUntil =
    notification.createdAt + Math.max(REFRESH_INTERVALS * notification.groupIntervalMs, MIN_HOLD_MS)
  const toAlert = (alert: Alert, endsAt: number): AlertmanagerAlert => {
    const experiment = alert.labels.experiment
    const annotations = annotationsOf(alert)
    if (experiment) annotations.dashboard = experimentLink(dashboardUrl, experiment)
    if (alert.details.kind === 'run') annotations.runs = String(alert.details.runs)
    const out: AlertmanagerAlert = {
      labels: alert.labels,
      annotations,
      startsAt: new Date(alert.startsAt).toISOString(),
      endsAt: new Date(Math.max(endsAt, alert.startsAt)).toISOString(),
    }
    if (experiment) out.generatorURL = annotations.dashboard
    return out
  }
  return [
    ...notification.firing.map((alert) => toAlert(alert, holdUntil)),
    ...notification.resolved.map((alert) => toAlert(alert, alert.endsAt ?? notification.createdAt)),
  ]
}
