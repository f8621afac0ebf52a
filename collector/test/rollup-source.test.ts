import { describe, expect, it } from 'vitest'
import { planRollups, rollupSource } from '../src/analysis/rollup-source.js'

const at = (h: number, m: number) => Date.UTC(2026, 10, 21, h, m) / 1000

describe('planRollups', () => {
  it('reads whole hours from the hourly rollup and the ragged ends from the per-minute one', () => {
    expect(planRollups({ fromMinute: at(9, 17), toMinute: at(12, 40) }, 'hour')).toEqual({
      hours: { from: at(10, 0), to: at(12, 0) },
      minutes: [
        { from: at(9, 17), to: at(10, 0) },
        { from: at(12, 0), to: at(12, 41) },
      ],
    })
  })

  it('needs no minutes when the range is whole hours', () => {
    expect(planRollups({ fromMinute: at(9, 0), toMinute: at(11, 59) }, 'hour')).toEqual({
      hours: { from: at(9, 0), to: at(12, 0) },
      minutes: [],
    })
  })

  it('reads minutes only when no whole hour fits, or when asked to', () => {
    expect(planRollups({ fromMinute: at(9, 17), toMinute: at(10, 40) }, 'hour')).toEqual({
      minutes: [{ from: at(9, 17), to: at(10, 41) }],
    })
    expect(planRollups({ fromMinute: at(9, 17), toMinute: at(12, 40) }, 'minute')).toEqual({
      minutes: [{ from: at(9, 17), to: at(12, 41) }],
    })
  })

  it('covers every minute of the range exactly once', () => {
    for (const [from, to] of [
      [at(0, 0), at(23, 59)],
      [at(0, 1), at(0, 59)],
      [at(3, 59), at(4, 0)],
      [at(5, 30), at(5, 30)],
    ] as const) {
      const plan = planRollups({ fromMinute: from, toMinute: to }, 'hour')
      const covered = [...(plan.hours ? [plan.hours] : []), ...plan.minutes]
      const minutes = covered.reduce((sum, span) => sum + (span.to - span.from) / 60, 0)
      expect(minutes).toBe((to - from) / 60 + 1)
      const sorted = covered.sort((a, b) => a.from - b.from)
      for (let i = 1; i < sorted.length; i++) expect(sorted[i]?.from).toBe(sorted[i - 1]?.to)
    }
  })
})

describe('rollupSource', () => {
  it('passes every user value as a query parameter, never in the SQL text', () => {
    const hostile = "x' OR 1=1 --"
    const source = rollupSource(
      'twinspan',
      'runs',
      planRollups({ fromMinute: at(9, 17), toMinute: at(12, 40) }, 'hour'),
      { experiment: hostile, operation: hostile, candidate: hostile },
    )
    expect(source.sql).not.toContain(hostile)
    expect(source.sql).toContain('experiment = {experiment:String}')
    expect(source.sql).toContain('parallel_runs_1h')
    expect(source.sql).toContain('parallel_runs_1m')
    expect(source.params).toMatchObject({
      experiment: hostile,
      operation: hostile,
      candidate: hostile,
      hours_from: at(10, 0),
      hours_to: at(12, 0),
      minutes0_from: at(9, 17),
      minutes1_to: at(12, 41),
    })
  })

  it('leaves out filters that are not given', () => {
    const source = rollupSource('twinspan', 'paths', { minutes: [{ from: 0, to: 60 }] }, {})
    expect(source.sql).not.toContain('experiment =')
    expect(source.sql).toContain('diff_paths_1m')
    expect(source.sql).not.toContain('diff_paths_1h')
  })
})
