import { describe, expect, it } from 'vitest'
import { ConfigError, parseConfig } from '../src/config/config.js'
import { DEFAULT_READINESS, readinessFor } from '../src/config/experiments.js'

describe('experiments.<name>.readiness', () => {
  it('fills in documented defaults', () => {
    expect(DEFAULT_READINESS).toEqual({
      minMatchRate: 0.995,
      minSamples: 1000,
      window: '7d',
      maxP95DeltaPct: 10,
      maxShadowErrorRate: 0.01,
      maxCriticalMismatches: null,
    })
    const config = parseConfig({ experiments: { 'shipping-cost': { readiness: { minMatchRate: 0.99 } } } })
    expect(config.experiments['shipping-cost']?.readiness).toEqual({
      ...DEFAULT_READINESS,
      minMatchRate: 0.99,
      operations: {},
    })
    expect(readinessFor(config.experiments, 'unconfigured')).toEqual({ ...DEFAULT_READINESS, operations: {} })
  })

  it('reads every key and per-operation overrides', () => {
    const config = parseConfig({
      experiments: {
        'shipping-cost': {
          readiness: {
            minMatchRate: 0.995,
            minSamples: 1000,
            window: '7d',
            maxP95DeltaPct: 10,
            maxShadowErrorRate: 0.01,
            maxCriticalMismatches: 0,
            operations: { 'GET /orders/:id': { minMatchRate: 0.99, minSamples: '200' } },
          },
        },
        empty: null,
      },
    })
    expect(config.experiments['shipping-cost']?.readiness.operations).toEqual({
      'GET /orders/:id': { minMatchRate: 0.99, minSamples: 200 },
    })
    expect(config.experiments['shipping-cost']?.readiness.maxCriticalMismatches).toBe(0)
    expect(config.experiments.empty?.readiness).toEqual({ ...DEFAULT_READINESS, operations: {} })
  })

  it.each([
    [
      { minMatchRate: 1.5 },
      'config: experiments.shipping-cost.readiness.minMatchRate must be a number from 0 to 1, got 1.5',
    ],
    [
      { minMatchRate: 'high' },
      'config: experiments.shipping-cost.readiness.minMatchRate must be a number from 0 to 1, got "high"',
    ],
    [
      { minSamples: 2.5 },
      'config: experiments.shipping-cost.readiness.minSamples must be an integer of at least 0, got 2.5',
    ],
    [
      { maxShadowErrorRate: -0.1 },
      'config: experiments.shipping-cost.readiness.maxShadowErrorRate must be a number from 0 to 1',
    ],
    [
      { maxP95DeltaPct: 'ten' },
      'config: experiments.shipping-cost.readiness.maxP95DeltaPct must be a number',
    ],
    [
      { window: '2w' },
      'config: experiments.shipping-cost.readiness.window must be a whole number followed by m, h or d',
    ],
    [{ window: '365d' }, 'config: experiments.shipping-cost.readiness.window must be from 1m to 90d'],
    [{ minMatchrate: 0.9 }, 'config: unknown key experiments.shipping-cost.readiness.minMatchrate'],
    [{ operations: [] }, 'config: experiments.shipping-cost.readiness.operations must be a mapping'],
    [
      { operations: { 'GET /x': { window: '1h' } } },
      'config: unknown key experiments.shipping-cost.readiness.operations.GET /x.window',
    ],
    [
      { operations: { 'GET /x': { minMatchRate: 2 } } },
      'config: experiments.shipping-cost.readiness.operations.GET /x.minMatchRate must be a number from 0 to 1',
    ],
  ])('rejects %j naming the key', (readiness, message) => {
    const attempt = () => parseConfig({ experiments: { 'shipping-cost': { readiness } } })
    expect(attempt).toThrow(ConfigError)
    expect(attempt).toThrow(message)
  })

  it('rejects unknown experiment keys', () => {
    expect(() => parseConfig({ experiments: { x: { readines: {} } } })).toThrow(
      'config: unknown key experiments.x.readines (expected one of: readiness)',
    )
  })
})
