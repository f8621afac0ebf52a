import { ATTR_OUTCOME } from '@twinspan/conventions'
import { experiment } from '@twinspan/sdk'
import { beforeEach, describe, expect, it } from 'vitest'
import { busy, exporter, gate, shadowSpans, theShadowSpan, tick, tracer } from './support.js'

beforeEach(() => exporter.reset())

describe('background mode (default)', () => {
  it('answers with the primary before the shadow settles, and records the shadow once it does', async () => {
    const shadowGate = gate<number>()
    const shipping = experiment({
      name: 'shipping-cost',
      tracer,
      primary: (weight: number) => weight * 2,
      shadow: () => shadowGate.promise,
    })
    expect(shipping.settings.mode).toBe('background')
    expect(await shipping.run(3)).toBe(6)
    await tick()
    expect(shadowSpans()).toHaveLength(0)
    expect(shipping.inFlight).toBe(1)

    shadowGate.open(6)
    await shipping.flush()
    expect(shipping.inFlight).toBe(0)
    expect(theShadowSpan().attributes[ATTR_OUTCOME]).toBe('match')
  })

  it("starts the shadow after the caller resumed, so its synchronous work is off the caller's path", async () => {
    const events: string[] = []
    const exp = experiment({
      name: 'cpu-shadow',
      tracer,
      primary: () => {
        events.push('primary')
        return 1
      },
      shadow: () => {
        events.push('shadow')
        busy(20)
        return 1
      },
    })
    const started = performance.now()
    await exp.run()
    const callerLatency = performance.now() - started
    events.push('caller')
    await exp.flush()
    expect(events).toEqual(['primary', 'caller', 'shadow'])
    expect(callerLatency).toBeLessThan(20)
  })
})

describe('concurrent mode', () => {
  it('waits for both sides, started together, and returns the primary', async () => {
    const shadowGate = gate<string>()
    let shadowStarted = false
    const exp = experiment({
      name: 'concurrent',
      tracer,
      mode: 'concurrent',
      primary: async () => {
        expect(shadowStarted).toBe(false)
        await tick()
        expect(shadowStarted).toBe(true) // the shadow started while the primary was pending
        return 'p'
      },
      shadow: () => {
        shadowStarted = true
        return shadowGate.promise
      },
    })
    let settled = false
    const running = exp.run().then((value) => {
      settled = true
      return value
    })
    for (let i = 0; i < 5; i++) await tick()
    expect(settled).toBe(false)
    shadowGate.open('s')
    expect(await running).toBe('p')
    await exp.flush()
    expect(theShadowSpan().attributes[ATTR_OUTCOME]).toBe('mismatch')
  })
})

describe('sequential mode', () => {
  it('runs one side after the other, in random order', async () => {
    const orders = new Set<string>()
    let active = 0
    let overlapped = false
    let order: string[] = []
    const side = (name: string) => async () => {
      active++
      if (active > 1) overlapped = true
      order.push(name)
      await tick()
      active--
      return 42
    }
    const exp = experiment({
      name: 'sequential',
      tracer,
      mode: 'sequential',
      primary: side('primary'),
      shadow: side('shadow'),
    })
    for (let i = 0; i < 64; i++) {
      order = []
      expect(await exp.run()).toBe(42)
      orders.add(order.join('>'))
    }
    await exp.flush()
    expect(overlapped).toBe(false)
    expect([...orders].sort()).toEqual(['primary>shadow', 'shadow>primary'])
    expect(shadowSpans().every((s) => s.attributes[ATTR_OUTCOME] === 'match')).toBe(true)
  })
})

describe.each(['background', 'concurrent', 'sequential'] as const)('%s mode: errors', (mode) => {
  it("rethrows the primary's error unchanged", async () => {
    const boom = new RangeError('primary down')
    const exp = experiment({
      name: `primary-throws-${mode}`,
      tracer,
      mode,
      primary: async (_n: number): Promise<number> => {
        throw boom
      },
      shadow: async () => 1,
    })
    await expect(exp.run(1)).rejects.toBe(boom)
    const sync = experiment({
      name: `primary-throws-sync-${mode}`,
      tracer,
      mode,
      primary: (): number => {
        throw boom
      },
      shadow: () => 1,
    })
    await expect(sync.run()).rejects.toBe(boom)
    await Promise.all([exp.flush(), sync.flush()])
  })

  it('never lets a shadow error reach the caller', async () => {
    const throwsSync = experiment({
      name: `shadow-throws-${mode}`,
      tracer,
      mode,
      primary: () => 'ok',
      shadow: (): string => {
        throw new Error('shadow bug')
      },
    })
    const rejects = experiment({
      name: `shadow-rejects-${mode}`,
      tracer,
      mode,
      primary: async () => 'ok',
      shadow: async (): Promise<string> => {
        throw new TypeError('shadow rejects')
      },
    })
    expect(await throwsSync.run()).toBe('ok')
    expect(await rejects.run()).toBe('ok')
    await Promise.all([throwsSync.flush(), rejects.flush()])
    expect(shadowSpans().map((s) => s.attributes[ATTR_OUTCOME])).toEqual(['shadow_error', 'shadow_error'])
  })
})
