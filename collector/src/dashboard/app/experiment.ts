/** One experiment: verdict, latency and outcome charts, operations, differing paths, recent mismatches. */
import { apiPath, request } from './api.js'
import { latencyChart, outcomesChart } from './charts.js'
import { h, routeHref, table } from './dom.js'
import { count, failuresInWords, ms, percent, signedMs, signedPercent, verdictInWords } from './format.js'
import { mismatchTable } from './mismatch-view.js'
import { type PageContext, severityBadge, stat } from './page.js'
import type { MismatchReport, OperationReadiness, ParityReport, ReadinessReport } from './types.js'
import { verdictBanner } from './verdict.js'

const OUTCOMES = [
  ['mismatch', 'Mismatches'],
  ['shadow_error', 'Shadow errors'],
  ['timeout', 'Timeouts'],
] as const

/** The experiment page; `params` are the route's query (`outcome`, `path` filter the run list). */
export async function experimentPage(
  ctx: PageContext,
  name: string,
  params: URLSearchParams,
): Promise<HTMLElement> {
  const outcome = OUTCOMES.find(([value]) => value === params.get('outcome'))?.[0] ?? 'mismatch'
  const path = params.get('path') ?? undefined
  const [parity, readiness, runs] = await Promise.all([
    request<ParityReport>(apiPath(['experiments', name, 'parity'], { window: ctx.window })),
    request<ReadinessReport>(apiPath(['experiments', name, 'readiness'])),
    request<MismatchReport>(
      apiPath(['experiments', name, 'mismatches'], { window: ctx.window, limit: '50', outcome, path }),
    ),
  ])

  const latencyTarget = h('div', { class: 'chart', 'data-chart': 'latency' })
  const outcomesTarget = h('div', { class: 'chart', 'data-chart': 'outcomes' })
  ctx.charts.add(latencyTarget, (width) => latencyChart(parity.series, width))
  ctx.charts.add(outcomesTarget, (width) => outcomesChart(parity.series, width))
  const window = `last ${ctx.window}`

  return h(
    'section',
    { class: 'page experiment', 'aria-labelledby': 'page-title', 'data-experiment': name },
    h('p', { class: 'crumbs' }, h('a', { href: '#/' }, '← All experiments')),
    h('h1', { id: 'page-title' }, name),
    verdictBanner(readiness),
    candidateVerdicts(readiness),
    h('h2', null, `Parity, ${window}`),
    h(
      'dl',
      { class: 'stats wide' },
      stat('Runs', count(parity.runs), 'runs'),
      stat('Match rate', percent(parity.matchRate), 'matchRate', `(${count(parity.compared)} compared)`),
      stat('Mismatches', count(parity.outcomes.mismatch), 'mismatches'),
      stat(
        'Failed',
        count(parity.failed),
        'failed',
        `(${count(parity.outcomes.shadow_error)} errors, ${count(parity.outcomes.timeout)} timeouts)`,
      ),
      stat('Primary error rate', percent(parity.errors.primaryRate), 'primaryErrorRate'),
      stat('Shadow failure rate', percent(parity.errors.shadowRate), 'shadowErrorRate'),
      stat(
        'Severities',
        `critical ${count(parity.severities.critical)} · major ${count(parity.severities.major)} · minor ${count(parity.severities.minor)} · cosmetic ${count(parity.severities.cosmetic)}`,
        'severities',
      ),
    ),
    h('h2', null, 'Latency parity'),
    h(
      'figure',
      { class: 'chart-figure' },
      latencyTarget,
      h(
        'figcaption',
        null,
        `p50 (dotted), p95 (solid) and p99 (dashed) latency per ${parity.bucket}: primary in blue, shadow in orange`,
      ),
    ),
    latencyTable(parity),
    h('h2', null, 'Outcomes over time'),
    h(
      'figure',
      { class: 'chart-figure' },
      outcomesTarget,
      h('figcaption', null, `Runs per ${parity.bucket}, stacked: match, mismatch, failed (error or timeout)`),
    ),
    h('h2', null, 'Operations'),
    operationsTable(parity, readiness),
    h('h2', null, 'Top differing paths'),
    pathsTable(parity, name, ctx.window),
    h('h2', { id: 'runs' }, 'Recent runs'),
    runFilters(name, outcome, path),
    mismatchTable(
      runs.mismatches,
      `${OUTCOMES.find(([value]) => value === outcome)?.[1]}${path ? ` where ${path} differed` : ''}, newest first (at most 50, ${window})`,
    ),
  )
}

function candidateVerdicts(readiness: ReadinessReport): HTMLElement | null {
  if (readiness.candidates.length === 0) return null
  return table(
    'Verdict per candidate',
    ['Candidate', 'Runs', 'Verdict', 'Failing checks'],
    readiness.candidates.map((candidate) => [
      candidate.candidate,
      count(candidate.runs),
      verdictWord(candidate.verdict),
      failuresInWords(candidate.checks).join('; ') || 'none',
    ]),
  )
}

function latencyTable(parity: ParityReport): HTMLElement {
  const { primary, shadow, delta, deltaPct } = parity.latencyMs
  return table(
    'Latency percentiles',
    ['Percentile', 'Primary', 'Shadow', 'Delta', 'Delta %'],
    (['p50', 'p95', 'p99'] as const).map((p) => [
      p,
      ms(primary[p]),
      ms(shadow[p]),
      signedMs(delta[p]),
      signedPercent(deltaPct[p]),
    ]),
  )
}

function operationsTable(parity: ParityReport, readiness: ReadinessReport): HTMLElement {
  const verdicts = new Map<string, OperationReadiness>(readiness.operations.map((op) => [op.operation, op]))
  const names = [...new Set([...parity.operations.map((op) => op.operation), ...verdicts.keys()])]
  if (names.length === 0 || (names.length === 1 && names[0] === '')) {
    return h('p', { class: 'empty' }, 'This experiment records no operations.')
  }
  const stats = new Map(parity.operations.map((op) => [op.operation, op]))
  return table(
    `Operations, ${parity.window} (readiness over ${readiness.window})`,
    ['Operation', 'Runs', 'Match rate', 'Failed', 'p95 delta', 'Readiness', 'Failing checks'],
    names.map((operation) => {
      const op = stats.get(operation)
      const verdict = verdicts.get(operation)
      return [
        operation || '(none)',
        count(op?.runs ?? 0),
        percent(op?.matchRate),
        count(op?.failed ?? 0),
        op ? signedPercent(op.latencyMs.deltaPct.p95) : '—',
        verdict ? verdictWord(verdict.verdict) : '—',
        verdict ? failuresInWords(verdict.checks).join('; ') || 'none' : '—',
      ]
    }),
  )
}

function verdictWord(verdict: string): HTMLElement {
  return h(
    'span',
    { class: `badge verdict-word verdict-${verdict}` },
    verdictInWords(verdict).split(' — ')[0] ?? verdict,
  )
}

function pathsTable(parity: ParityReport, name: string, window: string): HTMLElement {
  if (parity.topDiffPaths.length === 0)
    return h('p', { class: 'empty' }, `No differing paths in the last ${window}.`)
  return table(
    'Paths that differed most often',
    ['Path', 'Mismatched runs', 'Highest severity', ''],
    parity.topDiffPaths.map((path) => [
      h('code', null, path.path),
      count(path.count),
      severityBadge(path.severity),
      h(
        'a',
        { href: `${routeHref('experiments', name)}?${new URLSearchParams({ path: path.path })}` },
        'Show runs',
      ),
    ]),
  )
}

function runFilters(name: string, outcome: string, path: string | undefined): HTMLElement {
  const select = h(
    'select',
    {
      id: 'outcome-filter',
      onchange: (event: Event) => {
        const query = new URLSearchParams({ outcome: (event.target as HTMLSelectElement).value })
        if (path) query.set('path', path)
        location.hash = `${routeHref('experiments', name)}?${query}`
      },
    },
    OUTCOMES.map(([value, label]) => h('option', { value, selected: value === outcome }, label)),
  )
  return h(
    'div',
    { class: 'filters' },
    h('label', { for: 'outcome-filter' }, 'Show'),
    ' ',
    select,
    path
      ? h(
          'span',
          { class: 'filter-path' },
          ' where ',
          h('code', null, path),
          ' differed · ',
          h(
            'a',
            { href: `${routeHref('experiments', name)}?${new URLSearchParams({ outcome })}` },
            'all paths',
          ),
        )
      : null,
  )
}
