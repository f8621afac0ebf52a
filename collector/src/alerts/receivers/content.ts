import { type RunSeverity, severityRank } from '@twinspan/conventions'
import type { Alert, PathCount } from '../alert.js'
import { topPaths } from '../alert.js'
import { summaryOf } from '../describe.js'
import { formatLabels } from '../labels.js'
import type { Notification } from '../notification.js'

/** What every receiver's message says about a notification, worked out once. */
export interface NotificationContent {
  /** One line for the whole group. */
  title: string
  /** The highest severity among the alerts reported. */
  severity: RunSeverity
  experiments: string[]
  /** Mismatched runs behind the group's run alerts. */
  runs: number
  /** Differing paths across the firing run alerts, most frequent first. */
  paths: PathCount[]
}

/** Describe a notification's group in a line and a few numbers. */
export function contentOf(notification: Notification): NotificationContent {
  const alerts: Alert[] = notification.status === 'firing' ? notification.firing : notification.resolved
  let severity: RunSeverity = 'none'
  let runs = 0
  const counts = new Map<string, number>()
  const experiments = new Set<string>()
  for (const alert of alerts) {
    const s = (alert.labels.severity ?? 'none') as RunSeverity
    if (severityRank(s) > severityRank(severity)) severity = s
    if (alert.labels.experiment) experiments.add(alert.labels.experiment)
    if (alert.details.kind === 'run') {
      runs += alert.details.runs
      for (const p of alert.details.paths) counts.set(p.path, (counts.get(p.path) ?? 0) + p.count)
    }
  }
  const count =
    notification.status === 'firing'
      ? notification.firingFingerprints.length
      : notification.resolvedFingerprints.length
  const first = alerts[0]
  const lead = first ? summaryOf(first) : formatLabels(notification.groupLabels)
  const title =
    count <= 1
      ? lead
      : `${count} alerts ${notification.status === 'firing' ? 'firing' : 'resolved'} in ${formatLabels(notification.groupLabels)}: ${lead}, …`
  return { title, severity, experiments: [...experiments].sort(), runs, paths: topPaths(counts) }
}
