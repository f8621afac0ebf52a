/**
 * The shipping-cost migration from the seed article: a legacy calculator and its modern rules-engine
 * replacement. The modern one has a realistic edge-case bug — weights exactly on a tier boundary fall
 * into the next tier (`<` where legacy had `<=`) — so a parallel run finds it on real-looking traffic.
 */

export interface Shipment {
  id: string
  customerId: string
  carrier: 'ups' | 'dhl' | 'fedex'
  weightKg: number
  destination: 'domestic' | 'eu' | 'world'
}

export interface ShippingCost {
  cost: number
  currency: 'EUR'
  carrier: Shipment['carrier']
}

const TIERS = [
  { upToKg: 1, base: 4.9 },
  { upToKg: 5, base: 7.5 },
  { upToKg: 20, base: 14 },
  { upToKg: Number.POSITIVE_INFINITY, base: 29 },
]
const ZONE_FACTOR = { domestic: 1, eu: 1.6, world: 2.9 }
const CARRIER_SURCHARGE = { ups: 0.5, dhl: 0, fedex: 1.25 }

const round2 = (n: number) => Math.round(n * 100) / 100

/** The trusted implementation. */
export function legacyShippingCost(shipment: Shipment): ShippingCost {
  const tier = TIERS.find((t) => shipment.weightKg <= t.upToKg) ?? TIERS[TIERS.length - 1]
  const cost = round2(
    (tier?.base ?? 0) * ZONE_FACTOR[shipment.destination] + CARRIER_SURCHARGE[shipment.carrier],
  )
  return { cost, currency: 'EUR', carrier: shipment.carrier }
}

/** The candidate: same table, but a strict `<` on tier boundaries. */
export async function modernShippingCost(shipment: Shipment): Promise<ShippingCost> {
  const tier = TIERS.find((t) => shipment.weightKg < t.upToKg) ?? TIERS[TIERS.length - 1]
  const cost = round2(
    (tier?.base ?? 0) * ZONE_FACTOR[shipment.destination] + CARRIER_SURCHARGE[shipment.carrier],
  )
  return { cost, currency: 'EUR', carrier: shipment.carrier }
}

/** True when the modern calculator disagrees with the legacy one for this shipment. */
export function isBoundaryWeight(weightKg: number): boolean {
  return TIERS.some((t) => t.upToKg === weightKg)
}

/** A deterministic stream of shipments (seeded), about one in six on a tier boundary. */
export function* shipments(seed = 1): Generator<Shipment, never> {
  let state = seed >>> 0 || 1
  const next = () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 2 ** 32
  }
  const carriers = ['ups', 'dhl', 'fedex'] as const
  const zones = ['domestic', 'eu', 'world'] as const
  for (let i = 1; ; i++) {
    const onBoundary = next() < 1 / 6
    const weightKg = onBoundary ? ([1, 5, 20][Math.floor(next() * 3)] ?? 1) : round2(0.1 + next() * 30)
    yield {
      id: `shp-${i}`,
      customerId: `cus-${Math.floor(next() * 500)}`,
      carrier: carriers[Math.floor(next() * 3)] ?? 'dhl',
      weightKg,
      destination: zones[Math.floor(next() * 3)] ?? 'domestic',
    }
  }
}
