import { parseArgs } from 'node:util'
import type { ReadinessReport } from '../analysis/readiness.js'
import type { ReadinessCheck } from '../analysis/readiness-checks.js'
import { CLIENT_OPTIONS, experimentName, printJson } from './client-options.js'
import { apiPath, fetchJson } from './http.js'
import { formatTable, percent } from './table.js'

/** Exit codes of `twinspan readiness`, for deploy gates. */
export const EXIT_GO = 0
export const EXIT_NO_GO = 1
export const EXIT_ERROR = 2

/** `twinspan readiness <experiment> [--window 7d] [--candidate Y]`: exit 0 go, 1 no-go, 2 error. */
export async function readinessCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...CLIENT_OPTIONS, window: { type: 'string' }, candidate: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  })
  const experiment = experimentName('readiness', positionals)
  const report = (await fetchJson(
    apiPath(`/api/experiments/${encodeURIComponent(experiment)}/readiness`, {
      window: values.window,
      candidate: values.candidate,
    }),
    values,
  )) as ReadinessReport
  if (report.verdict !== 'go' && report.verdict !== 'no-go') {
    throw new Error(`the collector answered an unknown verdict ${JSON.stringify(report.verdict)}`)
  }
  if (values.json) printJson(report)
  else process.stdout.write(renderReadiness(report))
  return report.verdict === 'go' ? EXIT_GO : EXIT_NO_GO
}

/** The readiness report as a verdict line and aligned tables. */
export function renderReadiness(report: ReadinessReport): string {
  const candidate = report.filters.candidate === null ? '' : ` · candidate ${report.filters.candidate}`
  const out = [
    `${report.experiment}: ${report.verdict === 'go' ? 'GO' : 'NO-GO'}` +
      ` · last ${report.window} (${report.from} to ${report.to})${candidate}\n\n`,
    formatTable(
      ['CHECK', 'ACTUAL', 'THRESHOLD', 'RESULT'],
      report.checks.map((check) => [
        check.name,
        value(check, check.actual),
        `${check.comparator} ${value(check, check.threshold)}`,
        check.ok ? 'pass' : 'FAIL',
      ]),
    ),
  ]
  if (report.operations.length > 0) {
    out.push(
      '\n',
      formatTable(
        ['OPERATION', 'VERDICT', 'RUNS', 'FAILED CHECKS'],
        report.operations.map((op) => [
          op.operation || '(none)',
          op.verdict,
          String(op.runs),
          op.checks
            .filter((check) => !check.ok)
            .map(
              (check) =>
                `${check.name} ${value(check, check.actual)} (${check.comparator} ${value(check, check.threshold)})`,
            )
            .join(', ') || '-',
        ]),
      ),
    )
  }
  if (report.candidates.length > 0) {
    out.push(
      '\n',
      formatTable(
        ['CANDIDATE', 'VERDICT', 'RUNS'],
        report.candidates.map((c) => [c.candidate, c.verdict, String(c.runs)]),
      ),
    )
  }
  return out.join('')
}

/** Rates as percentages, the delta as a percentage already, counts as they are. */
function value(check: ReadinessCheck, n: number | null): string {
  if (n === null) return 'unknown'
  if (check.name === 'matchRate' || check.name === 'shadowErrorRate') return percent(n, 3)
  if (check.name === 'p95DeltaPct') return `${n}%`
  return String(n)
}
