import { SpanStatusCode } from '@opentelemetry/api'
import { compare } from '@twinspan/compare'
import {
  ATTR_DIFF_COUNT,
  ATTR_DIFF_PATHS,
  ATTR_ERROR_TYPE,
  ATTR_OUTCOME,
  ATTR_PRIMARY_ERROR_TYPE,
  ATTR_SEVERITY,
} from '@twinspan/conventions'
import { experiment, type RunResult } from '@twinspan/sdk'
import { beforeEach, describe, expect, it } from 'vitest'
import { diffOf, exporter, theShadowSpan, tracer } from './support.js'

beforeEach(() => exporter.reset())

interface Cost {
  cost: number
  carrier: string
}

async function once<T>(options: {
  primary: () => T | Promise<T>
  shadow: () => T | Promise<T>
  compare?: Parameters<typeof experiment>[0]['compare']
  timeoutMs?: number
}): Promise<RunResult> {
  let result: RunResult | undefined
  const exp = experiment({
    name: 'outcomes',
    tracer,
    ...options,
    onResult: (r) => {
      result = r
    },
  })
  await exp.run().catch(() => {})
  await exp.flush()
  if (!result) throw new Error('no result published')
  return result
}

describe('outcomes', () => {
  it('match: equal values, severity none, no differences', async () => {
    const result = await once<Cost>({
      primary: () => ({ cost: 5, carrier: 'dhl' }),
      shadow: async () => ({ cost: 5, carrier: 'dhl' }),
    })
    expect(result).toMatchObject({ outcome: 'match', severity: 'none', differences: [] })
    const span = theShadowSpan()
    expect(span.attributes).toMatchObject({
      [ATTR_OUTCOME]: 'match',
      [ATTR_SEVERITY]: 'none',
      [ATTR_DIFF_COUNT]: 0,
    })
    expect(span.status.code).not.toBe(SpanStatusCode.ERROR)
  })

  it('mismatch: differences and severity come from the compare options', async () => {
    const result = await once<Cost>({
      primary: () => ({ cost: 5, carrier: 'dhl' }),
      shadow: () => ({ cost: 6, carrier: 'dhl' }),
      compare: { defaultSeverity: 'critical' },
    })
    expect(result.outcome).toBe('mismatch')
    expect(result.severity).toBe('critical')
    expect(result.differences).toEqual([
      { path: 'cost', kind: 'changed', primary: 5, shadow: 6, severity: 'critical' },
    ])
    const span = theShadowSpan()
    expect(span.attributes[ATTR_DIFF_PATHS]).toEqual(['cost'])
    expect(span.attributes[ATTR_DIFF_COUNT]).toBe(1)
    expect(diffOf(span)).toEqual([
      { path: 'cost', kind: 'changed', severity: 'critical', primary: 5, shadow: 6 },
    ])
  })

  const rulesSupported = (() => {
    try {
      return compare({ cost: 1 }, { cost: 1.005 }, { rules: { cost: { tolerance: 0.01 } } } as never).matches
    } catch {
      return false
    }
  })()
  it.runIf(rulesSupported)('passes compare rules through to the engine (tolerance)', async () => {
    const rules = { rules: { cost: { tolerance: 0.01, severity: 'critical' } } } as never
    expect(
      (await once({ primary: () => ({ cost: 1 }), shadow: () => ({ cost: 1.005 }), compare: rules })).outcome,
    ).toBe('match')
    exporter.reset()
    const off = await once({ primary: () => ({ cost: 1 }), shadow: () => ({ cost: 1.5 }), compare: rules })
    expect(off).toMatchObject({ outcome: 'mismatch', severity: 'critical' })
  })

  it('shadow_error: a synchronous throw, recorded per OTel conventions', async () => {
    const bug = new TypeError('shadow bug')
    const result = await once({
      primary: () => 1,
      shadow: () => {
        throw bug
      },
    })
    expect(result).toMatchObject({ outcome: 'shadow_error', severity: 'none' })
    expect(result.shadow.error).toBe(bug)
    const span = theShadowSpan()
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe('TypeError')
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'shadow bug' })
    const exception = span.events.find((e) => e.name === 'exception')
    expect(exception?.attributes?.['exception.message']).toBe('shadow bug')
    expect(exception?.attributes?.['exception.type']).toBe('TypeError')
  })

  it('shadow_error: a rejection, and a non-Error rejection', async () => {
    expect(
      (await once({ primary: async () => 1, shadow: () => Promise.reject(new Error('down')) })).outcome,
    ).toBe('shadow_error')
    exporter.reset()
    const odd = await once({ primary: async () => 1, shadow: () => Promise.reject('plain string') })
    expect(odd.outcome).toBe('shadow_error')
    expect(theShadowSpan().attributes[ATTR_ERROR_TYPE]).toBe('string')
  })

  it('timeout: a shadow that never settles is cut off at timeoutMs', async () => {
    const result = await once({
      primary: () => 1,
      shadow: () => new Promise<number>(() => {}),
      timeoutMs: 20,
    })
    expect(result.outcome).toBe('timeout')
    expect(result.shadow.durationMs).toBeGreaterThanOrEqual(15)
    const span = theShadowSpan()
    expect(span.attributes[ATTR_OUTCOME]).toBe('timeout')
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe('timeout')
    expect(span.status.code).toBe(SpanStatusCode.ERROR)
  })

  it('both throw the same error: match (compared with compareErrors)', async () => {
    const result = await once({
      primary: (): number => {
        throw new RangeError('out of range')
      },
      shadow: async (): Promise<number> => {
        throw new RangeError('out of range')
      },
    })
    expect(result.outcome).toBe('match')
    expect(theShadowSpan().attributes[ATTR_PRIMARY_ERROR_TYPE]).toBe('RangeError')
  })

  it('both throw different errors: mismatch', async () => {
    const result = await once({
      primary: (): number => {
        throw new RangeError('out of range')
      },
      shadow: (): number => {
        throw new RangeError('different message')
      },
    })
    expect(result.outcome).toBe('mismatch')
    expect(result.differences.length).toBeGreaterThan(0)
  })

  it('primary throws, shadow answers: mismatch of kind type at the root', async () => {
    const result = await once({
      primary: (): number => {
        throw new Error('legacy failed')
      },
      shadow: () => 7,
    })
    expect(result.outcome).toBe('mismatch')
    expect(result.differences[0]).toMatchObject({ path: '', kind: 'type', shadow: 7 })
    expect(theShadowSpan().attributes[ATTR_PRIMARY_ERROR_TYPE]).toBe('Error')
  })
})

describe('custom compare function', () => {
  it('a boolean decides match or mismatch', async () => {
    const byCost = (a: Cost, b: Cost) => a.cost === b.cost
    const same = await once<Cost>({
      primary: () => ({ cost: 1, carrier: 'a' }),
      shadow: () => ({ cost: 1, carrier: 'b' }),
      compare: byCost as never,
    })
    expect(same.outcome).toBe('match')
    const different = await once<Cost>({
      primary: () => ({ cost: 1, carrier: 'a' }),
      shadow: () => ({ cost: 2, carrier: 'a' }),
      compare: byCost as never,
    })
    expect(different).toMatchObject({ outcome: 'mismatch', severity: 'major' })
    expect(different.differences[0]).toMatchObject({ path: '', kind: 'changed' })
  })

  it('a Comparison is used as it is', async () => {
    const result = await once({
      primary: () => 1,
      shadow: () => 2,
      compare: () => ({
        matches: false,
        severity: 'minor',
        differences: [{ path: 'x', kind: 'changed', primary: 1, shadow: 2, severity: 'minor' }],
      }),
    })
    expect(result).toMatchObject({ outcome: 'mismatch', severity: 'minor' })
    expect(theShadowSpan().attributes[ATTR_DIFF_PATHS]).toEqual(['x'])
  })

  it('is typed from the primary', () => {
    experiment({
      name: 'typed-compare',
      tracer,
      primary: (): Cost => ({ cost: 1, carrier: 'a' }),
      shadow: () => ({ cost: 1, carrier: 'a' }),
      compare: (a, b) => a.cost === b.cost && a.carrier.length === b.carrier.length,
    })
  })
})

describe('cyclic values', () => {
  it('a shadow returning a cyclic object is compared and recorded without breaking', async () => {
    type Node = { id: number; self?: Node }
    const cyclic: Node = { id: 2 }
    cyclic.self = cyclic
    const primaryValue: Node = { id: 1 }
    primaryValue.self = primaryValue
    const result = await once<Node>({ primary: () => primaryValue, shadow: () => cyclic })
    expect(result.outcome).toBe('mismatch')
    const diff = diffOf(theShadowSpan()) // valid JSON despite the cycles
    expect(diff.length).toBeGreaterThan(0)
    expect(JSON.stringify(diff)).not.toContain('"self":{"id"') // cycles are cut, not unrolled
  })

  it('equal cyclic objects on both sides never throw into the caller', async () => {
    const make = () => {
      const node: { id: number; self?: unknown } = { id: 1 }
      node.self = node
      return node
    }
    const exp = experiment({ name: 'cyclic-equal', tracer, primary: make, shadow: make })
    expect((await exp.run()).id).toBe(1)
    await exp.flush()
    expect(['match', 'mismatch']).toContain(theShadowSpan().attributes[ATTR_OUTCOME])
    expect(() => diffOf(theShadowSpan())).not.toThrow()
  })
})
