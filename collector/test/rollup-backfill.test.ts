import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { parity, parityGroups } from '../src/analysis/parity.js'
import { planRollups, rollupSource } from '../src/analysis/rollup-source.js'
import { STATS_COLUMNS, type StatsRow, toRunStats } from '../src/analysis/run-stats.js'
import { minuteRange, parseWindow } from '../src/analysis/window.js'
import { openStore, queryRows, type Store } from '../src/store/client.js'
import { migrate } from '../src/store/migrate.js'
import { MIGRATIONS } from '../src/store/schema.js'

const RUNS = 60_000
let store: Store
let dataDir: string
const now = Math.floor(Date.now() / 60_000) * 60_000

/** Runs spread over the last 9 days, generated inside ClickHouse. */
async function insertRuns(offset: number, count: number): Promise<void> {
  await store.client.command({
    query: `INSERT INTO \`${store.database}\`.parallel_runs
      (time, experiment, candidate, operation, run_id, outcome, severity, diff_paths, diff, primary_duration_ms, shadow_duration_ms)
      SELECT fromUnixTimestamp64Milli(toInt64({now:Int64} - 1 - intDiv(number * 777600000, {runs:Int64}))),
        'upgrade', if(number % 3 = 0, 'v2', 'shadow'), ['a', 'b'][number % 2 + 1], toString(number),
        ['match', 'match', 'match', 'mismatch', 'timeout'][number % 5 + 1],
        if(number % 5 = 3, 'major', 'none'), if(number % 5 = 3, ['total'], []), '',
        40 + number % 20, 50 + number % 20
      FROM numbers({offset:UInt64}, {count:UInt64})`,
    query_params: { now, runs: RUNS, offset, count },
  })
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'twinspan-backfill-'))
  store = openStore({ dataDir, database: 'twinspan' })
  // A store from before the hourly and daily rollups, holding runs already…
  await migrate(
    store,
    { retentionDays: 30 },
    MIGRATIONS.filter((m) => m.version === 1),
  )
  await insertRuns(0, RUNS / 2)
  // …is upgraded: the new rollups are backfilled once, then fed by their views.
  expect(await migrate(store, { retentionDays: 30 })).toEqual(MIGRATIONS.slice(1).map((m) => m.version))
  await insertRuns(RUNS / 2, RUNS / 2)
  expect(await migrate(store, { retentionDays: 30 })).toEqual([])
}, 60_000)

afterAll(async () => {
  await store?.close()
  rmSync(dataDir, { recursive: true, force: true })
})

const total = async (table: string) => {
  const [row] = await queryRows<{ runs: string | number }>(
    store,
    `SELECT sum(runs) AS runs FROM twinspan.${table}`,
  )
  return Number(row?.runs)
}

it('backfills the hourly and daily rollups once on upgrade, then keeps them fed', async () => {
  for (const table of ['parallel_runs_1m', 'parallel_runs_1h', 'parallel_runs_1d'])
    expect(await total(table)).toBe(RUNS)
  const mismatches = RUNS / 5
  for (const table of ['diff_paths_1m', 'diff_paths_1h']) expect(await total(table)).toBe(mismatches)
})

it('gives the same counts whichever rollups a window is read from, and the same as the raw runs', async () => {
  for (const window of ['1h', '24h', '3d', '7d', '9d']) {
    const range = minuteRange(parseWindow(window), now)
    const byGrain = await Promise.all(
      (['minute', 'hour', 'day'] as const).map(async (grain) => {
        const source = rollupSource(store.database, 'runs', planRollups(range, grain), {
          experiment: 'upgrade',
        })
        const [row] = await queryRows<StatsRow>(
          store,
          `SELECT ${STATS_COLUMNS} FROM ${source.sql}`,
          source.params,
        )
        return toRunStats(row)
      }),
    )
    const [raw] = await queryRows<{ runs: string; matches: string; mismatches: string; timeouts: string }>(
      store,
      `SELECT count() AS runs, countIf(outcome = 'match') AS matches, countIf(outcome = 'mismatch') AS mismatches,
              countIf(outcome = 'timeout') AS timeouts
       FROM twinspan.parallel_runs FINAL
       WHERE time >= toDateTime64({from:Int64}, 9) AND time < toDateTime64({to:Int64}, 9)`,
      { from: range.fromMinute, to: range.toMinute + 60 },
    )
    const expected = {
      runs: Number(raw?.runs),
      outcomes: {
        match: Number(raw?.matches),
        mismatch: Number(raw?.mismatches),
        shadow_error: 0,
        timeout: Number(raw?.timeouts),
      },
    }
    expect(expected.runs, window).toBeGreaterThan(0)
    for (const stats of byGrain)
      expect({ runs: stats.runs, outcomes: stats.outcomes }, window).toEqual(expected)
    // t-digest states merged in a different order (minutes vs hours vs days) agree only
    // approximately: within 1 ms, 5% of the 20 ms range the latencies span. Counts above are exact.
    for (const stats of byGrain.slice(1)) {
      expect(
        Math.abs((stats.latencyMs.primary.p95 ?? 0) - (byGrain[0]?.latencyMs.primary.p95 ?? 0)),
      ).toBeLessThan(1)
    }
    const groups = await parityGroups(store, range, { experiment: 'upgrade' })
    expect(groups.total.runs).toBe(expected.runs)
    expect(groups.candidates.reduce((sum, c) => sum + c.runs, 0)).toBe(expected.runs)
  }
})

it('answers a 9-day parity query with a daily series that adds up', async () => {
  const report = await parity(store, { experiment: 'upgrade', window: parseWindow('9d'), now })
  expect(report.bucket).toBe('1h')
  expect(report.series.reduce((sum, point) => sum + point.runs, 0)).toBe(report.runs)
  const month = await parity(store, { experiment: 'upgrade', window: parseWindow('90d'), now })
  expect(month.bucket).toBe('1d')
  expect(month.runs).toBe(RUNS)
  expect(month.series.reduce((sum, point) => sum + point.runs, 0)).toBe(RUNS)
  expect(month.topDiffPaths).toEqual([{ path: 'total', count: RUNS / 5, severity: 'major' }])
})

it('counts a batch retried with its deduplication token once in every rollup', async () => {
  const tables = [
    'parallel_runs_1m',
    'parallel_runs_1h',
    'parallel_runs_1d',
    'diff_paths_1m',
    'diff_paths_1h',
  ]
  const before = await Promise.all(tables.map(total))
  const time = new Date(now - 30_000).toISOString()
  const body = Buffer.from(
    [1, 2, 3]
      .map((i) =>
        JSON.stringify({
          time,
          experiment: 'upgrade',
          candidate: 'shadow',
          operation: 'a',
          run_id: `retried-${i}`,
          outcome: 'mismatch',
          severity: 'major',
          diff_paths: ['total'],
          diff: '',
          primary_duration_ms: 50,
          shadow_duration_ms: 60,
        }),
      )
      .join('\n'),
  )
  for (let attempt = 0; attempt < 3; attempt++) {
    await store.insertLines(`${store.database}.parallel_runs`, body, { token: 'retried-batch-1' })
  }
  const after = await Promise.all(tables.map(total))
  expect(after.map((n, i) => n - (before[i] ?? 0))).toEqual([3, 3, 3, 3, 3])
})
