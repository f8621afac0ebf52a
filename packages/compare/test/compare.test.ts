import { compare, compareErrors } from '@twinspan/compare'
import { describe, expect, it } from 'vitest'

describe('compare (skeleton)', () => {
  it('matches deep-equal values', () => {
    const result = compare({ cost: 12.5, items: [{ sku: 'a' }] }, { cost: 12.5, items: [{ sku: 'a' }] })
    expect(result).toEqual({ matches: true, severity: 'none', differences: [] })
  })

  it('reports flattened paths of differences', () => {
    const result = compare({ cost: 100, items: [{ sku: 'a' }] }, { cost: 100.01, items: [{ sku: 'b' }, 1] })
    expect(result.matches).toBe(false)
    expect(result.differences.map((d) => [d.path, d.kind])).toEqual([
      ['cost', 'changed'],
      ['items[0].sku', 'changed'],
      ['items[1]', 'added'],
    ])
  })

  it('compares errors by class and message', () => {
    expect(compareErrors(new TypeError('x'), new TypeError('x')).matches).toBe(true)
    expect(compareErrors(new TypeError('x'), new RangeError('x')).matches).toBe(false)
  })
})
