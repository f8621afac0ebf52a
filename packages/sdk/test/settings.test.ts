import { DEFAULTS, experiment } from '@twinspan/sdk'
import { describe, expect, it } from 'vitest'
import { tracer } from './support.js'

const base = { name: 'settings', tracer, primary: (n: number) => n, shadow: (n: number) => n }

describe('settings', () => {
  it('are frozen at creation, with every default filled in', () => {
    const options = { ...base, sampleRate: 0.5 }
    const exp = experiment(options)
    options.sampleRate = 1 // mutating the input later changes nothing
    expect(exp.settings.sampleRate).toBe(0.5)
    expect(Object.isFrozen(exp.settings)).toBe(true)
    expect(Object.isFrozen(exp)).toBe(true)
    expect(exp.settings).toMatchObject({
      mode: DEFAULTS.mode,
      enabled: true,
      timeoutMs: 5000,
      maxInFlight: 64,
      serve: 'primary',
      blockSideEffects: false,
      redact: [],
      throwOnMismatch: false,
    })
    expect(() => {
      ;(exp.settings as { sampleRate: number }).sampleRate = 1
    }).toThrow(TypeError)
  })

  it('configure replaces the frozen settings and refuses to change identity', () => {
    const exp = experiment(base)
    const before = exp.settings
    exp.configure({ sampleRate: 0.1, timeoutMs: 250 })
    expect(exp.settings).not.toBe(before)
    expect(exp.settings).toMatchObject({ sampleRate: 0.1, timeoutMs: 250 })
    expect(before.sampleRate).toBe(1)
    expect(() => exp.configure({ name: 'other' } as never)).toThrow(/configure cannot change name/)
    expect(() => exp.configure({ sampleRate: 2 })).toThrow(/sampleRate must be a number from 0 to 1, got 2/)
    expect(exp.settings.sampleRate).toBe(0.1) // a rejected change leaves the settings as they were
  })

  it.each([
    [{ sampleRate: -0.1 }, /sampleRate must be a number from 0 to 1/],
    [{ mode: 'parallel' }, /mode must be one of background, concurrent, sequential/],
    [{ timeoutMs: 0 }, /timeoutMs must be a positive number/],
    [{ maxInFlight: 1.5 }, /maxInFlight must be a positive integer/],
    [{ serve: { shadowPercent: 150 } }, /serve.shadowPercent must be a number from 0 to 100/],
    [
      { serve: { shadowPercent: 5, candidate: 'nope' } },
      /serve.candidate 'nope' is not one of the candidates \(shadow\)/,
    ],
    [{ shadow: undefined }, /shadow or shadows is required/],
    [{ shadows: { a: (n: number) => n } }, /give either shadow or shadows, not both/],
    [{ name: '' }, /name must be a non-empty string/],
    [{ redact: [''] }, /redact: patterns must be non-empty strings/],
    [{ onResult: 'log' }, /onResult must be a function/],
    [{ compare: { defaultSeverity: 'huge' } }, /compare: defaultSeverity must be one of/],
  ])('rejects %j naming the setting', (bad, message) => {
    expect(() => experiment({ ...base, ...bad } as never)).toThrow(message)
  })

  it('names the experiment in its errors', () => {
    expect(() => experiment({ ...base, name: 'shipping-cost', sampleRate: 5 })).toThrow(
      "twinspan: experiment 'shipping-cost': sampleRate must be a number from 0 to 1, got 5",
    )
  })
})
