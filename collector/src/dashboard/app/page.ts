/** What every page gets from the shell, and pieces pages share. */
import type { Charts } from './charts.js'
import { h } from './dom.js'
import type { AlertsStatus, AlertView } from './types.js'

export interface PageContext {
  /** The selected look-back window, e.g. `1h`. */
  window: string
  /** The page's charts, drawn once it is in the document. */
  charts: Charts
  /** The clock this render started at. */
  now: number
  /** Re-render the current page (after an action such as expiring a silence). */
  refresh(): void
}

/** A label/value pair of a `<dl>` of headline numbers; `stat` names it for tests and styles. */
export function stat(label: string, value: string, stat: string, note?: string): HTMLElement {
  return h(
    'div',
    { class: 'stat' },
    h('dt', null, label),
    h('dd', { 'data-stat': stat }, value, note ? h('span', { class: 'note' }, ` ${note}`) : null),
  )
}

/** An alert's severity label. */
export function severityOf(alert: AlertView): string {
  return alert.labels.severity ?? 'unknown'
}

/** The firing alerts of one experiment (silenced and inhibited ones included). */
export function alertsFor(alerts: AlertsStatus | null, experiment: string): AlertView[] {
  return (alerts?.alerts ?? []).filter((alert) => alert.labels.experiment === experiment)
}

/** A one-line title for an alert: its summary annotation, else its alert name and top path. */
export function alertTitle(alert: AlertView): string {
  const summary = alert.annotations.summary
  if (summary) return summary
  const { alertname, path, operation } = alert.labels
  return [alertname ?? 'alert', operation, path].filter(Boolean).join(' · ')
}

/** A severity badge: the word is always shown, the colour only repeats it. */
export function severityBadge(severity: string): HTMLElement {
  return h('span', { class: `badge severity-${severity.replace(/[^a-z]/g, '')}` }, severity)
}

/** Why a firing alert is not notified: `silenced`, `inhibited`, or both. */
export function suppression(alert: AlertView): string {
  return [alert.silenced ? 'silenced' : '', alert.inhibited ? 'inhibited' : ''].filter(Boolean).join(', ')
}

const SEVERITY_RANK: Record<string, number> = { critical: 4, major: 3, minor: 2, cosmetic: 1 }

/** Alerts that still notify before silenced or inhibited ones, then the most severe first. */
export function byUrgency(a: AlertView, b: AlertView): number {
  return (
    Number(b.state === 'active') - Number(a.state === 'active') ||
    (SEVERITY_RANK[severityOf(b)] ?? 0) - (SEVERITY_RANK[severityOf(a)] ?? 0)
  )
}
