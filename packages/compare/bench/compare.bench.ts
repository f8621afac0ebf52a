/**
 * `pnpm bench`: ops/s of compare against fast-deep-equal (equal documents) and microdiff
 * (documents differing in a few places), on ~1 KB, 10 KB and 100 KB orders, without rules and
 * with ten rules. Each pair runs back to back, in several rounds; the table shows the median
 * ratio and its spread across rounds (the machine is shared, so single runs are noisy).
 *
 *   ROUNDS=5 TIME_MS=300 pnpm bench
 */

import equal from 'fast-deep-equal'
import microdiff from 'microdiff'
import { Bench } from 'tinybench'
import { type CompareOptions, compare } from '../src/index.js'
import { orderOfSize, withFewDifferences } from './orders.js'

const ROUNDS = Number(process.env.ROUNDS ?? 3)
const TIME_MS = Number(process.env.TIME_MS ?? 250)

const TEN_RULES: CompareOptions = {
  rules: {
    'meta.requestId': 'ignore',
    'meta.traceId': 'ignore',
    createdAt: { normalize: 'datetime', severity: 'minor' },
    'customer.email': { normalize: 'case' },
    'totals.grandTotal': { tolerance: 0.01, severity: 'critical' },
    'totals.*': { relTolerance: 0.0001 },
    'items[*].price': { tolerance: 0.005, severity: 'critical' },
    'items[*].name': { normalize: 'whitespace', severity: 'cosmetic' },
    'items[*].attributes.*': { severity: 'minor' },
    payments: { unordered: true, key: 'id' },
  },
}

interface Case {
  name: string
  target: number
  baseline: string
  ours: () => unknown
  theirs: () => unknown
}

const cases: Case[] = []
const sizes: string[] = []
for (const [label, bytes] of [
  ['1KB', 1_000],
  ['10KB', 10_000],
  ['100KB', 100_000],
] as const) {
  const primary = orderOfSize(42, bytes)
  const clone = structuredClone(primary)
  const differing = withFewDifferences(primary)
  sizes.push(`${label} = ${JSON.stringify(primary).length} bytes, ${primary.items.length} items`)
  // Sanity: the engines agree on what they are asked.
  if (!compare(primary, clone).matches || !equal(primary, clone)) throw new Error('clone differs')
  if (compare(primary, differing).differences.length !== microdiff(primary, differing).length) {
    throw new Error('compare and microdiff disagree on the differing documents')
  }
  cases.push(
    {
      name: `${label} equal`,
      target: 0.8,
      baseline: 'fast-deep-equal',
      ours: () => compare(primary, clone),
      theirs: () => equal(primary, clone),
    },
    {
      name: `${label} differing`,
      target: 1.0,
      baseline: 'microdiff',
      ours: () => compare(primary, differing),
      theirs: () => microdiff(primary, differing),
    },
    {
      name: `${label} differing, 10 rules`,
      target: 0.7,
      baseline: 'microdiff',
      ours: () => compare(primary, differing, TEN_RULES),
      theirs: () => microdiff(primary, differing),
    },
  )
}

interface Measured {
  ours: number[]
  theirs: number[]
  ratios: number[]
}
const measured = new Map<string, Measured>(cases.map((c) => [c.name, { ours: [], theirs: [], ratios: [] }]))

async function opsPerSecond(fn: () => unknown): Promise<number> {
  const bench = new Bench({ time: TIME_MS, warmupTime: 50 })
  bench.add('task', fn)
  await bench.run()
  const result = bench.tasks[0]?.result
  if (result === undefined || !('throughput' in result)) throw new Error('benchmark task did not complete')
  return result.throughput.mean
}

for (let round = 0; round < ROUNDS; round++) {
  for (const c of cases) {
    // Alternate which side runs first, so drift in machine load does not favour one.
    const first = round % 2 === 0
    const theirs = first ? await opsPerSecond(c.theirs) : 0
    const ours = await opsPerSecond(c.ours)
    const theirsAfter = first ? theirs : await opsPerSecond(c.theirs)
    const m = measured.get(c.name) as Measured
    m.ours.push(ours)
    m.theirs.push(theirsAfter)
    m.ratios.push(ours / theirsAfter)
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = sorted.length >> 1
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}
const ops = (n: number) => Math.round(n).toLocaleString('en-US')

console.log(
  `@twinspan/compare benchmark (Node ${process.version}, ${ROUNDS} rounds × ${TIME_MS} ms per task)`,
)
console.log(`documents: ${sizes.join('; ')}\n`)
const rows = cases.map((c) => {
  const m = measured.get(c.name) as Measured
  const ratio = median(m.ratios)
  return {
    case: c.name,
    'ours ops/s': ops(median(m.ours)),
    'baseline ops/s': `${ops(median(m.theirs))} (${c.baseline})`,
    ratio: `${ratio.toFixed(2)}× (${Math.min(...m.ratios).toFixed(2)}–${Math.max(...m.ratios).toFixed(2)})`,
    target: `≥ ${c.target.toFixed(1)}×`,
    result: ratio >= c.target ? 'pass' : 'FAIL',
  }
})
console.table(rows)
const failed = rows.filter((r) => r.result !== 'pass').length
console.log(failed === 0 ? 'all targets met' : `${failed} target(s) missed`)
