/** The go / no-go banner: the verdict in words and an icon, with every failing check in words. */
import { h } from './dom.js'
import { failuresInWords, verdictInWords } from './format.js'
import type { ReadinessReport } from './types.js'

/** Every failing check of a readiness report in words: experiment-wide first, then per operation. */
export function readinessFailures(report: ReadinessReport): string[] {
  return [
    ...failuresInWords(report.checks),
    ...report.operations.flatMap((op) => failuresInWords(op.checks, `${op.operation || '(no operation)'}: `)),
  ]
}

/** The banner for a readiness report, or for a readiness that could not be read (`error`). */
export function verdictBanner(report: ReadinessReport | null, error?: string, limit = Infinity): HTMLElement {
  if (report === null) {
    return h(
      'div',
      { class: 'verdict verdict-unknown', role: 'status' },
      h('p', { class: 'verdict-title' }, h('span', { 'aria-hidden': 'true' }, '? '), verdictInWords(null)),
      error ? h('p', null, error) : null,
    )
  }
  const go = report.verdict === 'go'
  const failures = readinessFailures(report)
  const shown = failures.slice(0, limit)
  return h(
    'div',
    { class: `verdict ${go ? 'verdict-go' : 'verdict-nogo'}`, 'data-verdict': report.verdict },
    h(
      'p',
      { class: 'verdict-title' },
      h('span', { 'aria-hidden': 'true' }, go ? '✓ ' : '✕ '),
      verdictInWords(report.verdict),
    ),
    h('p', { class: 'verdict-window' }, `judged over the last ${report.window}`),
    shown.length > 0
      ? h(
          'ul',
          { class: 'verdict-reasons', 'aria-label': 'Failing checks' },
          shown.map((reason) => h('li', null, reason)),
        )
      : null,
    failures.length > shown.length
      ? h('p', { class: 'verdict-more' }, `and ${failures.length - shown.length} more failing checks`)
      : null,
  )
}
