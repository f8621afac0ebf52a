import { describe, expect, it } from 'vitest'
import { BadRequestError } from '../src/analysis/errors.js'
import { bucketFor, MAX_SERIES_POINTS, minuteRange, parseWindow } from '../src/analysis/window.js'

describe('parseWindow', () => {
  it.each([
    ['15m', 15 * 60_000],
    ['1h', 3_600_000],
    ['24h', 86_400_000],
    ['7d', 7 * 86_400_000],
    ['1m', 60_000],
    ['90d', 90 * 86_400_000],
    [' 2h ', 7_200_000],
  ])('reads %s', (text, ms) => {
    expect(parseWindow(text)).toEqual({ text: text.trim(), ms })
  })

  it.each(['', '1', 'h', '1w', '1.5h', '-1h', '1 h', '0m', '91d', '2161h', '9999999d', 'abc'])(
    'rejects %j with a 400 that names the key and the grammar',
    (text) => {
      const attempt = () => parseWindow(text, 'window')
      expect(attempt).toThrow(BadRequestError)
      expect(attempt).toThrow(/^window must be/)
    },
  )

  it('rejects non-strings', () => {
    expect(() => parseWindow(['1h'])).toThrow('window must be a whole number followed by m, h or d')
    expect(() => parseWindow(undefined)).toThrow(BadRequestError)
  })

  it('says what the bounds are', () => {
    expect(() => parseWindow('91d')).toThrow('window must be from 1m to 90d, got "91d"')
  })
})

describe('minuteRange', () => {
  it('covers whole minutes from the one holding now - window to the one holding now', () => {
    const now = Date.UTC(2026, 10, 21, 12, 30, 45, 500)
    expect(minuteRange(parseWindow('1h'), now)).toEqual({
      fromMinute: Date.UTC(2026, 10, 21, 11, 30) / 1000,
      toMinute: Date.UTC(2026, 10, 21, 12, 30) / 1000,
    })
  })
})

describe('bucketFor', () => {
  const now = Date.UTC(2026, 10, 21, 12, 30, 45)
  it.each([
    ['15m', '1m'],
    ['1h', '1m'],
    ['4h', '1m'],
    ['24h', '5m'],
    ['3d', '15m'],
    ['7d', '1h'],
    ['30d', '6h'],
    ['90d', '1d'],
  ])('buckets a %s window by %s', (window, bucket) => {
    const range = minuteRange(parseWindow(window), now)
    const chosen = bucketFor(range)
    expect(chosen.text).toBe(bucket)
    expect((range.toMinute - range.fromMinute) / chosen.seconds + 2).toBeLessThanOrEqual(MAX_SERIES_POINTS)
  })
})
