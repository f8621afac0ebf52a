import { describe, expect, it } from 'vitest'
import { allTimePlan, planRollups, rollupSource } from '../src/analysis/rollup-source.js'

const at = (day: number, h: number, m: number) => Date.UTC(2026, 10, day, h, m) / 1000

describe('planRollups', () => {
  it('reads whole days, then whole hours, then minutes at the ragged start of a window', () => {
    expect(planRollups({ fromMinute: at(14, 9, 17), toMinute: at(21, 12, 40) }, 'day')).toEqual({
      // The current day is read whole: nothing is stored past now.
      days: [{ from: at(15, 0, 0), to: at(22, 0, 0) }],
      hours: [{ from: at(14, 10, 0), to: at(15, 0, 0) }],
      minutes: [{ from: at(14, 9, 17), to: at(14, 10, 0) }],
    })
  })

  it('reads the ragged end too when the range does not end now', () => {
    expect(planRollups({ fromMinute: at(14, 9, 17), toMinute: at(21, 12, 40) }, 'day', false)).toEqual({
      days: [{ from: at(15, 0, 0), to: at(21, 0, 0) }],
      hours: [
        { from: at(14, 10, 0), to: at(15, 0, 0) },
        { from: at(21, 0, 0), to: at(21, 12, 0) },
      ],
      minutes: [
        { from: at(14, 9, 17), to: at(14, 10, 0) },
        { from: at(21, 12, 0), to: at(21, 12, 41) },
      ],
    })
  })

  it('stops at the coarsest grain asked for', () => {
    expect(planRollups({ fromMinute: at(21, 9, 17), toMinute: at(21, 12, 40) }, 'hour')).toEqual({
      days: [],
      hours: [{ from: at(21, 10, 0), to: at(21, 13, 0) }],
      minutes: [{ from: at(21, 9, 17), to: at(21, 10, 0) }],
    })
    expect(planRollups({ fromMinute: at(14, 9, 17), toMinute: at(21, 12, 40) }, 'minute')).toEqual({
      days: [],
      hours: [],
      minutes: [{ from: at(14, 9, 17), to: at(21, 12, 41) }],
    })
  })

  it('reads a window inside the current day from its hours, and a window inside one hour from its minutes', () => {
    expect(planRollups({ fromMinute: at(21, 9, 0), toMinute: at(21, 11, 59) }, 'day')).toEqual({
      days: [],
      hours: [{ from: at(21, 9, 0), to: at(21, 12, 0) }],
      minutes: [],
    })
    expect(planRollups({ fromMinute: at(21, 9, 17), toMinute: at(21, 9, 40) }, 'day')).toEqual({
      days: [],
      hours: [],
      minutes: [{ from: at(21, 9, 17), to: at(21, 9, 41) }],
    })
  })

  it('covers every minute of the range exactly once', () => {
    for (const untilNow of [true, false]) {
      for (const [from, to] of [
        [at(1, 0, 0), at(30, 23, 59)],
        [at(14, 9, 17), at(21, 12, 40)],
        [at(21, 0, 1), at(21, 0, 59)],
        [at(21, 3, 59), at(21, 4, 0)],
        [at(20, 23, 59), at(21, 0, 0)],
        [at(21, 5, 30), at(21, 5, 30)],
      ] as const) {
        const plan = planRollups({ fromMinute: from, toMinute: to }, 'day', untilNow)
        const spans = [...plan.days, ...plan.hours, ...plan.minutes].sort((a, b) => a.from - b.from)
        expect(spans[0]?.from).toBe(from)
        for (let i = 1; i < spans.length; i++) expect(spans[i]?.from).toBe(spans[i - 1]?.to)
        const end = spans[spans.length - 1]?.to ?? 0
        // Past the range's end only when it ends now, and then only to the end of its day or hour.
        if (untilNow) expect(end - (to + 60)).toBeLessThan(86400)
        else expect(end).toBe(to + 60)
        for (const span of plan.days) expect([span.from % 86400, span.to % 86400]).toEqual([0, 0])
        for (const span of plan.hours) expect([span.from % 3600, span.to % 3600]).toEqual([0, 0])
      }
    }
  })
})

describe('rollupSource', () => {
  it('passes every user value as a query parameter, never in the SQL text', () => {
    const hostile = "x' OR 1=1 --"
    const source = rollupSource(
      'twinspan',
      'runs',
      planRollups({ fromMinute: at(14, 9, 17), toMinute: at(21, 12, 40) }, 'day'),
      { experiment: hostile, operation: hostile, candidate: hostile },
    )
    expect(source.sql).not.toContain(hostile)
    expect(source.sql).toContain('experiment = {experiment:String}')
    for (const table of ['parallel_runs_1d', 'parallel_runs_1h', 'parallel_runs_1m'])
      expect(source.sql).toContain(table)
    expect(source.params).toMatchObject({
      experiment: hostile,
      operation: hostile,
      candidate: hostile,
      days0_from: at(15, 0, 0),
      hours0_to: at(15, 0, 0),
      minutes0_from: at(14, 9, 17),
    })
  })

  it('leaves out filters that are not given, and has no daily paths rollup', () => {
    const source = rollupSource(
      'twinspan',
      'paths',
      { days: [], hours: [], minutes: [{ from: 0, to: 60 }] },
      {},
    )
    expect(source.sql).not.toContain('experiment =')
    expect(source.sql).toContain('diff_paths_1m')
    expect(() => rollupSource('twinspan', 'paths', allTimePlan(), {})).toThrow('no day rollup for paths')
  })
})
