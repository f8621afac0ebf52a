/** Deterministic, realistic order documents for the benchmark: same seed, same documents. */

export type Random = () => number

/** mulberry32: a small seeded PRNG, good enough to vary test data. */
export function seeded(seed: number): Random {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const WORDS = [
  'alpine',
  'basalt',
  'cedar',
  'delta',
  'ember',
  'fjord',
  'granite',
  'harbor',
  'indigo',
  'juniper',
]
const CITIES = ['Berlin', 'Lisbon', 'Oslo', 'Vienna', 'Dublin', 'Turin', 'Ghent', 'Lyon']
const CARRIERS = ['dhl', 'ups', 'dpd', 'gls', 'postnord']

function pick<T>(random: Random, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)] as T
}

function hex(random: Random, length: number): string {
  let text = ''
  for (let i = 0; i < length; i++) text += Math.floor(random() * 16).toString(16)
  return text
}

function money(random: Random, max: number): number {
  return Math.round(random() * max * 100) / 100
}

function address(random: Random) {
  return {
    line1: `${Math.floor(random() * 200) + 1} ${pick(random, WORDS)} street`,
    line2: random() < 0.3 ? `apartment ${Math.floor(random() * 50)}` : null,
    city: pick(random, CITIES),
    postcode: String(10000 + Math.floor(random() * 89999)),
    country: pick(random, ['DE', 'PT', 'NO', 'AT', 'IE', 'IT', 'BE', 'FR']),
  }
}

function item(random: Random, index: number) {
  const price = money(random, 200)
  const qty = 1 + Math.floor(random() * 4)
  return {
    sku: `SKU-${index}-${hex(random, 6)}`,
    name: `${pick(random, WORDS)} ${pick(random, WORDS)} ${pick(random, ['jacket', 'boot', 'tent', 'pack'])}`,
    qty,
    price,
    discounts:
      random() < 0.4 ? [{ code: `SAVE${Math.floor(random() * 30)}`, amount: money(random, 10) }] : [],
    attributes: {
      color: pick(random, WORDS),
      size: pick(random, ['S', 'M', 'L', 'XL']),
      weightKg: money(random, 5),
    },
    tax: { rate: 0.19, amount: Math.round(price * qty * 19) / 100 },
    inStock: random() < 0.9,
  }
}

/** An order with `items` line items. */
export function order(random: Random, items: number) {
  const lines = Array.from({ length: items }, (_, i) => item(random, i))
  const subtotal = lines.reduce((sum, line) => sum + line.price * line.qty, 0)
  const tax = lines.reduce((sum, line) => sum + line.tax.amount, 0)
  return {
    id: `ord_${hex(random, 16)}`,
    createdAt: new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 3e10)).toISOString(),
    status: pick(random, ['placed', 'paid', 'packed', 'shipped']),
    currency: 'EUR',
    customer: {
      id: `cus_${hex(random, 12)}`,
      name: `${pick(random, WORDS)} ${pick(random, WORDS)}`,
      email: `${pick(random, WORDS)}.${hex(random, 4)}@example.com`,
      address: address(random),
      loyalty: { tier: pick(random, ['none', 'silver', 'gold']), points: Math.floor(random() * 5000) },
    },
    items: lines,
    totals: {
      subtotal: Math.round(subtotal * 100) / 100,
      tax: Math.round(tax * 100) / 100,
      shipping: money(random, 15),
      grandTotal: Math.round((subtotal + tax) * 100) / 100,
    },
    shipping: { carrier: pick(random, CARRIERS), service: 'standard', address: address(random) },
    payments: [
      {
        id: `pay_${hex(random, 8)}`,
        method: 'card',
        amount: Math.round(subtotal * 100) / 100,
        status: 'captured',
      },
    ],
    meta: { requestId: hex(random, 32), traceId: hex(random, 32), source: 'web', tags: ['checkout', 'eu'] },
  }
}

export type Order = ReturnType<typeof order>

/** The first order (from `seed`) whose JSON is at least `bytes` long. */
export function orderOfSize(seed: number, bytes: number): Order {
  for (let items = 1; ; items++) {
    const candidate = order(seeded(seed), items)
    if (JSON.stringify(candidate).length >= bytes) return candidate
  }
}

/** A deep clone with a few realistic differences: a quantity, a city, the total, the request id. */
export function withFewDifferences(original: Order): Order {
  const changed = structuredClone(original)
  const middle = changed.items[Math.floor(changed.items.length / 2)]
  if (middle !== undefined) middle.qty += 1
  changed.customer.address.city = 'Graz'
  changed.totals.grandTotal += 1
  changed.meta.requestId = 'f'.repeat(32)
  return changed
}
