import { describe, expect, it } from 'vitest'
import { judgeExperiment } from '../src/analysis/readiness.js'
import { describeFailure, judgeReadiness } from '../src/analysis/readiness-checks.js'
import { deltaPercent, latencyParity, type StatsRow, toRunStats } from '../src/analysis/run-stats.js'
import { parseWindow } from '../src/analysis/window.js'
import { DEFAULT_READINESS, type ReadinessThresholds } from '../src/config/experiments.js'

/** 200 runs: 190 match, 8 mismatch, 1 shadow error, 1 timeout; p95 50 ms vs 55 ms (+10%); 1 critical. */
const row: StatsRow = {
  runs: '200',
  matches: '190',
  mismatches: 8,
  shadow_errors: 1,
  timeouts: 1,
  primary_errors: 3,
  critical: 1,
  major: 7,
  minor: 0,
  cosmetic: 0,
  primary_q: [50, 50, 50],
  shadow_q: [55, 55, 55],
}
const stats = toRunStats(row)

const exact: ReadinessThresholds = {
  minSamples: 200,
  minMatchRate: 190 / 198,
  maxP95DeltaPct: 10,
  maxShadowErrorRate: 0.01,
  maxCriticalMismatches: 1,
}

const failing = (thresholds: ReadinessThresholds) =>
  judgeReadiness(stats, thresholds)
    .checks.filter((check) => !check.ok)
    .map((check) => check.name)

describe('toRunStats', () => {
  it('derives rates and deltas from a rollup row (64-bit integers may come quoted)', () => {
    expect(stats).toMatchObject({
      runs: 200,
      outcomes: { match: 190, mismatch: 8, shadow_error: 1, timeout: 1 },
      matchRate: 190 / 198,
      compared: 198,
      failed: 2,
      errors: { primary: 3, primaryRate: 0.015, shadow: 1, timeouts: 1, shadowRate: 0.01 },
      severities: { critical: 1, major: 7, minor: 0, cosmetic: 0 },
      latencyMs: {
        primary: { p50: 50, p95: 50, p99: 50 },
        shadow: { p50: 55, p95: 55, p99: 55 },
        delta: { p50: 5, p95: 5, p99: 5 },
        deltaPct: { p50: 10, p95: 10, p99: 10 },
      },
    })
  })

  it('has no rates and no latency without runs', () => {
    const empty = toRunStats(undefined)
    expect(empty.runs).toBe(0)
    expect(empty.matchRate).toBeNull()
    expect(empty.errors.shadowRate).toBeNull()
    expect(empty.latencyMs.deltaPct.p95).toBeNull()
  })

  it('has no match rate when every run failed', () => {
    expect(toRunStats({ ...row, matches: 0, mismatches: 0 }).matchRate).toBeNull()
  })

  it('gives no percentage against a zero primary, except for equal sides', () => {
    expect(deltaPercent(0, 5)).toBeNull()
    expect(deltaPercent(0, 0)).toBe(0)
    expect(deltaPercent(40, 30)).toBe(-25)
    expect(latencyParity({ p50: 1, p95: null, p99: 3 }, { p50: 2, p95: 2, p99: 3 }).delta).toEqual({
      p50: 1,
      p95: null,
      p99: 0,
    })
  })
})

describe('judgeReadiness', () => {
  it('is go when every actual value sits exactly on its threshold', () => {
    const judgement = judgeReadiness(stats, exact)
    expect(judgement.verdict).toBe('go')
    expect(judgement.checks).toEqual([
      { name: 'samples', ok: true, actual: 200, threshold: 200, comparator: '>=' },
      { name: 'matchRate', ok: true, actual: 190 / 198, threshold: 190 / 198, comparator: '>=' },
      { name: 'p95DeltaPct', ok: true, actual: 10, threshold: 10, comparator: '<=' },
      { name: 'shadowErrorRate', ok: true, actual: 0.01, threshold: 0.01, comparator: '<=' },
      { name: 'criticalMismatches', ok: true, actual: 1, threshold: 1, comparator: '<=' },
    ])
  })

  it('flips each check, and only that check, one step past its threshold', () => {
    expect(failing({ ...exact, minSamples: 201 })).toEqual(['samples'])
    expect(failing({ ...exact, minMatchRate: 190 / 198 + 1e-12 })).toEqual(['matchRate'])
    expect(failing({ ...exact, maxP95DeltaPct: 9.999 })).toEqual(['p95DeltaPct'])
    expect(failing({ ...exact, maxShadowErrorRate: 0.0099 })).toEqual(['shadowErrorRate'])
    expect(failing({ ...exact, maxCriticalMismatches: 0 })).toEqual(['criticalMismatches'])
  })

  it('skips the critical check unless configured, and fails unknown values', () => {
    expect(
      judgeReadiness(stats, { ...exact, maxCriticalMismatches: null }).checks.map((c) => c.name),
    ).toEqual(['samples', 'matchRate', 'p95DeltaPct', 'shadowErrorRate'])
    const none = judgeReadiness(toRunStats(undefined), { ...DEFAULT_READINESS, minSamples: 0 })
    expect(none.verdict).toBe('no-go')
    expect(none.checks.find((c) => c.name === 'matchRate')).toMatchObject({ ok: false, actual: null })
  })

  it('explains a failure in words', () => {
    expect(
      describeFailure({ name: 'matchRate', ok: false, actual: 0.9, threshold: 0.995, comparator: '>=' }),
    ).toBe('matchRate 0.9 < 0.995')
    expect(
      describeFailure({ name: 'p95DeltaPct', ok: false, actual: null, threshold: 10, comparator: '<=' }),
    ).toBe('p95DeltaPct unknown (no runs to measure), needs <= 10')
  })
})

describe('judgeExperiment', () => {
  const a = {
    ...toRunStats({
      ...row,
      runs: 100,
      matches: 98,
      mismatches: 2,
      shadow_errors: 0,
      timeouts: 0,
      critical: 0,
    }),
    operation: 'GET /a',
  }
  const b = {
    ...toRunStats({ ...row, runs: 100, matches: 92, mismatches: 6, critical: 1 }),
    operation: 'GET /b',
  }
  const groups = { total: stats, operations: [a, b], candidates: [{ ...stats, candidate: 'shadow' }] }
  const judge = (operations: Record<string, Partial<ReadinessThresholds>>) =>
    judgeExperiment(
      { experiment: 'gate', config: { ...exact, window: '1h', operations } },
      parseWindow('1h'),
      groups,
      'from',
      'to',
    )

  it('judges each operation with the experiment thresholds unless overridden', () => {
    const report = judge({
      'GET /a': { minSamples: 100 },
      'GET /b': { minSamples: 100, minMatchRate: 92 / 98, maxShadowErrorRate: 0.02 },
    })
    expect(report.verdict).toBe('go')
    expect(report.reasons).toEqual([])
    expect(report.operations.map((op) => [op.operation, op.verdict, op.overrides])).toEqual([
      ['GET /a', 'go', ['minSamples']],
      ['GET /b', 'go', ['minSamples', 'minMatchRate', 'maxShadowErrorRate']],
    ])
    expect(report.operations[0]?.thresholds.minMatchRate).toBe(190 / 198)
  })

  it('is no-go when one operation misses its own target, and says which', () => {
    const report = judge({
      'GET /a': { minSamples: 100 },
      'GET /b': { minSamples: 100, minMatchRate: 0.95, maxShadowErrorRate: 0.02 },
    })
    expect(report.verdict).toBe('no-go')
    expect(report.checks.every((check) => check.ok)).toBe(true)
    expect(report.operations.map((op) => op.verdict)).toEqual(['go', 'no-go'])
    expect(report.reasons).toEqual([`operation "GET /b": matchRate ${92 / 98} < 0.95`])
  })

  it('judges a configured operation without runs as no-go', () => {
    const report = judge({
      'GET /a': { minSamples: 100 },
      'GET /b': { minSamples: 100, minMatchRate: 92 / 98, maxShadowErrorRate: 0.02 },
      'GET /c': { minSamples: 1 },
    })
    expect(report.verdict).toBe('no-go')
    expect(report.operations.find((op) => op.operation === 'GET /c')).toMatchObject({
      runs: 0,
      verdict: 'no-go',
    })
  })

  it('lists no operations for runs that carry none', () => {
    const report = judgeExperiment(
      { experiment: 'plain', config: { ...exact, window: '1h', operations: {} } },
      parseWindow('1h'),
      { ...groups, operations: [{ ...stats, operation: '' }] },
      'from',
      'to',
    )
    expect(report.operations).toEqual([])
    expect(report.verdict).toBe('go')
  })
})
