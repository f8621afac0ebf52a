import { parseArgs } from 'node:util'
import type { ExperimentSummary } from '../analysis/experiments.js'
import { CLIENT_OPTIONS, printJson } from './client-options.js'
import { apiPath, fetchJson } from './http.js'
import { formatTable, ms, percent, signed } from './table.js'

/** `twinspan experiments [--window 24h]`: every experiment with its headline numbers. */
export async function experimentsCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...CLIENT_OPTIONS, window: { type: 'string' } },
    strict: true,
  })
  const body = (await fetchJson(apiPath('/api/experiments', { window: values.window }), values)) as {
    experiments: ExperimentSummary[]
  }
  if (values.json) {
    printJson(body)
    return 0
  }
  if (body.experiments.length === 0) {
    process.stdout.write('no experiments yet: send parallel-run spans to /v1/traces\n')
    return 0
  }
  process.stdout.write(
    formatTable(
      ['EXPERIMENT', 'RUNS', 'MATCH RATE', 'MISMATCHES', 'FAILED', 'P95 SHADOW', 'P95 DELTA %', 'LAST SEEN'],
      body.experiments.map((e) => [
        e.name,
        String(e.runs),
        percent(e.matchRate),
        String(e.mismatches),
        String(e.failed),
        ms(e.latencyMs?.shadow.p95),
        signed(e.latencyMs?.deltaPct.p95, '%'),
        e.lastSeen,
      ]),
    ),
  )
  return 0
}
