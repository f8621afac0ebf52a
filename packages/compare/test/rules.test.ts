import { compare, normalizeDatetime } from '@twinspan/compare'
import { describe, expect, it } from 'vitest'

describe('rules: patterns', () => {
  it('matches a literal path, any index and any key', () => {
    const primary = { a: { b: 1 }, items: [{ p: 1 }, { p: 1 }], tags: { x: 1, y: 1 } }
    const shadow = { a: { b: 2 }, items: [{ p: 2 }, { p: 2 }], tags: { x: 2, y: 2 } }
    const result = compare(primary, shadow, {
      rules: {
        'a.b': { severity: 'minor' },
        'items[*].p': { severity: 'cosmetic' },
        'tags.*': { severity: 'critical' },
      },
    })
    expect(result.differences.map((d) => [d.path, d.severity])).toEqual([
      ['a.b', 'minor'],
      ['items[0].p', 'cosmetic'],
      ['items[1].p', 'cosmetic'],
      ['tags.x', 'critical'],
      ['tags.y', 'critical'],
    ])
  })

  it('matches a literal index, a root array and a quoted key', () => {
    const result = compare([{ 'a.b': 1 }, { 'a.b': 1 }], [{ 'a.b': 2 }, { 'a.b': 2 }], {
      rules: { '[1]["a.b"]': 'ignore' },
    })
    expect(result.differences.map((d) => d.path)).toEqual(['[0]["a.b"]'])
  })

  it('keeps * for keys and [*] for indices apart', () => {
    const result = compare(
      { list: [1], map: { k: 1 } },
      { list: [2], map: { k: 2 } },
      {
        rules: { 'list.*': 'ignore', 'map[*]': 'ignore' },
      },
    )
    expect(result.differences.map((d) => d.path)).toEqual(['list[0]', 'map.k'])
  })

  it('applies a rule for the root with the empty pattern', () => {
    expect(compare([1, 2], [2, 1], { rules: { '': { unordered: true } } }).matches).toBe(true)
  })

  it('rejects two spellings of one path', () => {
    expect(() => compare(1, 1, { rules: { 'a.b': 'ignore', 'a["b"]': { severity: 'minor' } } })).toThrow(
      `rules 'a.b' and 'a["b"]' name the same path`,
    )
  })

  it('rejects malformed patterns with the reason', () => {
    expect(() => compare(1, 1, { rules: { '.a': 'ignore' } })).toThrow(/cannot start with/)
    expect(() => compare(1, 1, { rules: { 'a..b': 'ignore' } })).toThrow(/empty key/)
    expect(() => compare(1, 1, { rules: { 'a[x]': 'ignore' } })).toThrow(/must be an index/)
    expect(() => compare(1, 1, { rules: { 'a*': 'ignore' } })).toThrow(/must be quoted/)
    expect(() => compare(1, 1, { rules: { a: 'skip' as never } })).toThrow(/must be 'ignore' or an object/)
  })
})

describe('rules: precedence', () => {
  it('prefers the pattern with more literal segments', () => {
    const result = compare(
      { a: { b: { c: 1 } } },
      { a: { b: { c: 2 } } },
      {
        rules: { 'a.*.*': { severity: 'minor' }, '*.b.c': { severity: 'critical' } },
      },
    )
    expect(result.differences[0]?.severity).toBe('critical')
  })

  it('breaks a tie by the first position where a literal meets a wildcard', () => {
    const result = compare(
      { a: { b: { c: 1 } } },
      { a: { b: { c: 2 } } },
      {
        rules: { '*.b.c': { severity: 'critical' }, 'a.*.c': { severity: 'cosmetic' } },
      },
    )
    expect(result.differences[0]?.severity).toBe('cosmetic')
  })

  it('merges matching rules property by property', () => {
    const result = compare(
      { items: [{ price: 1 }] },
      { items: [{ price: 1.5 }] },
      {
        rules: { 'items[*].price': { severity: 'critical' }, 'items[0].price': { tolerance: 0.1 } },
      },
    )
    // items[0].price wins tolerance, items[*].price still gives the severity
    expect(result.differences).toMatchObject([{ path: 'items[0].price', severity: 'critical' }])
    expect(result.differences[0]?.note).toContain('tolerance 0.1')
  })

  it('lets a more specific rule un-ignore with ignore: false', () => {
    const result = compare(
      { meta: { a: 1, b: 1 } },
      { meta: { a: 2, b: 2 } },
      {
        rules: { 'meta.*': 'ignore', 'meta.b': { ignore: false } },
      },
    )
    expect(result.differences.map((d) => d.path)).toEqual(['meta.b'])
  })

  it('inherits severity from the nearest ancestor rule, and an exact match beats it', () => {
    const result = compare(
      { order: { a: 1, b: { c: 1 } } },
      { order: { a: 2, b: { c: 2 } } },
      {
        rules: { order: { severity: 'minor' }, 'order.b.c': { severity: 'critical' } },
      },
    )
    expect(result.differences.map((d) => [d.path, d.severity])).toEqual([
      ['order.a', 'minor'],
      ['order.b.c', 'critical'],
    ])
  })
})

describe('rules: ignore', () => {
  it('ignores a path and its subtree, including added and removed keys', () => {
    const result = compare(
      { meta: { requestId: 'a', nested: { x: 1 } }, total: 1 },
      { meta: { traceId: 'b', nested: { x: 2 } }, total: 1 },
      { rules: { meta: 'ignore' } },
    )
    expect(result).toMatchObject({ matches: true, differences: [] })
  })

  it('ignores a key that one side lacks', () => {
    const result = compare({ a: 1, requestId: 'x' }, { a: 1 }, { rules: { requestId: 'ignore' } })
    expect(result.matches).toBe(true)
  })
})

describe('rules: tolerance and relTolerance', () => {
  it('accepts a difference below the absolute tolerance', () => {
    expect(
      compare({ total: 100 }, { total: 100.004 }, { rules: { total: { tolerance: 0.01 } } }).matches,
    ).toBe(true)
  })

  it('reports a difference of exactly the tolerance, as in DESIGN.md (100 vs 100.01, tolerance 0.01)', () => {
    const result = compare(
      { totalAmount: 100 },
      { totalAmount: 100.01 },
      {
        rules: { totalAmount: { tolerance: 0.01, severity: 'critical' } },
      },
    )
    expect(result.differences).toMatchObject([
      { path: 'totalAmount', kind: 'changed', primary: 100, shadow: 100.01, severity: 'critical' },
    ])
    // also when floating-point rounding lands just below the boundary
    expect(compare(0.1, 0.11, { rules: { '': { tolerance: 0.01 } } }).matches).toBe(false)
  })

  it('accepts a relative difference below relTolerance of the larger magnitude', () => {
    const rules = { 'items[*].price': { relTolerance: 0.001 } }
    expect(compare({ items: [{ price: 1000 }] }, { items: [{ price: 1000.9 }] }, { rules }).matches).toBe(
      true,
    )
    expect(compare({ items: [{ price: 1000 }] }, { items: [{ price: 1001.5 }] }, { rules }).matches).toBe(
      false,
    )
  })

  it('accepts when within either tolerance', () => {
    const rules = { x: { tolerance: 0.5, relTolerance: 0.01 } }
    expect(compare({ x: 1000 }, { x: 1009 }, { rules }).matches).toBe(true)
    expect(compare({ x: 0.1 }, { x: 0.5 }, { rules }).matches).toBe(true)
    expect(compare({ x: 1000 }, { x: 1011 }, { rules }).matches).toBe(false)
  })

  it('applies to bigints and leaves other types to the structural comparison', () => {
    expect(compare(100n, 101n, { rules: { '': { tolerance: 2 } } }).matches).toBe(true)
    expect(compare('1', '1.001', { rules: { '': { tolerance: 1 } } }).matches).toBe(false)
    expect(compare(1, '1', { rules: { '': { tolerance: 1 } } }).differences[0]?.kind).toBe('type')
  })

  it('covers the tax example: a 1% relative tolerance', () => {
    const rules = { taxAmount: { relTolerance: 0.01, severity: 'critical' as const } }
    expect(compare({ taxAmount: 19.0 }, { taxAmount: 19.15 }, { rules }).matches).toBe(true)
    expect(compare({ taxAmount: 19.0 }, { taxAmount: 19.5 }, { rules }).severity).toBe('critical')
  })
})

describe('rules: unordered', () => {
  it('compares an array as a multiset', () => {
    const rules = { tags: { unordered: true } }
    expect(compare({ tags: ['a', 'b', 'b'] }, { tags: ['b', 'a', 'b'] }, { rules }).matches).toBe(true)
    const result = compare({ tags: ['a', 'b', 'b'] }, { tags: ['b', 'c', 'a'] }, { rules })
    expect(result.differences.map((d) => [d.path, d.kind, d.primary ?? d.shadow])).toEqual([
      ['tags[2]', 'removed', 'b'],
      ['tags[1]', 'added', 'c'],
    ])
  })

  it('pairs objects in any order and honours rules beneath the items', () => {
    const rules = { lines: { unordered: true }, 'lines[*].price': { tolerance: 0.01 } }
    const primary = {
      lines: [
        { id: 1, price: 1 },
        { id: 2, price: 2 },
      ],
    }
    const shadow = {
      lines: [
        { id: 2, price: 2.001 },
        { id: 1, price: 1 },
      ],
    }
    expect(compare(primary, shadow, { rules }).matches).toBe(true)
  })

  it('pairs items that differ only cosmetically and reports those differences', () => {
    const rules = { lines: { unordered: true }, 'lines[*].label': { severity: 'cosmetic' as const } }
    const result = compare(
      {
        lines: [
          { id: 1, label: 'One' },
          { id: 2, label: 'Two' },
        ],
      },
      {
        lines: [
          { id: 2, label: 'two' },
          { id: 1, label: 'One' },
        ],
      },
      { rules },
    )
    expect(result.matches).toBe(true)
    expect(result.differences).toMatchObject([
      { path: 'lines[1].label', severity: 'cosmetic', primary: 'Two' },
    ])
  })

  it('matches by key and names the keyed item in paths', () => {
    const rules = { lineItems: { unordered: true, key: 'sku', severity: 'major' as const } }
    const result = compare(
      {
        lineItems: [
          { sku: 'A', qty: 1 },
          { sku: 'B', qty: 2 },
          { sku: 'C', qty: 1 },
        ],
      },
      {
        lineItems: [
          { sku: 'B', qty: 3 },
          { sku: 'A', qty: 1 },
          { sku: 'D', qty: 1 },
        ],
      },
      { rules },
    )
    expect(result.differences.map((d) => [d.path, d.kind])).toEqual([
      ['lineItems[sku=B].qty', 'changed'],
      ['lineItems[sku=C]', 'removed'],
      ['lineItems[sku=D]', 'added'],
    ])
  })

  it('lets rules target keyed items by [*] or by their key', () => {
    const rules = {
      lineItems: { key: 'sku' },
      'lineItems[*].qty': { severity: 'minor' as const },
      'lineItems[sku=B].qty': { severity: 'critical' as const },
    }
    const result = compare(
      {
        lineItems: [
          { sku: 'A', qty: 1 },
          { sku: 'B', qty: 2 },
        ],
      },
      {
        lineItems: [
          { sku: 'B', qty: 3 },
          { sku: 'A', qty: 2 },
        ],
      },
      { rules },
    )
    expect(result.differences.map((d) => [d.path, d.severity])).toEqual([
      ['lineItems[sku=A].qty', 'minor'],
      ['lineItems[sku=B].qty', 'critical'],
    ])
  })

  it('quotes key values that need it and accepts a key function', () => {
    const result = compare([{ name: 'a b', v: 1 }], [{ name: 'a b', v: 2 }], {
      rules: { '': { key: 'name' } },
    })
    expect(result.differences[0]?.path).toBe('[name="a b"].v')
    const byFunction = compare([{ id: { n: 1 }, v: 1 }], [{ id: { n: 1 }, v: 2 }], {
      rules: { '': { key: (item) => (item as { id: unknown }).id } },
    })
    expect(byFunction.differences[0]?.path).toBe('[key={"n":1}].v')
  })

  it('pairs items sharing a key in order', () => {
    const rules = { '': { key: 'k' } }
    const result = compare(
      [
        { k: 1, v: 'a' },
        { k: 1, v: 'b' },
      ],
      [
        { k: 1, v: 'a' },
        { k: 1, v: 'c' },
      ],
      { rules },
    )
    expect(result.differences.map((d) => [d.path, d.primary, d.shadow])).toEqual([['[k=1].v', 'b', 'c']])
  })
})

describe('rules: normalize', () => {
  it('datetime: equal instants in different ISO-8601 spellings are equal', () => {
    const rules = { at: { normalize: 'datetime' as const } }
    expect(
      compare({ at: '2024-01-01T00:00:00Z' }, { at: '2024-01-01T01:00:00+01:00' }, { rules }).matches,
    ).toBe(true)
    expect(
      compare({ at: '2024-01-01T00:00:00.000000Z' }, { at: '2024-01-01 00:00:00z' }, { rules }).matches,
    ).toBe(true)
    expect(compare({ at: '2024-01-01' }, { at: new Date('2024-01-01T00:00:00Z') }, { rules }).matches).toBe(
      true,
    )
    const result = compare({ at: '2024-01-01T00:00:00Z' }, { at: '2024-01-01T00:00:01Z' }, { rules })
    // the difference shows what each side said, not the normalised form
    expect(result.differences).toMatchObject([
      { path: 'at', primary: '2024-01-01T00:00:00Z', shadow: '2024-01-01T00:00:01Z' },
    ])
  })

  it('datetime keeps precision beyond milliseconds and leaves non-dates alone', () => {
    expect(normalizeDatetime('2024-01-01T00:00:00.0001Z')).not.toBe(normalizeDatetime('2024-01-01T00:00:00Z'))
    expect(normalizeDatetime('2024-02-30T00:00:00Z')).toBe('2024-02-30T00:00:00Z')
    expect(normalizeDatetime('not a date')).toBe('not a date')
    expect(normalizeDatetime(42)).toBe(42)
  })

  it('trim, case and whitespace', () => {
    expect(compare({ s: ' a ' }, { s: 'a' }, { rules: { s: { normalize: 'trim' } } }).matches).toBe(true)
    expect(compare({ s: 'ABC' }, { s: 'abc' }, { rules: { s: { normalize: 'case' } } }).matches).toBe(true)
    expect(
      compare({ s: 'a \n b' }, { s: ' a b' }, { rules: { s: { normalize: 'whitespace' } } }).matches,
    ).toBe(true)
    expect(compare({ s: ' A ' }, { s: 'a' }, { rules: { s: { normalize: ['trim', 'case'] } } }).matches).toBe(
      true,
    )
    expect(compare({ s: 'a' }, { s: 'b' }, { rules: { s: { normalize: 'case' } } }).matches).toBe(false)
  })

  it('a function normaliser, whose result may be walked further', () => {
    const rules = { price: { normalize: (v: unknown) => (typeof v === 'string' ? Number(v) : v) } }
    expect(compare({ price: '1.50' }, { price: 1.5 }, { rules }).matches).toBe(true)
    const wrap = compare({ o: 1 }, { o: 2 }, { rules: { o: { normalize: (v: unknown) => ({ value: v }) } } })
    expect(wrap.differences.map((d) => d.path)).toEqual(['o.value'])
  })

  it('a throwing normaliser is reported at its path, not thrown', () => {
    const rules = {
      a: {
        normalize: () => {
          throw new Error('bad input')
        },
      },
    }
    const result = compare({ a: 1, b: 1 }, { a: 2, b: 1 }, { rules })
    expect(result.differences).toEqual([
      {
        path: 'a',
        kind: 'changed',
        primary: 1,
        shadow: 2,
        severity: 'major',
        note: 'normalize threw Error: bad input',
      },
    ])
  })
})

describe('rules: custom compare', () => {
  it('decides equality at its path', () => {
    const rules = { id: { compare: (p: unknown, s: unknown) => String(p) === String(s) } }
    expect(compare({ id: 42 }, { id: '42' }, { rules }).matches).toBe(true)
    expect(compare({ id: 42 }, { id: '43' }, { rules }).differences).toMatchObject([
      { path: 'id', kind: 'changed' },
    ])
  })

  it('receives normalised values when both are set', () => {
    const seen: unknown[] = []
    const rules = {
      s: {
        normalize: 'trim' as const,
        compare: (p: unknown, s: unknown) => {
          seen.push(p, s)
          return true
        },
      },
    }
    compare({ s: ' a ' }, { s: 'b ' }, { rules })
    expect(seen).toEqual(['a', 'b'])
  })

  it('a throwing compare is reported with a note, and the rest is still compared', () => {
    const rules = {
      a: {
        severity: 'minor' as const,
        compare: () => {
          throw new TypeError('oops')
        },
      },
    }
    const result = compare({ a: 1, b: 1 }, { a: 2, b: 2 }, { rules })
    expect(result.differences).toMatchObject([
      { path: 'a', severity: 'minor', note: 'compare threw TypeError: oops' },
      { path: 'b', severity: 'major' },
    ])
  })

  it('a throwing key function is reported at the array', () => {
    const rules = {
      list: {
        key: () => {
          throw new Error('no key')
        },
      },
    }
    const result = compare({ list: [1] }, { list: [2] }, { rules })
    expect(result.differences).toMatchObject([{ path: 'list', note: 'key threw Error: no key' }])
  })
})

describe('rules: the DESIGN.md example', () => {
  it('gives each difference its rule severity', () => {
    const options = {
      rules: {
        totalAmount: { tolerance: 0.01, severity: 'critical' as const },
        'items[*].price': { relTolerance: 0.001 },
        lineItems: { unordered: true, key: 'sku', severity: 'major' as const },
        formattedDate: { normalize: 'datetime' as const, severity: 'minor' as const },
        'meta.requestId': 'ignore' as const,
      },
      defaultSeverity: 'major' as const,
    }
    const primary = {
      totalAmount: 100,
      items: [{ price: 10 }],
      lineItems: [
        { sku: 'A', qty: 1 },
        { sku: 'B', qty: 1 },
      ],
      formattedDate: '2024-01-01T00:00:00Z',
      meta: { requestId: 'r1' },
    }
    const shadow = {
      totalAmount: 100.01,
      items: [{ price: 10.001 }],
      lineItems: [
        { sku: 'B', qty: 1 },
        { sku: 'A', qty: 1 },
      ],
      formattedDate: '2024-01-01T00:00:00.000Z',
      meta: { requestId: 'r2' },
    }
    const result = compare(primary, shadow, options)
    expect(result.matches).toBe(false)
    expect(result.severity).toBe('critical')
    expect(result.differences).toMatchObject([
      { path: 'totalAmount', kind: 'changed', primary: 100, shadow: 100.01, severity: 'critical' },
    ])
  })
})
