/** The order document both services render in the benchmark: about 1.5 KB of JSON. */
export function benchOrder(id: string): Record<string, unknown> {
  return {
    id,
    status: 'shipped',
    currency: 'EUR',
    total: 129.85,
    customer: { id: 'c-7', name: 'Ada Lovelace', email: 'ada@example.test', tier: 'gold' },
    shipping: {
      carrier: 'dhl',
      service: 'express',
      address: { street: 'Unter den Linden 1', city: 'Berlin', zip: '10117', country: 'DE' },
    },
    items: Array.from({ length: 8 }, (_, i) => ({
      sku: `SKU-${1000 + i}`,
      name: `Article number ${i}`,
      qty: (i % 3) + 1,
      price: 9.99 + i,
      tags: ['catalog', i % 2 === 0 ? 'even' : 'odd'],
    })),
    createdAt: '2026-11-21T10:00:00.000Z',
  }
}
