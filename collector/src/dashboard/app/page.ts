/** What every page gets from the shell, and pieces pages share. */
import type { Charts } from './charts.js'
import { h } from './dom.js'
import type { ActiveAlert, AlertList } from './types.js'

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

/** A label/value pair for a `<dl>` of headline numbers; `stat` names it for tests and styles. */
export function stat(label: string, value: string, stat: string, note?: string): HTMLElement[] {
  return [
    h('dt', null, label),
    h('dd', { 'data-stat': stat }, value, note ? h('span', { class: 'note' }, ` ${note}`) : null),
  ]
}

/** An alert's severity label, falling back to its state. */
export function severityOf(alert: ActiveAlert): string {
  return alert.labels.severity ?? 'unknown'
}

/** The active alerts of one experiment. */
export function alertsFor(alerts: AlertList | null, experiment: string): ActiveAlert[] {
  return (alerts?.alerts ?? []).filter((alert) => alert.labels.experiment === experiment)
}

/** A one-line title for an alert: its summary annotation, else its alert name and top path. */
export function alertTitle(alert: ActiveAlert): string {
  const summary = alert.annotations?.summary ?? alert.annotations?.description
  if (summary) return summary
  const { alertname, path, operation } = alert.labels
  return [alertname ?? 'alert', operation, path].filter(Boolean).join(' · ')
}

/** A severity badge: the word is always shown, the colour only repeats it. */
export function severityBadge(severity: string): HTMLElement {
  return h('span', { class: `badge severity-${severity.replace(/[^a-z]/g, '')}` }, severity)
}
