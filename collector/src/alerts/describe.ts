import type { Alert } from './alert.js'
import { RUN_ALERT_NAME } from './run-alerts.js'

/** An alert's `summary` and `description` annotations, written from its current counts. */
export function annotationsOf(alert: Alert): Record<string, string> {
  return { summary: summaryOf(alert), description: descriptionOf(alert) }
}

/** One line: what fires, where, how much. */
export function summaryOf(alert: Alert): string {
  const { experiment = '(no experiment)', severity = '', path, candidate, operation } = alert.labels
  const details = alert.details
  if (details.kind === 'run' || alert.labels.alertname === RUN_ALERT_NAME) {
    const runs = details.kind === 'run' ? details.runs : 0
    const where = [candidate && candidate !== 'shadow' ? `candidate ${candidate}` : '', operation ?? '']
      .filter(Boolean)
      .join(', ')
    return `${experiment}: ${runs} ${severity} mismatch${runs === 1 ? '' : 'es'}${path ? ` at ${path}` : ''}${where ? ` (${where})` : ''}`
  }
  const value = details.value
  switch (details.rule) {
    case 'mismatchRate':
      return `${experiment}: mismatch rate ${percent(value)} > ${percent(details.threshold)} over ${details.window} (${details.runs} runs)`
    case 'shadowErrorRate':
      return `${experiment}: shadow error rate ${percent(value)} > ${percent(details.threshold)} over ${details.window} (${details.runs} runs)`
    case 'p95Regression':
      return `${experiment}: shadow p95 ${value === null ? '?' : round(value)}% slower than primary (> ${details.threshold}%) over ${details.window}`
    case 'readiness':
      return `${experiment}: readiness turned no-go${details.reasons?.[0] ? `: ${details.reasons.join('; ')}` : ''}`
    default:
      return `${experiment}: ${alert.labels.alertname ?? details.rule}`
  }
}

function descriptionOf(alert: Alert): string {
  const details = alert.details
  if (details.kind === 'run') {
    const paths = details.paths.map((p) => `${p.path} (${p.count})`).join(', ')
    return `${details.runs} mismatched runs since ${new Date(details.firstRunAt).toISOString()}, last ${new Date(details.lastRunAt).toISOString()}${paths ? `; differing paths: ${paths}` : ''}`
  }
  return `${details.rule}: ${details.value === null ? 'unknown' : round(details.value)} against threshold ${details.threshold} over ${details.window}, ${details.runs} runs`
}

function percent(value: number | null): string {
  return value === null ? '?' : `${round(value * 100)}%`
}

function round(value: number): number {
  return Math.round(value * 100) / 100
}
