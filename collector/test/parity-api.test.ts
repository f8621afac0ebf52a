import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ExperimentSummary } from '../src/analysis/experiments.js'
import type { MismatchReport } from '../src/analysis/mismatches.js'
import type { ParityReport } from '../src/analysis/parity.js'
import { startTestCollector, type TestCollector } from './support/collector.js'
import { checkoutRuns, GET_ORDER, POST_QUOTE } from './support/datasets.js'
import { getJson, sendRuns, waitForRuns } from './support/synthetic-runs.js'

let collector: TestCollector
let t0: number

beforeAll(async () => {
  collector = await startTestCollector({ 'configured-only': { readiness: { minSamples: 10 } } })
  t0 = Date.now()
  await sendRuns(collector, checkoutRuns(t0))
  await waitForRuns(collector, 'checkout', 1650)
}, 60_000)

afterAll(async () => {
  await collector?.stop()
})

const parity = async (query: string) => {
  const { status, body } = await getJson<ParityReport>(collector, `/api/experiments/checkout/parity?${query}`)
  expect(status).toBe(200)
  return body
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

describe('GET /api/experiments/:name/parity', () => {
  it('counts outcomes exactly over the last hour, with the match rate over compared runs only', async () => {
    const report = await parity('window=1h')
    expect(report).toMatchObject({
      experiment: 'checkout',
      window: '1h',
      bucket: '1m',
      filters: { operation: null, candidate: null },
      runs: 1200,
      outcomes: { match: 1100, mismatch: 60, shadow_error: 20, timeout: 20 },
      compared: 1160,
      failed: 40,
      severities: { critical: 10, major: 30, minor: 20, cosmetic: 0 },
      errors: { primary: 10, shadow: 20, timeouts: 20 },
    })
    expect(report.matchRate).toBeCloseTo(1100 / 1160, 12)
    expect(report.errors.primaryRate).toBeCloseTo(10 / 1200, 12)
    expect(report.errors.shadowRate).toBeCloseTo(40 / 1200, 12)
    expect(Date.parse(report.to) - Date.parse(report.from)).toBe(3_600_000)
  })

  it('breaks runs down per operation and per candidate', async () => {
    const report = await parity('window=1h')
    expect(report.operations.map((op) => [op.operation, op.runs, op.outcomes])).toEqual([
      [GET_ORDER, 800, { match: 740, mismatch: 40, shadow_error: 20, timeout: 0 }],
      [POST_QUOTE, 400, { match: 360, mismatch: 20, shadow_error: 0, timeout: 20 }],
    ])
    expect(report.operations[0]?.matchRate).toBeCloseTo(740 / 780, 12)
    expect(report.operations[1]?.matchRate).toBeCloseTo(360 / 380, 12)
    expect(report.candidates.map((c) => [c.candidate, c.runs, c.outcomes.match, c.failed])).toEqual([
      ['shadow', 1000, 900, 40],
      ['v2', 200, 200, 0],
    ])
  })

  it('lists the top differing paths with counts and their highest severity', async () => {
    expect((await parity('window=1h')).topDiffPaths).toEqual([
      { path: 'total', count: 60, severity: 'critical' },
      { path: 'items[0].price', count: 30, severity: 'cosmetic' },
    ])
    expect((await parity('window=24h&paths=1')).topDiffPaths).toEqual([
      { path: 'legacy.field', count: 300, severity: 'major' },
    ])
  })

  it('measures latency parity: primary uniform 40-60 ms, shadow 50-70 ms', async () => {
    const { latencyMs } = await parity('window=1h&candidate=shadow')
    const expected = {
      primary: { p50: 50, p95: 59, p99: 59.8 },
      shadow: { p50: 60, p95: 69, p99: 69.8 },
      delta: { p50: 10, p95: 10, p99: 10 },
      deltaPct: { p50: 20, p95: (100 * 10) / 59, p99: (100 * 10) / 59.8 },
    }
    for (const side of ['primary', 'shadow', 'delta'] as const) {
      for (const p of ['p50', 'p95', 'p99'] as const) {
        // t-digest quantiles: within 1 ms (5% of the 20 ms range); the merge order of states varies.
        expect(Math.abs((latencyMs[side][p] ?? Number.NaN) - expected[side][p]), `${side} ${p}`).toBeLessThan(
          1,
        )
      }
    }
    for (const p of ['p50', 'p95', 'p99'] as const) {
      expect(
        Math.abs((latencyMs.deltaPct[p] ?? Number.NaN) - expected.deltaPct[p]),
        `deltaPct ${p}`,
      ).toBeLessThan(2)
    }
  })

  it('filters by candidate and by operation', async () => {
    const shadow = await parity('window=1h&candidate=shadow')
    expect(shadow.filters).toEqual({ operation: null, candidate: 'shadow' })
    expect(shadow.runs).toBe(1000)
    expect(shadow.matchRate).toBe(0.9375)
    expect(shadow.candidates.map((c) => c.candidate)).toEqual(['shadow'])

    const quote = await parity(`window=1h&operation=${encodeURIComponent(POST_QUOTE)}`)
    expect(quote.runs).toBe(400)
    expect(quote.operations.map((op) => op.operation)).toEqual([POST_QUOTE])
    expect(quote.topDiffPaths.map((p) => [p.path, p.count])).toEqual([
      ['total', 20],
      ['items[0].price', 10],
    ])

    const nobody = await parity(`window=1h&operation=${encodeURIComponent("x' OR 1=1 --")}`)
    expect(nobody.runs).toBe(0)
    expect(nobody.matchRate).toBeNull()
    expect(nobody.latencyMs.primary.p95).toBeNull()
  })

  it('honours windows: runs 3 hours, 3 days and 10 days old fall in or out', async () => {
    const counts: Record<string, [number, number, number, string]> = {}
    for (const window of ['1h', '24h', '7d', '30d']) {
      const report = await parity(`window=${window}`)
      counts[window] = [report.runs, report.outcomes.mismatch, report.outcomes.timeout, report.bucket]
      expect(sum(report.series.map((point) => point.runs)), `series of ${window}`).toBe(report.runs)
      expect(sum(report.series.map((point) => point.mismatches))).toBe(report.outcomes.mismatch)
    }
    expect(counts).toEqual({
      '1h': [1200, 60, 20, '1m'],
      '24h': [1500, 360, 20, '5m'],
      '7d': [1600, 360, 120, '1h'],
      '30d': [1650, 360, 120, '6h'],
    })
  })

  it('returns a gap-free time series sized to the window', async () => {
    const report = await parity('window=1h')
    expect(report.series).toHaveLength(61)
    const steps = report.series
      .slice(1)
      .map((point, i) => Date.parse(point.t) - Date.parse(report.series[i]?.t ?? ''))
    expect(new Set(steps)).toEqual(new Set([60_000]))
    const busy = report.series.filter((point) => point.runs > 0)
    expect(busy.length).toBeGreaterThanOrEqual(48)
    for (const point of busy) {
      expect(point.primaryP95).toBeGreaterThan(40)
      expect(point.shadowP95).toBeGreaterThan(50)
    }
    const idle = report.series.find((point) => point.runs === 0)
    expect(idle).toMatchObject({ matchRate: null, primaryP95: null, shadowP95: null })
  })

  it('defaults to the last hour', async () => {
    const report = await parity('')
    expect(report.window).toBe('1h')
    expect(report.runs).toBe(1200)
  })
})

describe('GET /api/experiments/:name/mismatches', () => {
  const list = async (query: string) => {
    const { status, body } = await getJson<MismatchReport>(
      collector,
      `/api/experiments/checkout/mismatches?${query}`,
    )
    expect(status).toBe(200)
    return body
  }
  const severityOf = (runId: string) => {
    const k = Number(runId.replace('checkout-', '')) % 100
    return k === 90 ? 'critical' : k <= 93 ? 'major' : 'minor'
  }

  it('lists recent mismatches newest first, with what it takes to reproduce them', async () => {
    const report = await list('window=1h&limit=500')
    expect(report).toMatchObject({ experiment: 'checkout', window: '1h', limit: 500, outcome: 'mismatch' })
    expect(report.mismatches).toHaveLength(60)
    const times = report.mismatches.map((run) => Date.parse(run.time))
    expect(times).toEqual([...times].sort((a, b) => b - a))
    for (const run of report.mismatches) {
      expect(run.runId).toMatch(/^checkout-\d+$/)
      expect(run.traceId).toMatch(/^[0-9a-f]{32}$/)
      expect(run.primarySpanId).toMatch(/^[0-9a-f]{16}$/)
      expect(run.shadowSpanId).toMatch(/^[0-9a-f]{16}$/)
      expect(run.primarySpanId).not.toBe(run.shadowSpanId)
      expect(run.outcome).toBe('mismatch')
      expect(run.severity).toBe(severityOf(run.runId))
      expect(run.differences[0]).toEqual({
        path: 'total',
        kind: 'changed',
        primary: 100,
        shadow: 101,
        severity: run.severity,
      })
      expect(run.diffCount).toBe(run.differences.length)
      expect(run.diffPaths).toEqual(run.differences.map((d) => d.path))
      expect(run.truncated).toBe(false)
      expect(run.service).toBe('synthetic-service')
      expect(run.primaryDurationMs).toBeGreaterThanOrEqual(40)
      expect(run.shadowDurationMs).toBeGreaterThanOrEqual(50)
    }
  })

  it('limits to 50 by default over the last 7 days, and to the given limit', async () => {
    const byDefault = await list('')
    expect(byDefault.window).toBe('7d')
    expect(byDefault.limit).toBe(50)
    expect(byDefault.mismatches).toHaveLength(50)
    expect((await list('limit=5')).mismatches).toHaveLength(5)
    expect((await list('window=24h&limit=500')).mismatches).toHaveLength(360)
  })

  it('filters by outcome, severity, path, operation and candidate', async () => {
    const count = async (query: string) => (await list(`window=1h&limit=500&${query}`)).mismatches.length
    expect(await count('outcome=timeout')).toBe(20)
    expect(await count('outcome=shadow_error')).toBe(20)
    expect(await count('severity=critical')).toBe(10)
    expect(await count(`path=${encodeURIComponent('items[0].price')}`)).toBe(30)
    expect(await count(`operation=${encodeURIComponent(POST_QUOTE)}`)).toBe(20)
    expect(await count('candidate=v2')).toBe(0)
  })
})

describe('GET /api/experiments', () => {
  it('lists every experiment with the parity headline, all time or over a window', async () => {
    const all = await getJson<{ experiments: ExperimentSummary[] }>(collector, '/api/experiments')
    expect(all.status).toBe(200)
    const checkout = all.body.experiments.find((e) => e.name === 'checkout')
    expect(checkout).toMatchObject({
      window: null,
      runs: 1650,
      mismatches: 360,
      failed: 140,
      outcomes: { match: 1150, mismatch: 360, shadow_error: 20, timeout: 120 },
    })
    expect(checkout?.matchRate).toBeCloseTo(1150 / 1510, 12)
    expect(checkout?.latencyMs.primary.p95).toBeGreaterThan(55)
    expect(Date.parse(checkout?.lastSeen ?? '')).toBeGreaterThan(t0 - 5 * 60_000)
    expect(Date.parse(checkout?.firstSeen ?? '')).toBeLessThan(t0 - 9 * 86_400_000)

    const hour = await getJson<{ experiments: ExperimentSummary[] }>(collector, '/api/experiments?window=1h')
    expect(hour.body.experiments.find((e) => e.name === 'checkout')).toMatchObject({
      window: '1h',
      runs: 1200,
    })
  })
})

describe('input handling', () => {
  it.each([
    ['parity?window=abc', /window must be a whole number followed by m, h or d/],
    ['parity?window=91d', /window must be from 1m to 90d/],
    ['parity?window=0m', /window must be from 1m to 90d/],
    ['parity?window=1h&window=2h', /window must be given once/],
    ['parity?paths=0', /paths must be an integer from 1 to 100/],
    ['mismatches?limit=0', /limit must be an integer from 1 to 500, got "0"/],
    ['mismatches?limit=501', /limit must be an integer from 1 to 500/],
    ['mismatches?limit=ten', /limit must be an integer from 1 to 500/],
    ['mismatches?outcome=match', /outcome must be one of mismatch, shadow_error, timeout/],
    ['mismatches?severity=huge', /severity must be one of critical, major, minor, cosmetic/],
    ['readiness?window=forever', /window must be a whole number/],
  ])('GET …/checkout/%s is a 400 that says why', async (path, message) => {
    const { status, body } = await getJson<{ error: string }>(collector, `/api/experiments/checkout/${path}`)
    expect(status).toBe(400)
    expect(body.error).toMatch(message)
  })

  it('rejects a bad window on the experiment list too', async () => {
    const { status, body } = await getJson<{ error: string }>(collector, '/api/experiments?window=1y')
    expect(status).toBe(400)
    expect(body.error).toMatch(/window must be/)
  })

  it.each(['parity', 'mismatches', 'readiness'])(
    'answers 404 for an unknown experiment on %s',
    async (route) => {
      for (const name of ['nope', "checkout' OR '1'='1"]) {
        const { status, body } = await getJson<{ error: string }>(
          collector,
          `/api/experiments/${encodeURIComponent(name)}/${route}`,
        )
        expect(status).toBe(404)
        expect(body.error).toBe(
          `no experiment named "${name}": no runs stored and none configured (see GET /api/experiments)`,
        )
      }
    },
  )

  it('answers a configured experiment without runs with empty numbers and a no-go', async () => {
    const parityBody = await getJson<ParityReport>(collector, '/api/experiments/configured-only/parity')
    expect(parityBody.status).toBe(200)
    expect(parityBody.body).toMatchObject({ runs: 0, matchRate: null, operations: [], topDiffPaths: [] })
    const readinessBody = await getJson<{
      verdict: string
      checks: { name: string; actual: number | null }[]
    }>(collector, '/api/experiments/configured-only/readiness')
    expect(readinessBody.body.verdict).toBe('no-go')
    expect(readinessBody.body.checks[0]).toMatchObject({ name: 'samples', actual: 0, threshold: 10 })
  })

  it('requires the bearer token like every API route', async () => {
    const response = await fetch(`${collector.url}/api/experiments/checkout/parity`)
    expect(response.status).toBe(401)
  })
})
