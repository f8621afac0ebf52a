/** The mismatch list and its side-by-side, field-level view of one run's (redacted) differences. */
import { h, table } from './dom.js'
import { count, diffValue, ms, utc } from './format.js'
import { severityBadge, stat } from './page.js'
import type { MismatchRun, RecordedDifference } from './types.js'

/** A table of recent runs; each row opens its differences in a dialog. */
export function mismatchTable(runs: readonly MismatchRun[], caption: string): HTMLElement {
  if (runs.length === 0) return h('p', { class: 'empty' }, `${caption}: none in the window.`)
  return table(
    caption,
    ['Time', 'Run id', 'Operation', 'Candidate', 'Severity', 'Differing paths', ''],
    runs.map((run) => [
      utc(run.time),
      h('code', null, run.runId),
      run.operation || '—',
      run.candidate,
      severityBadge(run.outcome === 'mismatch' ? run.severity : run.outcome),
      pathsSummary(run),
      h(
        'button',
        {
          type: 'button',
          class: 'open-diff',
          'aria-label': `View differences of run ${run.runId}`,
          onclick: (event: Event) => openDiff(run, event.currentTarget as HTMLElement),
        },
        'View differences',
      ),
    ]),
  )
}

function pathsSummary(run: MismatchRun): string {
  if (run.diffCount === 0) return run.outcome === 'mismatch' ? '—' : `no answer (${run.outcome})`
  const shown = run.diffPaths.slice(0, 3).join(', ')
  const more = run.diffCount - Math.min(3, run.diffPaths.length)
  return more > 0 ? `${shown} and ${count(more)} more` : shown
}

/** Open a modal dialog with one run's identifiers and its differences side by side. */
export function openDiff(run: MismatchRun, opener?: HTMLElement): HTMLDialogElement {
  const titleId = 'diff-title'
  const close = () => dialog.close()
  const dialog = h(
    'dialog',
    { class: 'diff-dialog', 'aria-labelledby': titleId },
    h(
      'div',
      { class: 'diff-head' },
      h('h2', { id: titleId }, 'Differences in run ', h('code', null, run.runId)),
      h('button', { type: 'button', class: 'close', onclick: close }, 'Close'),
    ),
    h(
      'dl',
      { class: 'run-ids' },
      stat('Run id', run.runId, 'runId'),
      stat('Trace id', run.traceId, 'traceId'),
      stat('Primary span', run.primarySpanId, 'primarySpanId'),
      stat('Shadow span', run.shadowSpanId, 'shadowSpanId'),
      stat('Time', utc(run.time), 'time'),
      stat('Operation', run.operation || '—', 'operation'),
      stat('Candidate', run.candidate, 'candidate'),
      stat('Outcome', run.outcome, 'outcome'),
      stat('Severity', run.severity, 'severity'),
      stat('Latency', `primary ${ms(run.primaryDurationMs)} · shadow ${ms(run.shadowDurationMs)}`, 'latency'),
      stat('Served', run.served || '—', 'served'),
      run.primaryError ? stat('Primary error', run.primaryError, 'primaryError') : null,
    ),
    differencesTable(run),
  )
  dialog.addEventListener('close', () => {
    dialog.remove()
    opener?.focus()
  })
  document.body.appendChild(dialog)
  dialog.showModal()
  return dialog
}

function differencesTable(run: MismatchRun): HTMLElement {
  if (run.differences.length === 0) {
    return h(
      'p',
      { class: 'empty' },
      run.outcome === 'mismatch'
        ? 'No differences were recorded for this run.'
        : `No differences: the shadow gave no answer to compare (${run.outcome}).`,
    )
  }
  const caption = run.truncated
    ? `${count(run.differences.length)} of ${count(run.diffCount)} differences (the SDK bounds what it records)`
    : `${count(run.differences.length)} differences, field by field (values as recorded, redacted by the SDK)`
  return h(
    'div',
    { class: 'diff-table' },
    table(
      caption,
      ['Path', 'Kind', 'Severity', 'Primary', 'Shadow'],
      run.differences.map((difference) => [
        h('code', null, difference.path),
        difference.kind,
        severityBadge(difference.severity ?? 'unknown'),
        valueCell(difference, 'primary'),
        valueCell(difference, 'shadow'),
      ]),
    ),
  )
}

function valueCell(difference: RecordedDifference, side: 'primary' | 'shadow'): HTMLElement {
  const present = Object.hasOwn(difference, side)
  return h(
    'pre',
    { class: `value value-${side}${present ? '' : ' absent'}` },
    diffValue(difference[side], present),
  )
}
