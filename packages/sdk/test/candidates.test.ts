import {
  ATTR_CANDIDATE,
  ATTR_CANDIDATES,
  ATTR_OUTCOME,
  ATTR_RUN_ID,
  ATTR_SERVED,
} from '@twinspan/conventions'
import { cohortOf, experiment, type RunResult } from '@twinspan/sdk'
import { beforeEach, describe, expect, it } from 'vitest'
import { exporter, primaryOf, primarySpans, shadowSpans, theShadowSpan, tracer } from './support.js'

beforeEach(() => exporter.reset())

interface Shipment {
  customerId: string
  weight: number
}
const legacy = (s: Shipment) => ({ cost: s.weight * 2 })

describe('several candidates', () => {
  it('runs each as its own shadow span with parallel_run.candidate, linked to one primary span', async () => {
    const results: RunResult[] = []
    const exp = experiment({
      name: 'multi',
      tracer,
      primary: legacy,
      shadows: {
        rules: (s) => ({ cost: s.weight * 2 }),
        v3: async (s) => ({ cost: s.weight * 3 }),
      },
      onResult: (r) => void results.push(r),
    })
    expect(await exp.run({ customerId: 'c1', weight: 5 })).toEqual({ cost: 10 })
    await exp.flush()
    expect(primarySpans()).toHaveLength(1)
    expect(primarySpans()[0]?.attributes[ATTR_CANDIDATES]).toEqual(['rules', 'v3'])
    const [rules] = shadowSpans('rules')
    const [v3] = shadowSpans('v3')
    expect(rules?.attributes[ATTR_OUTCOME]).toBe('match')
    expect(v3?.attributes[ATTR_OUTCOME]).toBe('mismatch')
    expect(rules?.attributes[ATTR_RUN_ID]).toBe(v3?.attributes[ATTR_RUN_ID])
    expect(primaryOf(rules as never)?.spanContext().spanId).toBe(v3?.links[0]?.context.spanId)
    expect(results.map((r) => [r.candidate, r.outcome]).sort()).toEqual([
      ['rules', 'match'],
      ['v3', 'mismatch'],
    ])
  })

  it('records a fast candidate without waiting for a slow one', async () => {
    let release!: () => void
    const exp = experiment({
      name: 'fast-slow',
      tracer,
      primary: () => 1,
      shadows: { fast: () => 1, slow: () => new Promise<number>((r) => (release = () => r(1))) },
    })
    await exp.run()
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r))
    expect(shadowSpans('fast')).toHaveLength(1)
    expect(shadowSpans('slow')).toHaveLength(0)
    release()
    await exp.flush()
    expect(shadowSpans('slow')).toHaveLength(1)
  })
})

describe('cutover serving', () => {
  it("serve: 'shadow' returns the shadow's answer and still compares", async () => {
    const exp = experiment({
      name: 'serve-shadow',
      tracer,
      serve: 'shadow',
      primary: legacy,
      shadow: async (s: Shipment) => ({ cost: s.weight * 2 + 1 }),
    })
    expect(await exp.run({ customerId: 'c', weight: 1 })).toEqual({ cost: 3 })
    await exp.flush()
    const span = theShadowSpan()
    expect(span.attributes[ATTR_SERVED]).toBe('shadow')
    expect(span.attributes[ATTR_OUTCOME]).toBe('mismatch')
  })

  it("falls back to the primary's answer when the served shadow throws or times out", async () => {
    const throws = experiment({
      name: 'serve-fallback',
      tracer,
      serve: 'shadow',
      primary: legacy,
      shadow: (): { cost: number } => {
        throw new Error('new engine down')
      },
    })
    expect(await throws.run({ customerId: 'c', weight: 2 })).toEqual({ cost: 4 })
    await throws.flush()
    expect(theShadowSpan().attributes).toMatchObject({
      [ATTR_SERVED]: 'primary',
      [ATTR_OUTCOME]: 'shadow_error',
    })

    exporter.reset()
    const hangs = experiment({
      name: 'serve-timeout',
      tracer,
      serve: 'shadow',
      timeoutMs: 10,
      primary: legacy,
      shadow: () => new Promise<{ cost: number }>(() => {}),
    })
    expect(await hangs.run({ customerId: 'c', weight: 3 })).toEqual({ cost: 6 })
    await hangs.flush()
    expect(theShadowSpan().attributes).toMatchObject({ [ATTR_SERVED]: 'primary', [ATTR_OUTCOME]: 'timeout' })
  })

  it('a successful served shadow answers even when the primary throws', async () => {
    const exp = experiment({
      name: 'serve-primary-throws',
      tracer,
      serve: 'shadow',
      mode: 'concurrent',
      primary: (): number => {
        throw new Error('legacy down')
      },
      shadow: () => 5,
    })
    expect(await exp.run()).toBe(5)
    await exp.flush()
  })

  it('a served value mutated by the caller is compared as it was', async () => {
    const exp = experiment({
      name: 'serve-snapshot',
      tracer,
      serve: 'shadow',
      primary: () => ({ cost: 1 }),
      shadow: () => ({ cost: 1 }),
    })
    const answer = await exp.run()
    answer.cost = 999
    await exp.flush()
    expect(theShadowSpan().attributes[ATTR_OUTCOME]).toBe('match')
  })

  it('shadowPercent serves a sticky share of sample keys, and names the candidate', async () => {
    const exp = experiment({
      name: 'canary',
      tracer,
      primary: (s: Shipment) => `legacy:${s.customerId}`,
      shadows: { old: (s) => `legacy:${s.customerId}`, next: (s) => `next:${s.customerId}` },
      serve: { shadowPercent: 30, candidate: 'next' },
      sampleKey: (s) => s.customerId,
      maxInFlight: 1000, // this loop never yields to the event loop, so background shadows pile up
    })
    const customers = Array.from({ length: 200 }, (_, i) => `customer-${i}`)
    let served = 0
    for (const customerId of customers) {
      const first = await exp.run({ customerId, weight: 1 })
      const again = await exp.run({ customerId, weight: 1 })
      expect(again).toBe(first) // sticky
      const expected = cohortOf('canary', customerId) < 0.3
      expect(first).toBe(expected ? `next:${customerId}` : `legacy:${customerId}`)
      if (expected) served++
    }
    await exp.flush()
    expect(served).toBeGreaterThan(30)
    expect(served).toBeLessThan(90)
    const shadowServed = shadowSpans('next').filter((s) => s.attributes[ATTR_SERVED] === 'shadow')
    expect(shadowServed).toHaveLength(served * 2)
    expect(shadowServed.every((s) => s.attributes[ATTR_CANDIDATE] === 'next')).toBe(true)
  })
})
