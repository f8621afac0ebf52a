import { type Experiment, experiment } from '@twinspan/sdk'
import { describe, expect, expectTypeOf, it } from 'vitest'
import { tracer } from './support.js'

interface Shipment {
  customerId: string
  weight: number
}
interface ShippingCost {
  cost: number
  currency: 'EUR' | 'USD'
}
const legacy = {
  calculate: (s: Shipment, express = false): ShippingCost => ({
    cost: s.weight * (express ? 3 : 2),
    currency: 'EUR',
  }),
}
const modern = {
  calculate: async (s: Shipment, express = false): Promise<ShippingCost> => legacy.calculate(s, express),
}

describe('types', () => {
  it('run is typed exactly from primary: its parameters, and its awaited value', async () => {
    const shipping = experiment({
      name: 'typed',
      tracer,
      primary: (s: Shipment, express?: boolean) => legacy.calculate(s, express),
      shadow: (s, express) => modern.calculate(s, express), // parameters inferred from primary
      sampleKey: (s) => s.customerId,
      operation: (_s, express) => (express ? 'express' : 'standard'),
    })
    expectTypeOf(shipping.run).parameters.toEqualTypeOf<[s: Shipment, express?: boolean]>()
    expectTypeOf(shipping.run).returns.toEqualTypeOf<Promise<ShippingCost>>()
    expectTypeOf(shipping).toEqualTypeOf<Experiment<(s: Shipment, express?: boolean) => ShippingCost>>()
    const cost = await shipping.run({ customerId: 'c', weight: 2 })
    expect(cost.cost).toBe(4)

    // @ts-expect-error wrong argument type
    await shipping.run({ customerId: 'c' }).catch(() => {})
    experiment({
      name: 'typed-wrong-shadow',
      tracer,
      primary: (s: Shipment) => legacy.calculate(s),
      // @ts-expect-error the shadow must answer like the primary
      shadow: (s: Shipment) => s.weight,
    })
    await shipping.flush()
  })

  it('async primaries resolve to their awaited value', () => {
    const exp = experiment({
      name: 'typed-async',
      tracer,
      primary: async (id: number) => `order-${id}`,
      shadow: (id) => `order-${id}`,
    })
    expectTypeOf(exp.run).toEqualTypeOf<(id: number) => Promise<string>>()
  })
})
