import { compare } from '@twinspan/compare'
import { describe, expect, it } from 'vitest'

type Node = { value: number; next?: Node; self?: Node }

function chain(depth: number, leaf: unknown): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  let node = root
  for (let i = 0; i < depth; i++) {
    const child: Record<string, unknown> = {}
    node.c = child
    node = child
  }
  node.leaf = leaf
  return root
}

describe('robustness: cycles', () => {
  it('compares self-referencing structures without overflowing, reporting the real difference once', () => {
    const primary: Node = { value: 1 }
    primary.self = primary
    const shadow: Node = { value: 2 }
    shadow.self = shadow
    const result = compare(primary, shadow)
    expect(result.differences).toEqual([
      { path: 'value', kind: 'changed', primary: 1, shadow: 2, severity: 'major' },
    ])
  })

  it('matches equal cycles of different lengths (the same infinite unfolding)', () => {
    const a: Node = { value: 1 }
    a.next = a
    const b1: Node = { value: 1 }
    const b2: Node = { value: 1, next: b1 }
    b1.next = b2
    expect(compare(a, b1).matches).toBe(true)
  })

  it('compares a cycle with a finite chain, finding where they part', () => {
    const cyclic: Node = { value: 1 }
    cyclic.next = cyclic
    const finite: Node = { value: 1, next: { value: 1, next: { value: 1 } } }
    const result = compare(cyclic, finite)
    expect(result.differences).toMatchObject([{ path: 'next.next.next', kind: 'removed' }])
  })

  it('still applies rules after restarting with cycle tracking', () => {
    const primary: Node = { value: 1 }
    primary.self = primary
    const shadow: Node = { value: 1.001 }
    shadow.self = shadow
    expect(compare(primary, shadow, { rules: { value: { tolerance: 0.01 } } }).matches).toBe(true)
    const result = compare(primary, shadow, { rules: { value: { severity: 'cosmetic' } } })
    expect(result).toMatchObject({ matches: true, severity: 'cosmetic', differences: [{ path: 'value' }] })
  })

  it('handles cycles through arrays and Maps', () => {
    const a: unknown[] = [1]
    a.push(a)
    const b: unknown[] = [1]
    b.push(b)
    expect(compare(a, b).matches).toBe(true)
    const m = new Map<string, unknown>([['x', 1]])
    m.set('me', m)
    const n = new Map<string, unknown>([['x', 2]])
    n.set('me', n)
    expect(compare(m, n).differences.map((d) => d.path)).toEqual(['x'])
  })
})

describe('robustness: depth', () => {
  it('compares 100k-deep equal nesting without overflowing the stack', () => {
    expect(compare(chain(100_000, 1), chain(100_000, 1)).matches).toBe(true)
  })

  it('reports a difference 100k deep at the depth limit, with a note', () => {
    const result = compare(chain(100_000, 1), chain(100_000, 2))
    expect(result.matches).toBe(false)
    expect(result.differences).toHaveLength(1)
    expect(result.differences[0]?.note).toBe(
      'nested deeper than maxDepth (500): compared as a whole, without rules',
    )
    expect(result.differences[0]?.path).toBe(Array(500).fill('c').join('.'))
  })

  it('walks with full detail up to maxDepth, configurable', () => {
    const result = compare(chain(20, 1), chain(20, 2), { maxDepth: 10 })
    expect(result.differences[0]?.path.split('.')).toHaveLength(10)
    expect(compare(chain(20, 1), chain(20, 2)).differences[0]?.path).toBe(
      `${Array(20).fill('c').join('.')}.leaf`,
    )
  })

  it('survives a caller that has already used most of the stack', () => {
    const deep = (n: number): boolean =>
      n === 0 ? compare(chain(600, 1), chain(600, 1)).matches : deep(n - 1)
    expect(deep(8000)).toBe(true)
  })
})

describe('robustness: bounds', () => {
  it('keeps maxDifferences (100 by default) and counts the rest in truncated', () => {
    const primary = Array.from({ length: 250 }, (_, i) => i)
    const shadow = primary.map((i) => i + 1)
    const result = compare(primary, shadow)
    expect(result.differences).toHaveLength(100)
    expect(result.truncated).toBe(150)
    expect(compare(primary, shadow, { maxDifferences: 5 })).toMatchObject({ truncated: 245 })
  })

  it('keeps the most severe differences when it must cut, in walk order', () => {
    const primary = { a: [1, 2, 3], total: 1 }
    const shadow = { a: [2, 3, 4], total: 2 }
    const result = compare(primary, shadow, {
      maxDifferences: 2,
      rules: { 'a[*]': { severity: 'minor' }, total: { severity: 'critical' } },
    })
    expect(result.differences.map((d) => [d.path, d.severity])).toEqual([
      ['a[0]', 'minor'],
      ['total', 'critical'],
    ])
    expect(result.truncated).toBe(2)
    expect(result.severity).toBe('critical')
  })

  it('computes severity and matches over every difference, kept or not', () => {
    const result = compare(
      { a: 1, b: 1 },
      { a: 2, b: 2 },
      { maxDifferences: 0, rules: { b: { severity: 'critical' } } },
    )
    expect(result).toMatchObject({ matches: false, severity: 'critical', differences: [], truncated: 2 })
  })
})

describe('robustness: hostile data', () => {
  it('treats __proto__ keys as data and pollutes nothing', () => {
    const primary = JSON.parse('{"__proto__": {"polluted": "yes"}, "a": 1}')
    const shadow = JSON.parse('{"__proto__": {"polluted": "no"}, "a": 1}')
    const result = compare(primary, shadow, { rules: { '__proto__.polluted': { severity: 'minor' } } })
    expect(result.differences).toEqual([
      { path: '__proto__.polluted', kind: 'changed', primary: 'yes', shadow: 'no', severity: 'minor' },
    ])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(compare(JSON.parse('{"__proto__": 1}'), {}).differences).toMatchObject([
      { path: '__proto__', kind: 'removed' },
    ])
    expect(compare({ constructor: 1 }, { constructor: 1 }).matches).toBe(true)
  })

  it('compares objects without a prototype', () => {
    const primary = Object.assign(Object.create(null), { a: 1 })
    expect(compare(primary, { a: 1 }).matches).toBe(true)
  })

  it('reports a throwing getter instead of throwing', () => {
    const primary = {
      get boom(): number {
        throw new Error('getter failed')
      },
    }
    const result = compare(primary, { boom: 1 })
    expect(result.matches).toBe(false)
    expect(result.differences.at(-1)?.note).toBe('comparison stopped: Error: getter failed')
  })

  it('handles symbols, functions and symbol keys without throwing', () => {
    const key = Symbol('k')
    expect(() =>
      compare({ [key]: 1, f: Math.max, s: Symbol.iterator }, { [key]: 2, f: Math.min, s: Symbol.iterator }),
    ).not.toThrow()
    expect(compare({ s: Symbol.iterator }, { s: Symbol.iterator }).matches).toBe(true)
  })
})
