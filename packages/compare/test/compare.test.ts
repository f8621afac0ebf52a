import { compare, compareErrors, createComparator } from '@twinspan/compare'
import { describe, expect, it } from 'vitest'

const pathsAndKinds = (primary: unknown, shadow: unknown) =>
  compare(primary, shadow).differences.map((d) => [d.path, d.kind])

describe('compare: seed 000 comparator tests', () => {
  it('detects amount differences: 100.00 vs 100.01 is a mismatch', () => {
    const result = compare({ amount: 100.0, currency: 'USD' }, { amount: 100.01, currency: 'USD' })
    expect(result.matches).toBe(false)
    expect(result.severity).toBe('major')
    expect(result.differences).toEqual([
      { path: 'amount', kind: 'changed', primary: 100, shadow: 100.01, severity: 'major' },
    ])
  })

  it('ignores cosmetic differences: the same instant spelled two ways matches with datetime normalisation', () => {
    const result = compare(
      { timestamp: '2024-01-01T00:00:00Z' },
      { timestamp: '2024-01-01T00:00:00.000Z' },
      { rules: { timestamp: { normalize: 'datetime' } } },
    )
    expect(result).toEqual({ matches: true, severity: 'none', differences: [], truncated: 0 })
  })
})

describe('compare: structural diff', () => {
  it('matches deep-equal values with an empty, complete result', () => {
    const result = compare({ cost: 12.5, items: [{ sku: 'a' }] }, { cost: 12.5, items: [{ sku: 'a' }] })
    expect(result).toEqual({ matches: true, severity: 'none', differences: [], truncated: 0 })
  })

  it('reports flattened paths in walk order', () => {
    expect(
      pathsAndKinds({ cost: 100, items: [{ sku: 'a' }] }, { cost: 100.01, items: [{ sku: 'b' }, 1] }),
    ).toEqual([
      ['cost', 'changed'],
      ['items[0].sku', 'changed'],
      ['items[1]', 'added'],
    ])
  })

  it('names added (only in shadow) and removed (only in primary) keys, with the value of the side that has it', () => {
    const result = compare({ a: 1, gone: 'x' }, { a: 1, fresh: true })
    expect(result.differences).toEqual([
      { path: 'gone', kind: 'removed', primary: 'x', severity: 'major' },
      { path: 'fresh', kind: 'added', shadow: true, severity: 'major' },
    ])
  })

  it('reports a type difference when kinds of value differ', () => {
    expect(pathsAndKinds({ a: 1, b: null, c: [1], d: {} }, { a: '1', b: {}, c: { 0: 1 }, d: null })).toEqual([
      ['a', 'type'],
      ['b', 'type'],
      ['c', 'type'],
      ['d', 'type'],
    ])
  })

  it('compares every JSON-like kind', () => {
    expect(compare('a', 'a').matches).toBe(true)
    expect(compare('a', 'b').differences[0]).toMatchObject({ path: '', kind: 'changed' })
    expect(compare(true, false).matches).toBe(false)
    expect(compare(null, null).matches).toBe(true)
    expect(compare(null, undefined).differences[0]?.kind).toBe('type')
    expect(compare(10n, 10n).matches).toBe(true)
    expect(compare(10n, 11n).differences[0]?.kind).toBe('changed')
    expect(compare(10n, 10).differences[0]?.kind).toBe('type')
  })

  it('treats NaN as equal to NaN and 0 as equal to -0', () => {
    expect(compare({ x: Number.NaN }, { x: Number.NaN }).matches).toBe(true)
    expect(compare(0, -0).matches).toBe(true)
    expect(compare(Number.NaN, 1).matches).toBe(false)
  })

  it('compares Dates by instant, including invalid ones', () => {
    expect(compare(new Date('2024-01-01T00:00:00Z'), new Date(Date.UTC(2024, 0, 1))).matches).toBe(true)
    expect(compare(new Date(0), new Date(1)).differences[0]?.kind).toBe('changed')
    expect(compare(new Date(Number.NaN), new Date(Number.NaN)).matches).toBe(true)
    expect(compare(new Date(0), '1970-01-01T00:00:00.000Z').differences[0]?.kind).toBe('type')
  })

  it('compares Maps by key, with string keys as path keys and other keys in brackets', () => {
    const primary = new Map<unknown, unknown>([
      ['a', { n: 1 }],
      [2, 'two'],
      ['gone', 1],
    ])
    const shadow = new Map<unknown, unknown>([
      [2, 'TWO'],
      ['a', { n: 2 }],
      ['new', 1],
    ])
    expect(compare(primary, shadow).differences.map((d) => [d.path, d.kind])).toEqual([
      ['a.n', 'changed'],
      ['[2]', 'changed'],
      ['gone', 'removed'],
      ['new', 'added'],
    ])
  })

  it('matches Map entries with object keys by deep equality', () => {
    const primary = new Map([[{ id: 1 }, 'a']])
    expect(compare(primary, new Map([[{ id: 1 }, 'a']])).matches).toBe(true)
    const result = compare(primary, new Map([[{ id: 1 }, 'b']]))
    expect(result.differences.map((d) => [d.path, d.kind])).toEqual([['[{"id":1}]', 'changed']])
  })

  it('compares Sets as unordered collections', () => {
    expect(compare(new Set([1, { a: 1 }, 'x']), new Set(['x', { a: 1 }, 1])).matches).toBe(true)
    const result = compare(new Set([1, 2]), new Set([2, 3]))
    expect(result.differences.map((d) => [d.path, d.kind, d.primary ?? d.shadow])).toEqual([
      ['[0]', 'removed', 1],
      ['[1]', 'added', 3],
    ])
  })

  it('compares RegExps, binary data and errors by content', () => {
    expect(compare(/a/g, /a/g).matches).toBe(true)
    expect(compare(/a/g, /a/i).matches).toBe(false)
    expect(compare(new Uint8Array([1, 2]), new Uint8Array([1, 2])).matches).toBe(true)
    const bytes = compare(new Uint8Array([1, 2, 3]), new Uint8Array([1, 9, 3]))
    expect(bytes.differences).toHaveLength(1)
    expect(bytes.differences[0]?.note).toBe('3 bytes vs 3 bytes, first difference at byte 1')
    expect(compare(new Uint8Array([1]), new Float64Array([1])).differences[0]?.kind).toBe('type')
    expect(compare({ e: new TypeError('x') }, { e: new TypeError('x') }).matches).toBe(true)
    expect(pathsAndKinds({ e: new TypeError('x') }, { e: new TypeError('y') })).toEqual([
      ['e.message', 'changed'],
    ])
  })

  it('treats a property holding undefined like a missing one, as JSON would', () => {
    expect(compare({ a: 1, b: undefined }, { a: 1 }).matches).toBe(true)
    expect(compare({ a: 1 }, { a: 1, b: undefined }).matches).toBe(true)
    expect(pathsAndKinds({ a: undefined }, { a: 2 })).toEqual([['a', 'added']])
  })

  it('compares class instances by their own enumerable data', () => {
    class Money {
      constructor(
        readonly amount: number,
        readonly currency: string,
      ) {}
    }
    expect(compare(new Money(1, 'EUR'), { amount: 1, currency: 'EUR' }).matches).toBe(true)
    expect(pathsAndKinds(new Money(1, 'EUR'), new Money(2, 'EUR'))).toEqual([['amount', 'changed']])
  })

  it('quotes keys that would be ambiguous in a path', () => {
    expect(
      compare({ 'a.b': 1, 'with space': 1, '': 1 }, { 'a.b': 2, 'with space': 2, '': 2 }).differences.map(
        (d) => d.path,
      ),
    ).toEqual(['["a.b"]', '["with space"]', '[""]'])
    expect(compare({ x: { 'y.z': 1 } }, { x: { 'y.z': 2 } }).differences[0]?.path).toBe('x["y.z"]')
  })

  it('compares functions by identity and symbols by description, without throwing', () => {
    const f = () => 1
    expect(compare({ f }, { f }).matches).toBe(true)
    expect(compare({ f }, { f: () => 1 }).differences[0]).toMatchObject({ path: 'f', kind: 'changed' })
    expect(compare({ s: Symbol('x') }, { s: Symbol('x') }).matches).toBe(true)
    expect(compare({ s: Symbol('x') }, { s: Symbol('y') }).matches).toBe(false)
    expect(compare({ s: Symbol('x') }, { s: 'x' }).differences[0]?.kind).toBe('type')
  })
})

describe('compare: severity and matches', () => {
  it('uses defaultSeverity for differences no rule covers', () => {
    const result = compare({ a: 1 }, { a: 2 }, { defaultSeverity: 'minor' })
    expect(result.severity).toBe('minor')
    expect(result.matches).toBe(false)
  })

  it('matches when every difference is cosmetic, and still reports them', () => {
    const result = compare({ a: 1, b: 1 }, { a: 2, b: 2 }, { defaultSeverity: 'cosmetic' })
    expect(result.matches).toBe(true)
    expect(result.severity).toBe('cosmetic')
    expect(result.differences).toHaveLength(2)
  })

  it('reports the highest severity among the differences', () => {
    const result = compare(
      { a: 1, b: 1, c: 1 },
      { a: 2, b: 2, c: 2 },
      { rules: { a: { severity: 'minor' }, b: { severity: 'critical' }, c: { severity: 'cosmetic' } } },
    )
    expect(result.severity).toBe('critical')
    expect(result.differences.map((d) => d.severity)).toEqual(['minor', 'critical', 'cosmetic'])
  })

  it('rejects a bad severity with a message naming it', () => {
    expect(() => compare(1, 2, { defaultSeverity: 'high' as never })).toThrow(
      /defaultSeverity must be one of/,
    )
  })
})

describe('createComparator', () => {
  it('compiles options once and compares like compare()', () => {
    const options = { rules: { total: { tolerance: 0.01 } } }
    const byComparator = createComparator(options)
    expect(byComparator({ total: 1 }, { total: 1.005 })).toEqual(
      compare({ total: 1 }, { total: 1.005 }, options),
    )
    expect(byComparator({ total: 1 }, { total: 1.5 }).matches).toBe(false)
  })

  it('reports a bad rule when created, naming the pattern', () => {
    expect(() => createComparator({ rules: { 'items[*': { tolerance: 1 } } })).toThrow(/rule 'items\[\*'/)
    expect(() => createComparator({ rules: { total: { tolerance: -1 } } })).toThrow(
      "compare: rule 'total': tolerance must be a number ≥ 0, got -1",
    )
    expect(() => createComparator({ rules: { a: { normalize: 'upper' as never } } })).toThrow(
      /normalize must be/,
    )
    expect(() => createComparator({ maxDifferences: -1 })).toThrow(/maxDifferences must be an integer/)
  })
})

describe('compareErrors', () => {
  it('matches errors of the same class and message', () => {
    expect(compareErrors(new TypeError('x'), new TypeError('x')).matches).toBe(true)
  })

  it('reports a different class or message at class and message', () => {
    expect(compareErrors(new TypeError('x'), new RangeError('x')).differences).toEqual([
      { path: 'class', kind: 'changed', primary: 'TypeError', shadow: 'RangeError', severity: 'major' },
    ])
    expect(compareErrors(new Error('a'), new Error('b')).differences.map((d) => d.path)).toEqual(['message'])
  })

  it('compares custom error classes by name, so two implementations of one error match', () => {
    const legacy = class NotFound extends Error {}
    const modern = class NotFound extends Error {}
    expect(compareErrors(new legacy('order 1'), new modern('order 1')).matches).toBe(true)
  })

  it('handles non-Error throws and a side that threw nothing', () => {
    expect(compareErrors('boom', 'boom').matches).toBe(true)
    expect(compareErrors({ message: 'm' }, { message: 'm' }).matches).toBe(true)
    expect(compareErrors(new Error('x'), undefined).differences[0]?.kind).toBe('type')
    expect(compareErrors(Object.create(null), Object.create(null)).matches).toBe(true)
  })

  it('takes a severity', () => {
    expect(compareErrors(new Error('a'), new Error('b'), { severity: 'minor' }).severity).toBe('minor')
  })
})
