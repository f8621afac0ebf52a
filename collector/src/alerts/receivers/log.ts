import { summaryOf } from '../describe.js'
import type { Notification } from '../notification.js'

const LISTED_ALERTS = 20

/** The `log` receiver's line: one JSON object per notification. */
export function logLine(notification: Notification, time: number): string {
  const alerts = notification.status === 'firing' ? notification.firing : notification.resolved
  return JSON.stringify({
    time: new Date(time).toISOString(),
    level: notification.status === 'firing' ? 'warn' : 'info',
    msg: 'twinspan alert notification',
    receiver: notification.receiver,
    status: notification.status,
    reason: notification.reason,
    group: notification.groupLabels,
    groupKey: notification.groupKey,
    dedupKey: notification.dedupKey,
    firing: notification.firingFingerprints.length,
    resolved: notification.resolvedFingerprints.length,
    alerts: alerts.slice(0, LISTED_ALERTS).map((alert) => ({
      summary: summaryOf(alert),
      labels: alert.labels,
      startsAt: new Date(alert.startsAt).toISOString(),
    })),
  })
}
