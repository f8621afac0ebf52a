import type { ReceiverConfig } from '../config/alerts.js'
import { type AlertDetails, isFiring } from './alert.js'
import type { QueueStats } from './delivery/queue.js'
import { annotationsOf } from './describe.js'
import type { Dispatcher } from './dispatcher.js'
import { inhibitor } from './inhibition.js'
import type { Labels } from './labels.js'
import { formatMatcher, type Matcher } from './matchers.js'
import type { LogEntry } from './notification.js'
import { type Silence, type SilenceState, silencedBy, silenceState } from './silences.js'

/** The last notification a receiver got about a group. */
export interface NotificationView {
  receiver: string
  at: string
  status: 'firing' | 'resolved'
  reason: string
  /** PagerDuty's vocabulary: `trigger` or `resolve`. */
  action: 'trigger' | 'resolve'
}

/** One active alert in `GET /api/alerts`. */
export interface AlertView {
  fingerprint: string
  labels: Labels
  annotations: Record<string, string>
  /** `active`, or `suppressed` while silenced or inhibited. */
  state: 'active' | 'suppressed'
  status: { state: 'active' | 'suppressed'; silencedBy: string[]; inhibitedBy: string[] }
  silenced: boolean
  inhibited: boolean
  source: 'run' | 'rule'
  startsAt: string
  updatedAt: string
  /** When a run alert resolves unless it is seen again; null for rule alerts. */
  endsAt: string | null
  details: AlertDetails
  /** Every receiver the alert routes to, with its group and the last notification sent for the group. */
  receivers: {
    name: string
    kind: string
    group: string
    lastNotification: NotificationView | null
    pending: boolean
  }[]
  /** The most recent of the receivers' last notifications. */
  lastNotification: NotificationView | null
}

export interface GroupView {
  key: string
  receiver: string
  labels: Labels
  alerts: number
  nextFlushAt: string
  pending: boolean
  lastNotification: NotificationView | null
}

export interface ReceiverView extends QueueStats {
  name: string
  kind: string
  queued: number
}

/** The `GET /api/alerts` body. */
export interface AlertsStatus {
  alerts: AlertView[]
  groups: GroupView[]
  receivers: ReceiverView[]
  /** Alerts not taken because `alerts.maxActiveAlerts` were held. */
  droppedAlerts: number
}

/** The `GET /api/silences` entries: Alertmanager's shape, matchers as objects plus their text. */
export interface SilenceView {
  id: string
  matchers: (Matcher & { text: string })[]
  createdBy: string
  comment: string
  startsAt: string
  endsAt: string
  updatedAt: string
  status: { state: SilenceState }
}

/** Build the `GET /api/alerts` body. */
export function alertsStatus(
  dispatcher: Dispatcher,
  receivers: readonly ReceiverConfig[],
  queues: ReadonlyMap<string, { stats: QueueStats; size: number }>,
  now: number,
): AlertsStatus {
  const firing = [...dispatcher.alerts.values()].filter((alert) => isFiring(alert, now))
  const inhibited = inhibitor(firing, dispatcher.config.inhibitRules)
  const pending = new Set([...dispatcher.outbox.values()].map((n) => n.groupKey))
  const kinds = new Map(receivers.map((receiver) => [receiver.name, receiver.kind]))
  const groups = [...dispatcher.groups.values()]
  const alerts = firing
    .sort((a, b) => b.startsAt - a.startsAt || a.fingerprint.localeCompare(b.fingerprint))
    .map((alert): AlertView => {
      const silencedIds = silencedBy(alert.labels, dispatcher.silences.values(), now)
      const inhibitedBy = inhibited(alert)
      const state = silencedIds.length > 0 || inhibitedBy.length > 0 ? 'suppressed' : 'active'
      const routes = groups
        .filter((group) => group.fingerprints.has(alert.fingerprint))
        .map((group) => {
          const entry = dispatcher.logEntry(group)
          return {
            name: group.route.receiver,
            kind: kinds.get(group.route.receiver) ?? 'unknown',
            group: group.key,
            lastNotification: entry?.firing.includes(alert.fingerprint) ? notificationView(entry) : null,
            pending: pending.has(group.key),
          }
        })
      const last = routes
        .map((route) => route.lastNotification)
        .filter((n): n is NotificationView => n !== null)
        .sort((a, b) => b.at.localeCompare(a.at))[0]
      return {
        fingerprint: alert.fingerprint,
        labels: alert.labels,
        annotations: annotationsOf(alert),
        state,
        status: { state, silencedBy: silencedIds, inhibitedBy },
        silenced: silencedIds.length > 0,
        inhibited: inhibitedBy.length > 0,
        source: alert.source,
        startsAt: iso(alert.startsAt),
        updatedAt: iso(alert.updatedAt),
        endsAt: alert.endsAt === null ? null : iso(alert.endsAt),
        details: alert.details,
        receivers: routes,
        lastNotification: last ?? null,
      }
    })
  return {
    alerts,
    groups: groups.map((group) => {
      const entry = dispatcher.logEntry(group)
      return {
        key: group.key,
        receiver: group.route.receiver,
        labels: group.labels,
        alerts: group.fingerprints.size,
        nextFlushAt: iso(group.nextFlushAt),
        pending: pending.has(group.key),
        lastNotification: entry ? notificationView(entry) : null,
      }
    }),
    receivers: receivers.map((receiver) => {
      const queue = queues.get(receiver.name)
      return {
        name: receiver.name,
        kind: receiver.kind,
        queued: queue?.size ?? 0,
        ...(queue?.stats ?? { sent: 0, failed: 0, dropped: 0, retries: 0 }),
      }
    }),
    droppedAlerts: dispatcher.droppedAlerts,
  }
}

/** A silence as the API shows it. */
export function silenceView(silence: Silence, now: number): SilenceView {
  return {
    id: silence.id,
    matchers: silence.matchers.map((matcher) => ({ ...matcher, text: formatMatcher(matcher) })),
    createdBy: silence.createdBy,
    comment: silence.comment,
    startsAt: iso(silence.startsAt),
    endsAt: iso(silence.endsAt),
    updatedAt: iso(silence.updatedAt),
    status: { state: silenceState(silence, now) },
  }
}

function notificationView(entry: LogEntry): NotificationView {
  return {
    receiver: entry.receiver,
    at: iso(entry.sentAt),
    status: entry.status,
    reason: entry.reason,
    action: entry.status === 'firing' ? 'trigger' : 'resolve',
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}
