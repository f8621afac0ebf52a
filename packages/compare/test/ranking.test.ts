import { compareRanking, kendallTau } from '@twinspan/compare'
import { describe, expect, it } from 'vitest'

describe('compareRanking', () => {
  it('matches identical rankings', () => {
    const result = compareRanking(['a', 'b', 'c'], ['a', 'b', 'c'])
    expect(result).toMatchObject({
      matches: true,
      severity: 'none',
      overlap: 1,
      rankCorrelation: 1,
      common: 3,
      k: 3,
    })
    expect(result.differences).toEqual([])
  })

  it('measures overlap@k and Kendall tau over the shared items', () => {
    const result = compareRanking(['a', 'b', 'c', 'd', 'x'], ['b', 'a', 'c', 'e', 'y'], { k: 4 })
    expect(result.overlap).toBe(0.75)
    expect(result.common).toBe(3)
    // a, b, c vs b, a, c: one discordant pair out of three
    expect(result.rankCorrelation).toBeCloseTo(1 / 3, 12)
  })

  it('matches when both thresholds are met and reports the differences as cosmetic', () => {
    const result = compareRanking(['a', 'b', 'c', 'd'], ['b', 'a', 'c', 'e'], {
      minOverlap: 0.7,
      minRankCorrelation: 0.3,
    })
    expect(result.matches).toBe(true)
    expect(result.severity).toBe('cosmetic')
    expect(result.differences.map((d) => [d.path, d.kind, d.severity])).toEqual([
      ['', 'changed', 'cosmetic'],
      ['[3]', 'removed', 'cosmetic'],
      ['[3]', 'added', 'cosmetic'],
    ])
  })

  it('fails on overlap below minOverlap with the given severity', () => {
    const result = compareRanking(['a', 'b', 'c', 'd'], ['a', 'b', 'x', 'y'], {
      minOverlap: 0.8,
      severity: 'critical',
    })
    expect(result.matches).toBe(false)
    expect(result.severity).toBe('critical')
    expect(result.differences.map((d) => [d.path, d.kind, d.primary ?? d.shadow])).toEqual([
      ['[2]', 'removed', 'c'],
      ['[3]', 'removed', 'd'],
      ['[2]', 'added', 'x'],
      ['[3]', 'added', 'y'],
    ])
  })

  it('fails on rank correlation below minRankCorrelation even with full overlap', () => {
    const result = compareRanking([1, 2, 3, 4], [4, 3, 2, 1], { minRankCorrelation: 0.7 })
    expect(result.overlap).toBe(1)
    expect(result.rankCorrelation).toBe(-1)
    expect(result.matches).toBe(false)
    expect(result.differences).toMatchObject([{ path: '', kind: 'changed', severity: 'major' }])
    expect(result.differences[0]?.note).toContain('Kendall tau -1.000')
  })

  it('uses an id function for result objects (the search example)', () => {
    const primary = [
      { id: 'p1', score: 9 },
      { id: 'p2', score: 8 },
    ]
    const shadow = [
      { id: 'p1', score: 0.9 },
      { id: 'p2', score: 0.7 },
    ]
    expect(compareRanking(primary, shadow, { id: (hit) => hit.id }).matches).toBe(true)
  })

  it('only looks at the top k and ignores duplicates', () => {
    const result = compareRanking(['a', 'a', 'b', 'z'], ['a', 'b', 'y'], { k: 2 })
    expect(result).toMatchObject({ matches: true, overlap: 1, common: 2 })
  })

  it('handles empty and short lists', () => {
    expect(compareRanking([], [])).toMatchObject({ matches: true, overlap: 1, rankCorrelation: 1 })
    expect(compareRanking(['a'], [], { k: 10 })).toMatchObject({ matches: false, overlap: 0 })
    expect(compareRanking(['a', 'b'], ['a', 'b'], { k: 10 })).toMatchObject({ matches: true, overlap: 1 })
  })

  it('reports a throwing id function instead of throwing', () => {
    const result = compareRanking([1], [1], {
      id: () => {
        throw new Error('no id')
      },
    })
    expect(result.matches).toBe(false)
    expect(result.differences[0]?.note).toBe('id threw Error: no id')
  })

  it('rejects bad thresholds with a clear message', () => {
    expect(() => compareRanking([], [], { minOverlap: 1.5 })).toThrow(
      'compareRanking: minOverlap must be a number from 0 to 1, got 1.5',
    )
    expect(() => compareRanking([], [], { k: 2.5 })).toThrow(/k must be an integer/)
  })
})

describe('kendallTau', () => {
  it('agrees with the pairwise definition', () => {
    const bruteForce = (ranks: number[]) => {
      let score = 0
      for (let i = 0; i < ranks.length; i++)
        for (let j = i + 1; j < ranks.length; j++)
          score += Math.sign((ranks[j] as number) - (ranks[i] as number))
      return score / ((ranks.length * (ranks.length - 1)) / 2)
    }
    const permutation = [5, 2, 8, 0, 7, 1, 9, 3, 6, 4]
    expect(kendallTau(permutation)).toBeCloseTo(bruteForce(permutation), 12)
    expect(kendallTau([0, 1, 2])).toBe(1)
    expect(kendallTau([2, 1, 0])).toBe(-1)
    expect(kendallTau([0])).toBe(1)
  })
})
