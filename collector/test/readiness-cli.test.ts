import { execFile } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReadinessReport } from '../src/analysis/readiness.js'
import { startTestCollector, type TestCollector } from './support/collector.js'
import { GATES, gateRuns } from './support/datasets.js'
import { getJson, sendRuns, waitForRuns } from './support/synthetic-runs.js'

/** The built CLI launcher (build first: `npx tsc -b collector`). */
const TWINSPAN = resolve(dirname(fileURLToPath(import.meta.url)), '../bin/twinspan.js')

let collector: TestCollector

beforeAll(async () => {
  collector = await startTestCollector(
    Object.fromEntries(Object.entries(GATES).map(([name, readiness]) => [name, { readiness }])),
  )
  const t0 = Date.now()
  // Same runs under every gate's name, plus an unconfigured experiment judged on the defaults.
  await sendRuns(
    collector,
    [...Object.keys(GATES), 'unconfigured'].flatMap((name) => gateRuns(name, t0)),
  )
  for (const name of Object.keys(GATES)) await waitForRuns(collector, name, 200)
}, 60_000)

afterAll(async () => {
  await collector?.stop()
})

const readiness = async (experiment: string, query = '') => {
  const { status, body } = await getJson<ReadinessReport>(
    collector,
    `/api/experiments/${experiment}/readiness${query}`,
  )
  expect(status).toBe(200)
  return body
}

const failedChecks = (report: ReadinessReport) => report.checks.filter((c) => !c.ok).map((c) => c.name)

describe('GET /api/experiments/:name/readiness', () => {
  it('is go when every actual value sits exactly on its threshold, and shows every check', async () => {
    const report = await readiness('gate-go')
    expect(report).toMatchObject({
      experiment: 'gate-go',
      verdict: 'go',
      window: '1h',
      reasons: [],
      candidates: [],
    })
    expect(report.checks).toEqual([
      { name: 'samples', ok: true, actual: 200, threshold: 200, comparator: '>=' },
      { name: 'matchRate', ok: true, actual: 190 / 198, threshold: 190 / 198, comparator: '>=' },
      { name: 'p95DeltaPct', ok: true, actual: 10, threshold: 10, comparator: '<=' },
      { name: 'shadowErrorRate', ok: true, actual: 0.01, threshold: 0.01, comparator: '<=' },
      { name: 'criticalMismatches', ok: true, actual: 1, threshold: 1, comparator: '<=' },
    ])
    expect(report.operations.map((op) => [op.operation, op.verdict, op.runs])).toEqual([
      ['GET /a', 'go', 100],
      ['GET /b', 'go', 100],
    ])
  })

  it.each([
    ['gate-samples', 'samples'],
    ['gate-matchrate', 'matchRate'],
    ['gate-latency', 'p95DeltaPct'],
    ['gate-errors', 'shadowErrorRate'],
    ['gate-critical', 'criticalMismatches'],
  ])('%s flips to no-go on %s alone, one step past the threshold', async (experiment, check) => {
    const report = await readiness(experiment)
    expect(report.verdict).toBe('no-go')
    expect(failedChecks(report)).toEqual([check])
    expect(report.reasons[0]).toMatch(new RegExp(`^${check} `))
  })

  it('applies per-operation overrides: one endpoint below its own target blocks the cutover', async () => {
    const report = await readiness('gate-operation')
    expect(report.verdict).toBe('no-go')
    expect(failedChecks(report)).toEqual([])
    const [a, b] = report.operations
    expect(a).toMatchObject({ operation: 'GET /a', verdict: 'go', overrides: ['minSamples'] })
    expect(a?.thresholds.minMatchRate).toBe(190 / 198)
    expect(b).toMatchObject({ operation: 'GET /b', verdict: 'no-go' })
    expect(b?.thresholds.minMatchRate).toBe(0.95)
    expect(b?.checks.find((c) => c.name === 'matchRate')).toEqual({
      name: 'matchRate',
      ok: false,
      actual: 92 / 98,
      threshold: 0.95,
      comparator: '>=',
    })
    expect(report.reasons).toEqual([`operation "GET /b": matchRate ${92 / 98} < 0.95`])
  })

  it('judges an unconfigured experiment on the documented defaults', async () => {
    const report = await readiness('unconfigured')
    expect(report.window).toBe('7d')
    expect(report.thresholds).toEqual({
      minMatchRate: 0.995,
      minSamples: 1000,
      maxP95DeltaPct: 10,
      maxShadowErrorRate: 0.01,
      maxCriticalMismatches: null,
    })
    expect(report.verdict).toBe('no-go')
    expect(failedChecks(report)).toEqual(['samples', 'matchRate'])
  })

  it('takes a window override and a candidate filter', async () => {
    const past = await readiness('gate-go', '?window=2m')
    expect(past.window).toBe('2m')
    expect(past.stats.runs).toBe(0)
    expect(past.verdict).toBe('no-go')
    const other = await readiness('gate-go', '?candidate=v9')
    expect(other.filters.candidate).toBe('v9')
    expect(other.checks[0]).toMatchObject({ name: 'samples', actual: 0 })
  })
})

interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Run the built `twinspan` CLI as a child process (asynchronously: the collector runs in this process). */
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolveRun) => {
    execFile(
      process.execPath,
      [TWINSPAN, ...args],
      { env: { ...process.env, TWINSPAN_URL: '', TWINSPAN_TOKEN: '', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolveRun({ code, stdout, stderr })
      },
    )
  })
}

describe('twinspan readiness (a deploy gate)', () => {
  const target = () => ['--url', collector.url, '--token', collector.token]

  it('exits 0 on go and prints every check', async () => {
    const run = await cli(['readiness', 'gate-go', ...target()])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^gate-go: GO · last 1h/)
    expect(run.stdout).toMatch(/^CHECK +ACTUAL +THRESHOLD +RESULT$/m)
    expect(run.stdout).toMatch(/^matchRate +95\.96% +>= 95\.96% +pass$/m)
    expect(run.stdout).toMatch(/^p95DeltaPct +10% +<= 10% +pass$/m)
    expect(run.stdout).toMatch(/^GET \/b +go +100 +-$/m)
  })

  it('exits 1 on no-go and names the failing check', async () => {
    const run = await cli(['readiness', 'gate-samples', ...target()])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/^gate-samples: NO-GO/)
    expect(run.stdout).toMatch(/^samples +200 +>= 201 +FAIL$/m)
  })

  it('exits 1 when one operation is below its own target', async () => {
    const run = await cli(['readiness', 'gate-operation', ...target()])
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/^GET \/b +no-go +100 +matchRate 93\.878% \(>= 95%\)$/m)
  })

  it('prints the API body with --json', async () => {
    const run = await cli(['readiness', 'gate-latency', '--json', ...target()])
    expect(run.code).toBe(1)
    const body = JSON.parse(run.stdout) as ReadinessReport
    expect(body.verdict).toBe('no-go')
    expect(failedChecks(body)).toEqual(['p95DeltaPct'])
  })

  it('reads the URL and token from the environment', async () => {
    const run = await cli(['readiness', 'gate-go'], {
      TWINSPAN_URL: collector.url,
      TWINSPAN_TOKEN: collector.token,
    })
    expect(run.code).toBe(0)
  })

  it.each([
    ['an unknown experiment', ['readiness', 'nope'], /answered 404: no experiment named "nope"/],
    ['a bad window', ['readiness', 'gate-go', '--window', '1y'], /answered 400: window must be/],
    ['no experiment name', ['readiness'], /usage: twinspan readiness <experiment>/],
    ['an unknown option', ['readiness', 'gate-go', '--nope'], /Unknown option '--nope'/],
  ])('exits 2 on %s', async (_case, args, message) => {
    const run = await cli([...args, ...target()])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(message)
  })

  it('exits 2 without the token, and when the collector cannot be reached', async () => {
    const unauthorized = await cli(['readiness', 'gate-go', '--url', collector.url])
    expect(unauthorized.code).toBe(2)
    expect(unauthorized.stderr).toMatch(/answered 401/)
    const unreachable = await cli(['readiness', 'gate-go', '--url', 'http://127.0.0.1:9'])
    expect(unreachable.code).toBe(2)
    expect(unreachable.stderr).toMatch(/cannot reach the collector at http:\/\/127\.0\.0\.1:9/)
  })
})

describe('twinspan parity and twinspan experiments', () => {
  const target = () => ['--url', collector.url, '--token', collector.token]

  it('prints parity as aligned tables', async () => {
    const run = await cli(['parity', 'gate-go', '--window', '1h', ...target()])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^gate-go · last 1h /)
    expect(run.stdout).toMatch(
      /^runs 200 · match rate 95\.96% \(190 match, 8 mismatch\) · failed 2 \(1 shadow_error, 1 timeout\)$/m,
    )
    expect(run.stdout).toMatch(/^p95 +50 ms +55 ms +\+5 ms +\+10%$/m)
    expect(run.stdout).toMatch(/^GET \/b +100 +93\.88% +6 +2 +50 ms +55 ms +\+10%$/m)
    expect(run.stdout).toMatch(/^amount +8 +critical$/m)
    expect(run.stdout).toMatch(/^severities: critical 1 · major 7 · minor 0 · cosmetic 0$/m)
  })

  it('filters parity by operation and prints JSON with --json', async () => {
    const run = await cli(['parity', 'gate-go', '--operation', 'GET /a', '--json', ...target()])
    expect(run.code).toBe(0)
    const body = JSON.parse(run.stdout) as { runs: number; filters: { operation: string }; window: string }
    expect(body).toMatchObject({ runs: 100, window: '1h', filters: { operation: 'GET /a' } })
  })

  it('exits 2 when parity cannot be answered', async () => {
    const run = await cli(['parity', 'nope', ...target()])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/404/)
  })

  it('still lists experiments, now with latency', async () => {
    const run = await cli(['experiments', ...target()])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(
      /^EXPERIMENT +RUNS +MATCH RATE +MISMATCHES +FAILED +P95 SHADOW +P95 DELTA % +LAST SEEN$/m,
    )
    expect(run.stdout).toMatch(/^gate-go +200 +95\.96% +8 +2 +55 ms +\+10% +\d{4}-/m)
  })
})
