/** The dashboard's pure parts: numbers and checks in words, the overview's order, matcher splitting. */
import { describe, expect, it } from 'vitest'
import { type AttentionFacts, byAttention } from '../src/dashboard/app/attention.js'
import {
  ago,
  checkInWords,
  count,
  diffValue,
  failuresInWords,
  ms,
  percent,
  signedMs,
  signedPercent,
  utc,
  verdictInWords,
} from '../src/dashboard/app/format.js'
import { splitMatchers } from '../src/dashboard/app/silence-matchers.js'

describe('numbers', () => {
  it('formats counts, rates and latencies, unknown as a dash', () => {
    expect(count(1200)).toBe('1,200')
    expect(count(null)).toBe('—')
    expect(percent(1100 / 1160)).toBe('94.83%')
    expect(percent(1)).toBe('100%')
    expect(percent(0.0083, 3)).toBe('0.83%')
    expect(percent(null)).toBe('—')
    expect(ms(59.7912)).toBe('59.79 ms')
    expect(ms(1250)).toBe('1.25 s')
    expect(signedMs(10)).toBe('+10 ms')
    expect(signedMs(-3.5)).toBe('−3.5 ms')
    expect(signedMs(0)).toBe('±0 ms')
    expect(signedPercent(16.949)).toBe('+16.95%')
    expect(signedPercent(null)).toBe('—')
  })

  it('says times in UTC and roughly how long ago', () => {
    const now = Date.parse('2026-11-21T22:35:00Z')
    expect(utc('2026-11-21T22:32:57.761000Z')).toBe('2026-11-21 22:32:57 UTC')
    expect(ago('2026-11-21T22:34:50Z', now)).toBe('just now')
    expect(ago('2026-11-21T22:31:00Z', now)).toBe('4 min ago')
    expect(ago('2026-11-21T19:35:00Z', now)).toBe('3 h ago')
    expect(ago('2026-11-19T22:35:00Z', now)).toBe('2 d ago')
  })

  it('shows recorded difference values as JSON text, absent values as such', () => {
    expect(diffValue('<img src=x onerror=alert(1)>', true)).toBe('"<img src=x onerror=alert(1)>"')
    expect(diffValue({ a: [1] }, true)).toBe('{\n  "a": [\n    1\n  ]\n}')
    expect(diffValue(undefined, false)).toBe('(absent)')
    expect(diffValue(null, true)).toBe('null')
  })
})

describe('readiness in words', () => {
  const check = (
    name: string,
    ok: boolean,
    actual: number | null,
    threshold: number,
    comparator: '>=' | '<=',
  ) => ({
    name,
    ok,
    actual,
    threshold,
    comparator,
  })

  it('words every check, pass and fail', () => {
    expect(checkInWords(check('samples', false, 400, 1000, '>='))).toBe(
      'Only 400 runs; at least 1,000 needed',
    )
    expect(checkInWords(check('samples', true, 1500, 1000, '>='))).toBe('1,500 runs (at least 1,000 needed)')
    expect(checkInWords(check('matchRate', false, 0.75342, 0.995, '>='))).toBe(
      'Match rate 75.342% is below the 99.5% target',
    )
    expect(checkInWords(check('p95DeltaPct', false, 16.949, 10, '<='))).toBe(
      'Shadow p95 is +16.95% vs primary, over the +10% limit',
    )
    expect(checkInWords(check('shadowErrorRate', false, 0.0267, 0.01, '<='))).toBe(
      'Shadow failed 2.67% of runs (errors and timeouts), over the 1% limit',
    )
    expect(checkInWords(check('criticalMismatches', false, 3, 0, '<='))).toBe(
      '3 runs with a critical difference; at most 0 allowed',
    )
    expect(checkInWords(check('matchRate', false, null, 0.995, '>='))).toBe(
      'Match rate: not measured yet (no runs in the window); needs >= 99.5%',
    )
    expect(checkInWords(check('newCheck', false, 2, 1, '<='))).toBe('newCheck 2 fails <= 1')
  })

  it('lists only failures, with a prefix for operations', () => {
    const checks = [check('samples', true, 1500, 1000, '>='), check('matchRate', false, 0.9, 0.99, '>=')]
    expect(failuresInWords(checks, 'GET /a: ')).toEqual(['GET /a: Match rate 90% is below the 99% target'])
  })

  it('says the verdict in words', () => {
    expect(verdictInWords('go')).toBe('GO — ready for cutover')
    expect(verdictInWords('no-go')).toBe('NO-GO — not ready for cutover')
    expect(verdictInWords(null)).toBe('Verdict unknown')
  })
})

describe('the overview order', () => {
  const facts = (name: string, extra: Partial<AttentionFacts> = {}): AttentionFacts => ({
    name,
    verdict: 'go',
    alertSeverities: [],
    failedChecks: 0,
    matchRate: 1,
    runs: 100,
    ...extra,
  })

  it('puts critical alerts, then no-go, unknown and go; more alerts, failures, lower match rate first', () => {
    const cards = [
      facts('go-quiet'),
      facts('go-low', { matchRate: 0.9 }),
      facts('unknown', { verdict: null }),
      facts('nogo-1', { verdict: 'no-go', failedChecks: 1 }),
      facts('nogo-3', { verdict: 'no-go', failedChecks: 3 }),
      facts('nogo-alert', { verdict: 'no-go', failedChecks: 1, alertSeverities: ['major'] }),
      facts('go-critical', { alertSeverities: ['critical'] }),
      facts('a-go-quiet'),
    ]
    expect(cards.sort(byAttention).map((card) => card.name)).toEqual([
      'go-critical',
      'nogo-alert',
      'nogo-3',
      'nogo-1',
      'unknown',
      'go-low',
      'a-go-quiet',
      'go-quiet',
    ])
  })
})

describe('silence matchers', () => {
  it('splits on commas outside quotes, with or without braces', () => {
    expect(splitMatchers('experiment="checkout", severity=~"major|minor"')).toEqual([
      'experiment="checkout"',
      'severity=~"major|minor"',
    ])
    expect(splitMatchers('{path="a,b", x!="\\"q,\\""}')).toEqual(['path="a,b"', 'x!="\\"q,\\""'])
    expect(splitMatchers(' , ')).toEqual([])
  })
})
