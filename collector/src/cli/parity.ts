import { parseArgs } from 'node:util'
import type { ParityReport } from '../analysis/parity.js'
import type { RunStats } from '../analysis/run-stats.js'
import { CLIENT_OPTIONS, experimentName, printJson } from './client-options.js'
import { apiPath, fetchJson } from './http.js'
import { formatTable, ms, percent, signed } from './table.js'

/** `twinspan parity <experiment> [--window 1h] [--operation X] [--candidate Y]`: exit 0, or 2 on error. */
export async function parityCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...CLIENT_OPTIONS,
      window: { type: 'string' },
      operation: { type: 'string' },
      candidate: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  })
  const experiment = experimentName('parity', positionals)
  const report = (await fetchJson(
    apiPath(`/api/experiments/${encodeURIComponent(experiment)}/parity`, {
      window: values.window,
      operation: values.operation,
      candidate: values.candidate,
    }),
    values,
  )) as ParityReport
  if (values.json) printJson(report)
  else process.stdout.write(renderParity(report))
  return 0
}

/** The parity report as aligned tables. */
export function renderParity(report: ParityReport): string {
  const filters = [
    report.filters.operation === null ? '' : ` · operation ${report.filters.operation || '(none)'}`,
    report.filters.candidate === null ? '' : ` · candidate ${report.filters.candidate}`,
  ].join('')
  const o = report.outcomes
  const out = [
    `${report.experiment} · last ${report.window} (${report.from} to ${report.to})${filters}\n`,
    `runs ${report.runs} · match rate ${percent(report.matchRate)} (${o.match} match, ${o.mismatch} mismatch)` +
      ` · failed ${report.failed} (${o.shadow_error} shadow_error, ${o.timeout} timeout)\n`,
    `errors: primary ${percent(report.errors.primaryRate)} · shadow ${percent(report.errors.shadowRate)}` +
      ` (errors and timeouts)\n\n`,
  ]
  const l = report.latencyMs
  out.push(
    formatTable(
      ['LATENCY', 'PRIMARY', 'SHADOW', 'DELTA', 'DELTA %'],
      (['p50', 'p95', 'p99'] as const).map((p) => [
        p,
        ms(l.primary[p]),
        ms(l.shadow[p]),
        signed(l.delta[p], ' ms'),
        signed(l.deltaPct[p], '%'),
      ]),
    ),
  )
  if (report.operations.length > 0) {
    out.push(
      '\n',
      breakdown(
        'OPERATION',
        report.operations.map((s) => [s.operation || '(none)', s]),
      ),
    )
  }
  if (report.candidates.length > 1) {
    out.push(
      '\n',
      breakdown(
        'CANDIDATE',
        report.candidates.map((s) => [s.candidate, s]),
      ),
    )
  }
  if (report.topDiffPaths.length > 0) {
    out.push(
      '\n',
      formatTable(
        ['DIFF PATH', 'RUNS', 'SEVERITY'],
        report.topDiffPaths.map((p) => [p.path, String(p.count), p.severity]),
      ),
    )
  }
  const s = report.severities
  out.push(
    `\nseverities: critical ${s.critical} · major ${s.major} · minor ${s.minor} · cosmetic ${s.cosmetic}\n`,
  )
  return out.join('')
}

function breakdown(title: string, rows: [string, RunStats][]): string {
  return formatTable(
    [title, 'RUNS', 'MATCH RATE', 'MISMATCH', 'FAILED', 'P95 PRIMARY', 'P95 SHADOW', 'P95 DELTA %'],
    rows.map(([name, s]) => [
      name,
      String(s.runs),
      percent(s.matchRate),
      String(s.outcomes.mismatch),
      String(s.failed),
      ms(s.latencyMs.primary.p95),
      ms(s.latencyMs.shadow.p95),
      signed(s.latencyMs.deltaPct.p95, '%'),
    ]),
  )
}
