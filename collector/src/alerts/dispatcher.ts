import { randomUUID } from 'node:crypto'
import type { Verdict } from '../analysis/readiness-checks.js'
import type { AlertsConfig, ReceiverConfig, RouteConfig } from '../config/alerts.js'
import { type Alert, type AlertInput, applyInput, isFiring } from './alert.js'
import { inhibitor } from './inhibition.js'
import type { Labels } from './labels.js'
import { fingerprint } from './labels.js'
import {
  decide,
  type LogEntry,
  MAX_ALERTS_PER_NOTIFICATION,
  type Notification,
  type ReadinessSummary,
} from './notification.js'
import { dedupKeyOf, groupKeyOf, groupLabelsOf, matchRoutes } from './routes.js'
import { type Silence, silencedBy } from './silences.js'

/** An aggregation group: the alerts one route sends to one receiver under one set of group labels. */
export interface AlertGroup {
  key: string
  route: RouteConfig
  labels: Labels
  fingerprints: Set<string>
  /** When the group is next looked at: `groupWait` after it formed, then every `groupInterval`. */
  nextFlushAt: number
}

/** What survives a restart (see docs/decisions/0005-alert-state.md). Groups are rebuilt from the alerts. */
export interface DispatcherSnapshot {
  version: 1
  alerts: Alert[]
  log: LogEntry[]
  outbox: Notification[]
  silences: Silence[]
  verdicts: Record<string, Verdict>
  readiness: Record<string, ReadinessSummary>
}

export type DispatcherConfig = Pick<AlertsConfig, 'route' | 'receivers' | 'inhibitRules' | 'maxActiveAlerts'>

/** How long a cleared group's log entry and an expired silence are kept. */
export const KEEP_CLEARED_MS = 86_400_000

/**
 * The alerting state machine: alerts in, notifications out, Alertmanager's semantics (routing,
 * grouping with groupWait / groupInterval / repeatInterval, inhibition, silences, a notification
 * log for deduplication). Pure: no timers and no I/O — every method takes the time, the caller
 * delivers the notifications and reports back with {@link delivered} or {@link abandoned}.
 */
export class Dispatcher {
  readonly alerts = new Map<string, Alert>()
  readonly groups = new Map<string, AlertGroup>()
  /** The notification log, by group key. */
  readonly log = new Map<string, LogEntry>()
  /** Notifications decided and not yet delivered: persisted, so a restart re-sends rather than loses them. */
  readonly outbox = new Map<string, Notification>()
  readonly silences = new Map<string, Silence>()
  /** Last readiness verdict per experiment (the readiness rule fires on go → no-go). */
  readonly verdicts = new Map<string, Verdict>()
  readonly readiness = new Map<string, ReadinessSummary>()
  /** Alerts not taken because {@link DispatcherConfig.maxActiveAlerts} were held. */
  droppedAlerts = 0
  private readonly receivers: Map<string, ReceiverConfig>

  constructor(
    readonly config: DispatcherConfig,
    private readonly newId: () => string = randomUUID,
  ) {
    this.receivers = new Map(config.receivers.map((receiver) => [receiver.name, receiver]))
  }

  /** Take alerts from a producer; returns how many were dropped for want of room. */
  receive(inputs: readonly AlertInput[], now: number): number {
    let dropped = 0
    for (const input of inputs) {
      const fp = fingerprint(input.labels)
      const existing = this.alerts.get(fp)
      if (existing === undefined && this.alerts.size >= this.config.maxActiveAlerts) {
        dropped++
        continue
      }
      const alert = applyInput(existing, input)
      this.alerts.set(fp, alert)
      this.place(alert, now)
    }
    this.droppedAlerts += dropped
    return dropped
  }

  /** The rule evaluator's complete answer: these rule alerts fire, every other firing rule alert resolves. */
  setRuleAlerts(inputs: readonly AlertInput[], now: number): void {
    this.receive(inputs, now)
    const current = new Set(inputs.map((input) => fingerprint(input.labels)))
    for (const alert of this.alerts.values()) {
      if (alert.source === 'rule' && isFiring(alert, now) && !current.has(alert.fingerprint)) {
        this.alerts.set(alert.fingerprint, { ...alert, endsAt: now, updatedAt: now })
      }
    }
  }

  /** Look at every group that is due: the notifications to send now (already in the outbox). */
  flush(now: number): Notification[] {
    const firing = [...this.alerts.values()].filter((alert) => isFiring(alert, now))
    const inhibited = inhibitor(firing, this.config.inhibitRules)
    const notifications: Notification[] = []
    for (const group of [...this.groups.values()]) {
      if (group.nextFlushAt > now) continue
      group.nextFlushAt = now + group.route.groupIntervalMs
      const notification = this.flushGroup(group, now, inhibited)
      if (notification) notifications.push(notification)
    }
    return notifications
  }

  private flushGroup(
    group: AlertGroup,
    now: number,
    inhibited: (alert: Alert) => string[],
  ): Notification | undefined {
    // One notification per group in flight: the next is decided once this one is delivered or abandoned.
    for (const pending of this.outbox.values()) if (pending.groupKey === group.key) return undefined
    const receiver = this.receivers.get(group.route.receiver)
    const entry = this.logEntry(group)
    const known = new Set(entry?.firing ?? [])
    const firing: Alert[] = []
    const resolved: Alert[] = []
    let mutedFiring = 0
    for (const fp of [...group.fingerprints]) {
      const alert = this.alerts.get(fp)
      if (alert === undefined) {
        group.fingerprints.delete(fp)
      } else if (isFiring(alert, now)) {
        if (silencedBy(alert.labels, this.silences.values(), now).length > 0 || inhibited(alert).length > 0)
          mutedFiring++
        else firing.push(alert)
      } else if (known.has(fp)) {
        resolved.push(alert)
      } else {
        // Fired and resolved without the receiver ever hearing of it: nothing to tell.
        this.forget(group, fp, now)
      }
    }
    if (receiver === undefined) return undefined
    const reason = decide({
      firing: firing.map((alert) => alert.fingerprint),
      resolved: resolved.map((alert) => alert.fingerprint),
      mutedFiring,
      entry,
      now,
      repeatIntervalMs: group.route.repeatIntervalMs,
      sendResolved: receiver.sendResolved,
      forward: receiver.kind === 'alertmanager',
    })
    if (reason === undefined) {
      this.dropIfEmpty(group)
      return undefined
    }
    const notification: Notification = {
      id: this.newId(),
      receiver: receiver.name,
      groupKey: group.key,
      dedupKey: dedupKeyOf(receiver.name, group.key),
      groupLabels: group.labels,
      status: firing.length > 0 ? 'firing' : 'resolved',
      reason,
      firing: firing.slice(0, MAX_ALERTS_PER_NOTIFICATION),
      resolved: resolved.slice(0, MAX_ALERTS_PER_NOTIFICATION),
      firingFingerprints: firing.map((alert) => alert.fingerprint),
      resolvedFingerprints: resolved.map((alert) => alert.fingerprint),
      readiness: this.readinessOf([...firing, ...resolved]),
      createdAt: now,
      groupIntervalMs: group.route.groupIntervalMs,
    }
    if (reason === 'resolved' && !receiver.sendResolved) {
      // The receiver does not want to hear it; the log still learns the group cleared.
      this.delivered(notification, now)
      return undefined
    }
    this.outbox.set(notification.id, notification)
    return notification
  }

  /** A notification reached its receiver: record it in the log and let go of the resolved alerts it reported. */
  delivered(notification: Notification, now: number): void {
    this.outbox.delete(notification.id)
    this.log.set(notification.groupKey, {
      receiver: notification.receiver,
      groupKey: notification.groupKey,
      firing: notification.firingFingerprints,
      resolved: notification.resolvedFingerprints,
      sentAt: now,
      status: notification.status,
      reason: notification.reason,
    })
    const group = this.groups.get(notification.groupKey)
    for (const fp of notification.resolvedFingerprints) {
      const alert = this.alerts.get(fp)
      if (alert !== undefined && isFiring(alert, now)) continue // it fired again meanwhile
      if (group) this.forget(group, fp, now)
      else this.collect(fp, now)
    }
    if (group) this.dropIfEmpty(group)
  }

  /** A notification could not be delivered (or was dropped): the group decides again at its next flush. */
  abandoned(id: string): void {
    this.outbox.delete(id)
  }

  /** When the next group is due, or undefined when there are none. */
  nextFlushAt(): number | undefined {
    let next: number | undefined
    for (const group of this.groups.values())
      if (next === undefined || group.nextFlushAt < next) next = group.nextFlushAt
    return next
  }

  /** Drop expired silences and cleared log entries older than {@link KEEP_CLEARED_MS}. */
  prune(now: number): void {
    for (const [id, silence] of this.silences)
      if (silence.endsAt < now - KEEP_CLEARED_MS) this.silences.delete(id)
    for (const [key, entry] of this.log) {
      if (entry.firing.length === 0 && entry.sentAt < now - KEEP_CLEARED_MS && !this.groups.has(key))
        this.log.delete(key)
    }
  }

  /** The persistent part of the state. */
  snapshot(): DispatcherSnapshot {
    return {
      version: 1,
      alerts: [...this.alerts.values()],
      log: [...this.log.values()],
      outbox: [...this.outbox.values()],
      silences: [...this.silences.values()],
      verdicts: Object.fromEntries(this.verdicts),
      readiness: Object.fromEntries(this.readiness),
    }
  }

  /** Load a snapshot; groups re-form from the alerts and wait `groupWait` again (the log prevents re-sends). */
  restore(snapshot: DispatcherSnapshot, now: number): void {
    for (const entry of snapshot.log) this.log.set(entry.groupKey, entry)
    for (const notification of snapshot.outbox) this.outbox.set(notification.id, notification)
    for (const silence of snapshot.silences) this.silences.set(silence.id, silence)
    for (const [experiment, verdict] of Object.entries(snapshot.verdicts))
      this.verdicts.set(experiment, verdict)
    for (const [experiment, summary] of Object.entries(snapshot.readiness))
      this.readiness.set(experiment, summary)
    for (const alert of snapshot.alerts) {
      this.alerts.set(alert.fingerprint, alert)
      this.place(alert, now)
    }
  }

  /** The log entry of a group, if it was written for the group's current receiver. */
  logEntry(group: AlertGroup): LogEntry | undefined {
    const entry = this.log.get(group.key)
    return entry?.receiver === group.route.receiver ? entry : undefined
  }

  private place(alert: Alert, now: number): void {
    for (const route of matchRoutes(this.config.route, alert.labels)) {
      const labels = groupLabelsOf(route, alert.labels)
      const key = groupKeyOf(route, labels)
      let group = this.groups.get(key)
      if (group === undefined) {
        group = { key, route, labels, fingerprints: new Set(), nextFlushAt: now + route.groupWaitMs }
        this.groups.set(key, group)
      }
      group.fingerprints.add(alert.fingerprint)
    }
  }

  private forget(group: AlertGroup, fp: string, now: number): void {
    group.fingerprints.delete(fp)
    this.collect(fp, now)
  }

  /** Delete a resolved alert no group holds any more. */
  private collect(fp: string, now: number): void {
    const alert = this.alerts.get(fp)
    if (alert === undefined || isFiring(alert, now)) return
    for (const group of this.groups.values()) if (group.fingerprints.has(fp)) return
    for (const pending of this.outbox.values()) if (pending.resolvedFingerprints.includes(fp)) return
    this.alerts.delete(fp)
  }

  private dropIfEmpty(group: AlertGroup): void {
    if (group.fingerprints.size > 0) return
    for (const pending of this.outbox.values()) if (pending.groupKey === group.key) return
    this.groups.delete(group.key)
  }

  private readinessOf(alerts: readonly Alert[]): Record<string, ReadinessSummary> {
    const out: Record<string, ReadinessSummary> = {}
    for (const alert of alerts) {
      const experiment = alert.labels.experiment
      const summary = experiment === undefined ? undefined : this.readiness.get(experiment)
      if (experiment !== undefined && summary !== undefined) out[experiment] = summary
    }
    return out
  }
}
