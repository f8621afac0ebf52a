import { ATTR_DIFF, ATTR_DIFF_COUNT, ATTR_DIFF_PATHS } from '@twinspan/conventions'
import { DIFF_BOUNDS, experiment, REDACTED, type RunResult } from '@twinspan/sdk'
import { beforeEach, describe, expect, it } from 'vitest'
import { diffOf, exporter, theShadowSpan, tracer } from './support.js'

beforeEach(() => exporter.reset())

interface Order {
  customer: { name: string; email: string }
  card: { number: string; expiry: string }
  total: number
}

const order = (total: number, email = 'ann@example.com'): Order => ({
  customer: { name: 'Ann', email },
  card: { number: '4111111111111111', expiry: '12/29' },
  total,
})

describe('redaction', () => {
  it('masks redacted paths in the diff attribute and in onResult values', async () => {
    const published: RunResult[] = []
    const exp = experiment({
      name: 'redacted',
      tracer,
      redact: ['customer.email', 'card.*'],
      primary: () => order(10, 'ann@example.com'),
      shadow: () => ({
        ...order(11, 'ann@old.example.com'),
        card: { number: '5500000000000004', expiry: '01/30' },
      }),
      onResult: (r) => void published.push(r),
    })
    await exp.run()
    await exp.flush()
    const span = theShadowSpan()
    const exported = JSON.stringify(span.attributes)
    for (const secret of ['ann@', '4111', '5500', '12/29', '01/30']) expect(exported).not.toContain(secret)
    expect(span.attributes[ATTR_DIFF_PATHS]).toEqual(
      expect.arrayContaining(['customer.email', 'card.number', 'card.expiry', 'total']),
    )
    const byPath = Object.fromEntries(diffOf(span).map((d) => [d.path, d]))
    expect(byPath['customer.email']).toMatchObject({ primary: REDACTED, shadow: REDACTED })
    expect(byPath.total).toMatchObject({ primary: 10, shadow: 11 })

    const [result] = published
    const everything = JSON.stringify(result)
    for (const secret of ['ann@', '4111', '5500', '12/29', '01/30']) expect(everything).not.toContain(secret)
    expect(result?.primary.value).toEqual({
      customer: { name: 'Ann', email: REDACTED },
      card: { number: REDACTED, expiry: REDACTED },
      total: 10,
    })
  })

  it('masks inside a difference whose path is above the redacted one', async () => {
    const exp = experiment({
      name: 'redacted-added',
      tracer,
      redact: ['customer.email', 'items[*].owner'],
      primary: (): Record<string, unknown> => ({ total: 1 }),
      shadow: () => ({
        total: 1,
        customer: { email: 'bob@example.com' },
        items: [{ owner: 'bob', sku: 'a' }],
      }),
    })
    await exp.run()
    await exp.flush()
    const exported = String(theShadowSpan().attributes[ATTR_DIFF])
    expect(exported).not.toContain('bob')
    expect(exported).toContain('"sku":"a"')
  })

  it('redacts cyclic values, keeping their shape', async () => {
    type Account = { email: string; id: number; self?: Account }
    const make = (id: number): Account => {
      const account: Account = { email: 'eve@example.com', id }
      account.self = account
      return account
    }
    const published: RunResult[] = []
    const exp = experiment({
      name: 'redacted-cyclic',
      tracer,
      redact: ['email', 'self.email'],
      primary: () => make(1),
      shadow: () => make(2),
      onResult: (r) => void published.push(r),
    })
    expect((await exp.run()).email).toBe('eve@example.com') // the caller's value is untouched
    await exp.flush()
    const value = published[0]?.primary.value as Account
    expect(value.email).toBe(REDACTED)
    expect(value.self).toBe(value) // the cycle survives the copy
    expect(String(theShadowSpan().attributes[ATTR_DIFF])).not.toContain('eve@')
  })
})

describe('size bounds of the diff attributes', () => {
  it('a huge diff keeps its count but is cut to the bounds, as valid JSON', async () => {
    const many = (offset: number) =>
      Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`field${i}`, i + offset]))
    const exp = experiment({ name: 'huge-diff', tracer, primary: () => many(0), shadow: () => many(1) })
    await exp.run()
    await exp.flush()
    const span = theShadowSpan()
    expect(span.attributes[ATTR_DIFF_COUNT]).toBe(5000)
    expect(span.attributes[ATTR_DIFF_PATHS]).toHaveLength(DIFF_BOUNDS.maxPaths)
    const json = String(span.attributes[ATTR_DIFF])
    expect(json.length).toBeLessThanOrEqual(DIFF_BOUNDS.maxJsonChars)
    const entries = JSON.parse(json)
    expect(entries.length).toBeGreaterThan(10)
    expect(entries[0]).toEqual({ path: 'field0', kind: 'changed', severity: 'major', primary: 0, shadow: 1 })
  })

  it('huge, deep and wide values are cut per value', async () => {
    let deep: Record<string, unknown> = { leaf: true }
    for (let i = 0; i < 50; i++) deep = { next: deep }
    const exp = experiment({
      name: 'huge-values',
      tracer,
      primary: (): Record<string, unknown> => ({}),
      shadow: () => ({
        text: 'y'.repeat(100_000),
        deep,
        wide: Array.from({ length: 10_000 }, (_, i) => i),
        big: 10n ** 30n,
      }),
    })
    await exp.run()
    await exp.flush()
    const span = theShadowSpan()
    const json = String(span.attributes[ATTR_DIFF])
    expect(json.length).toBeLessThanOrEqual(DIFF_BOUNDS.maxJsonChars)
    const byPath = Object.fromEntries(JSON.parse(json).map((d: { path: string }) => [d.path, d]))
    expect(byPath.text.shadow.length).toBeLessThanOrEqual(DIFF_BOUNDS.maxStringChars)
    expect(JSON.stringify(byPath.deep.shadow)).toContain('[Object]')
    expect(byPath.wide.shadow).toHaveLength(DIFF_BOUNDS.maxEntries + 1)
    expect(byPath.big.shadow).toBe('1000000000000000000000000000000n')
  })

  it('a long path is cut in both attributes', async () => {
    const key = 'k'.repeat(1000)
    const exp = experiment({
      name: 'long-path',
      tracer,
      primary: (): Record<string, number> => ({ [key]: 1 }),
      shadow: () => ({ [key]: 2 }),
    })
    await exp.run()
    await exp.flush()
    const span = theShadowSpan()
    const [path] = span.attributes[ATTR_DIFF_PATHS] as string[]
    expect(path?.length).toBe(DIFF_BOUNDS.maxPathChars)
    expect(diffOf(span)[0]?.path).toBe(path)
  })
})
