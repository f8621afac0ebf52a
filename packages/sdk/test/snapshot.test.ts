import { ATTR_OUTCOME } from '@twinspan/conventions'
import { experiment } from '@twinspan/sdk'
import { beforeEach, describe, expect, it } from 'vitest'
import { exporter, theShadowSpan, tracer } from './support.js'

beforeEach(() => exporter.reset())

describe("snapshot of the primary's value", () => {
  it('a caller mutating its result cannot create a false mismatch', async () => {
    let release!: () => void
    const exp = experiment({
      name: 'mutating-caller',
      tracer,
      primary: () => ({ items: [{ sku: 'a', qty: 1 }] }),
      shadow: async () => {
        await new Promise<void>((resolve) => (release = resolve))
        return { items: [{ sku: 'a', qty: 1 }] }
      },
    })
    const order = await exp.run()
    for (const item of order.items) item.qty = 99
    order.items.push({ sku: 'b', qty: 1 })
    await new Promise((r) => setImmediate(r))
    release()
    await exp.flush()
    expect(theShadowSpan().attributes[ATTR_OUTCOME]).toBe('match')
  })

  it('uses the clone option when given', async () => {
    const cloned: unknown[] = []
    const exp = experiment({
      name: 'custom-clone',
      tracer,
      primary: () => ({ at: new Date(0), n: 1 }),
      shadow: () => ({ at: new Date(0), n: 1 }),
      clone: (value) => {
        cloned.push(value)
        return { ...value }
      },
    })
    const value = await exp.run()
    await exp.flush()
    expect(cloned).toEqual([value])
    expect(theShadowSpan().attributes[ATTR_OUTCOME]).toBe('match')
  })

  it('falls back to the value itself when it cannot be cloned, without hurting the caller', async () => {
    const format = () => 'formatted'
    const exp = experiment({
      name: 'uncloneable',
      tracer,
      primary: () => ({ total: 3, format }),
      shadow: () => ({ total: 3, format }),
    })
    const value = await exp.run()
    expect(value.format).toBe(format)
    await exp.flush()
    expect(theShadowSpan().attributes[ATTR_OUTCOME]).toBe('match')
  })

  it('a throwing clone is reported and the run goes on', async () => {
    const errors: string[] = []
    const exp = experiment({
      name: 'clone-throws',
      tracer,
      primary: () => ({ n: 1 }),
      shadow: () => ({ n: 1 }),
      clone: () => {
        throw new Error('clone bug')
      },
      onError: (_e, { callback }) => void errors.push(callback),
    })
    expect(await exp.run()).toEqual({ n: 1 })
    await exp.flush()
    expect(errors).toEqual(['clone'])
    expect(theShadowSpan().attributes[ATTR_OUTCOME]).toBe('match')
  })

  it('primitives need no copy', async () => {
    const exp = experiment({ name: 'primitive', tracer, primary: () => 'x', shadow: () => 'x' })
    expect(await exp.run()).toBe('x')
    await exp.flush()
    expect(theShadowSpan().attributes[ATTR_OUTCOME]).toBe('match')
  })
})
