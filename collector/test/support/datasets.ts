import type { SyntheticDifference, SyntheticRun } from './synthetic-runs.js'
import { uniform } from './synthetic-runs.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

export const GET_ORDER = 'GET /orders/:id'
export const POST_QUOTE = 'POST /quote'

/**
 * The `checkout` experiment, with exact expectations (see parity-api.test.ts):
 * - 1,000 runs of candidate `shadow` in the last hour (2–49 minutes before t0). Per 100 consecutive
 *   runs: 90 match, 6 mismatch (1 critical, 3 major, 2 minor; `total` always differs, `items[0].price`
 *   as cosmetic on 3 of them), 2 shadow_error, 2 timeout; 1 primary error (among the matches).
 *   Operation GET /orders/:id when i % 5 < 3, else POST /quote. Primary latency uniform 40–60 ms,
 *   shadow 50–70 ms.
 * - 200 runs of candidate `v2` in the last hour, all match, GET /orders/:id, same latencies.
 * - 300 mismatches (`legacy.field`, major) 3 hours before t0; 100 timeouts 3 days before;
 *   50 matches 10 days before.
 */
export function checkoutRuns(t0: number): SyntheticRun[] {
  const runs: SyntheticRun[] = []
  const latency = (i: number, n: number) => ({
    primaryMs: uniform(40, 60, i, n, 7),
    shadowMs: uniform(50, 70, i, n, 13),
  })
  for (let i = 0; i < 1000; i++) {
    const k = i % 100
    const run: SyntheticRun = {
      experiment: 'checkout',
      runId: `checkout-${i}`,
      timeMs: t0 - 2 * MINUTE - (i % 48) * MINUTE - 1000,
      operation: i % 5 < 3 ? GET_ORDER : POST_QUOTE,
      outcome: k < 90 ? 'match' : k < 96 ? 'mismatch' : k < 98 ? 'shadow_error' : 'timeout',
      ...latency(i, 1000),
    }
    if (k === 0) run.primaryError = 'TimeoutError'
    if (run.outcome === 'mismatch') {
      const severity = k === 90 ? 'critical' : k <= 93 ? 'major' : 'minor'
      const differences: SyntheticDifference[] = [
        { path: 'total', kind: 'changed', primary: 100, shadow: 101, severity },
      ]
      if (k % 2 === 0)
        differences.push({
          path: 'items[0].price',
          kind: 'changed',
          primary: 1,
          shadow: 2,
          severity: 'cosmetic',
        })
      run.differences = differences
    }
    runs.push(run)
  }
  for (let i = 0; i < 200; i++) {
    runs.push({
      experiment: 'checkout',
      runId: `checkout-v2-${i}`,
      candidate: 'v2',
      timeMs: t0 - 2 * MINUTE - (i % 48) * MINUTE - 2000,
      operation: GET_ORDER,
      outcome: 'match',
      ...latency(i, 200),
    })
  }
  for (let i = 0; i < 300; i++) {
    runs.push({
      experiment: 'checkout',
      runId: `checkout-3h-${i}`,
      timeMs: t0 - 3 * HOUR - (i % 10) * MINUTE,
      operation: GET_ORDER,
      outcome: 'mismatch',
      differences: [{ path: 'legacy.field', kind: 'removed', primary: 'x', severity: 'major' }],
      ...latency(i, 300),
    })
  }
  for (let i = 0; i < 100; i++) {
    runs.push({
      experiment: 'checkout',
      timeMs: t0 - 3 * DAY - (i % 30) * MINUTE,
      operation: POST_QUOTE,
      outcome: 'timeout',
      ...latency(i, 100),
    })
  }
  for (let i = 0; i < 50; i++) {
    runs.push({ experiment: 'checkout', timeMs: t0 - 10 * DAY, outcome: 'match', ...latency(i, 50) })
  }
  return runs
}

/**
 * A readiness dataset: 200 runs in the last hour at constant latency (primary 50 ms, shadow 55 ms,
 * so the p95 delta is exactly 10%). GET /a: 98 match, 2 mismatch. GET /b: 92 match, 6 mismatch
 * (one critical), 1 shadow_error, 1 timeout. In all: match rate 190/198, shadow error rate 0.01.
 */
export function gateRuns(experiment: string, t0: number): SyntheticRun[] {
  const runs: SyntheticRun[] = []
  const outcomesB = [
    ...Array<'match'>(92).fill('match'),
    ...Array<'mismatch'>(6).fill('mismatch'),
    'shadow_error' as const,
    'timeout' as const,
  ]
  for (let i = 0; i < 100; i++) {
    for (const [operation, outcome] of [
      ['GET /a', i < 98 ? 'match' : 'mismatch'],
      ['GET /b', outcomesB[i]],
    ] as const) {
      const critical = operation === 'GET /b' && i === 92
      runs.push({
        experiment,
        timeMs: t0 - 5 * MINUTE - (i % 30) * MINUTE,
        operation,
        outcome: outcome ?? 'match',
        primaryMs: 50,
        shadowMs: 55,
        ...(outcome === 'mismatch'
          ? {
              differences: [
                {
                  path: 'amount',
                  kind: 'changed' as const,
                  primary: 1,
                  shadow: 2,
                  severity: critical ? 'critical' : 'major',
                },
              ],
            }
          : {}),
      })
    }
  }
  return runs
}

/** Thresholds every gate dataset meets exactly (each actual value sits on its threshold). */
export const EXACT_GATE = {
  window: '1h',
  minSamples: 200,
  minMatchRate: 190 / 198,
  maxP95DeltaPct: 10,
  maxShadowErrorRate: 0.01,
  maxCriticalMismatches: 1,
  operations: {
    'GET /a': { minSamples: 100 },
    'GET /b': { minSamples: 100, minMatchRate: 92 / 98, maxShadowErrorRate: 0.02 },
  },
}

/** Gate experiments: name → readiness config, each one step past exactly one threshold (or none). */
export const GATES: Record<string, Record<string, unknown>> = {
  'gate-go': EXACT_GATE,
  'gate-samples': { ...EXACT_GATE, minSamples: 201 },
  'gate-matchrate': { ...EXACT_GATE, minMatchRate: 190 / 198 + 1e-12 },
  'gate-latency': { ...EXACT_GATE, maxP95DeltaPct: 9.999 },
  'gate-errors': { ...EXACT_GATE, maxShadowErrorRate: 0.0099 },
  'gate-critical': { ...EXACT_GATE, maxCriticalMismatches: 0 },
  'gate-operation': {
    ...EXACT_GATE,
    operations: {
      ...EXACT_GATE.operations,
      'GET /b': { ...EXACT_GATE.operations['GET /b'], minMatchRate: 0.95 },
    },
  },
}
