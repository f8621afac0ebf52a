import type { ReadinessCheck, Verdict } from '../analysis/readiness-checks.js'
import type { Alert } from './alert.js'
import type { Labels } from './labels.js'

/** Why a group is notified now. */
export type NotifyReason =
  /** Alerts the receiver has not been told about (first notification of the group, or after it cleared). */
  | 'new'
  /** New alerts joined a group the receiver knows, or some of its alerts resolved. */
  | 'update'
  /** Nothing changed and `repeatInterval` passed. */
  | 'repeat'
  /** Every alert the receiver was told about resolved. */
  | 'resolved'
  /** Alertmanager receivers: the periodic re-send that keeps the alerts alive there. */
  | 'refresh'

/** The readiness of an experiment as the rule evaluator last saw it, attached to notifications. */
export interface ReadinessSummary {
  verdict: Verdict
  checks: ReadinessCheck[]
  reasons: string[]
  at: number
}

/** One message to one receiver about one group, decided by the dispatcher, delivered by a queue. */
export interface Notification {
  id: string
  receiver: string
  groupKey: string
  /** Stable per receiver and group: PagerDuty's `dedup_key`. */
  dedupKey: string
  groupLabels: Labels
  /** `firing` while any alert of the group fires (unmuted), `resolved` when the group cleared. */
  status: 'firing' | 'resolved'
  reason: NotifyReason
  /** The firing and resolved alerts, bounded ({@link MAX_ALERTS_PER_NOTIFICATION}); counts are complete below. */
  firing: Alert[]
  resolved: Alert[]
  firingFingerprints: string[]
  resolvedFingerprints: string[]
  /** Readiness of the experiments the group's alerts belong to. */
  readiness: Record<string, ReadinessSummary>
  createdAt: number
  /** The route's group interval: Alertmanager receivers set `endsAt` a few of these ahead. */
  groupIntervalMs: number
}

export const MAX_ALERTS_PER_NOTIFICATION = 50

/** What the receiver was last told about a group, once it was delivered (the notification log). */
export interface LogEntry {
  receiver: string
  groupKey: string
  firing: string[]
  resolved: string[]
  sentAt: number
  status: 'firing' | 'resolved'
  reason: NotifyReason
}

export interface DecideInput {
  /** Firing, unmuted alerts of the group. */
  firing: readonly string[]
  /** Resolved alerts of the group that the receiver was told were firing. */
  resolved: readonly string[]
  /** Firing alerts muted by a silence or an inhibition. */
  mutedFiring: number
  entry: LogEntry | undefined
  now: number
  repeatIntervalMs: number
  sendResolved: boolean
  /** Alertmanager receivers: re-send every firing alert at every flush (Alertmanager deduplicates). */
  forward: boolean
}

/**
 * Whether to notify a group now, and why: Alertmanager's dedup stage against the notification log.
 * Silenced or inhibited alerts still firing never produce a `resolved`: muted is not fixed.
 */
export function decide(input: DecideInput): NotifyReason | undefined {
  const known = new Set(input.entry?.firing ?? [])
  const unknownFiring = input.firing.some((fp) => !known.has(fp))
  if (input.forward) {
    if (input.firing.length === 0) return input.resolved.length > 0 ? 'resolved' : undefined
    if (unknownFiring) return known.size === 0 ? 'new' : 'update'
    return input.resolved.length > 0 ? 'update' : 'refresh'
  }
  if (input.firing.length === 0) {
    if (input.mutedFiring > 0) return undefined
    return known.size > 0 ? 'resolved' : undefined
  }
  if (unknownFiring) return known.size === 0 ? 'new' : 'update'
  const told = new Set(input.entry?.resolved ?? [])
  if (input.sendResolved && input.resolved.some((fp) => !told.has(fp))) return 'update'
  if (input.entry && input.now - input.entry.sentAt >= input.repeatIntervalMs) return 'repeat'
  return undefined
}
