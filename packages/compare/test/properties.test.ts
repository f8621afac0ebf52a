import { type Comparison, compare } from '@twinspan/compare'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

// JSON-like values plus the kinds compare knows beyond JSON.
const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.double(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.bigInt(),
    fc.date({ noInvalidDate: false }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string(), tie('value'), { maxKeys: 5 }),
    fc.array(fc.tuple(fc.string(), tie('value')), { maxLength: 3 }).map((entries) => new Map(entries)),
    fc.uniqueArray(fc.oneof(fc.string(), fc.integer()), { maxLength: 4 }).map((members) => new Set(members)),
  ),
}))

// Whole-document pairs that differ in some places.
const pair = fc.tuple(value, value)

const byPath = (comparison: Comparison) =>
  comparison.differences.map((d) => ({ path: d.path, kind: d.kind, primary: d.primary, shadow: d.shadow }))

describe('properties', () => {
  it('a value always matches its deep clone', () => {
    fc.assert(
      fc.property(value, (original) => {
        const result = compare(original, structuredClone(original))
        expect(result.differences).toEqual([])
        expect(result.matches).toBe(true)
      }),
      { numRuns: 500 },
    )
  })

  it('a value always matches itself, with rules too', () => {
    const options = { rules: { '*': { normalize: 'trim' as const }, '[*]': { unordered: true } } }
    fc.assert(
      fc.property(value, (original) => {
        expect(compare(original, original, options).matches).toBe(true)
        expect(compare(original, structuredClone(original), options).matches).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  it('swapping primary and shadow swaps added and removed and keeps the paths', () => {
    const swapped = { added: 'removed', removed: 'added', changed: 'changed', type: 'type' } as const
    fc.assert(
      fc.property(pair, ([primary, shadow]) => {
        const forward = byPath(compare(primary, shadow, { maxDifferences: 10_000 }))
        const backward = byPath(compare(shadow, primary, { maxDifferences: 10_000 }))
        const expected = forward.map((d) => ({
          path: d.path,
          kind: swapped[d.kind],
          primary: d.shadow,
          shadow: d.primary,
        }))
        expect(backward.map((d) => d.path).sort()).toEqual(expected.map((d) => d.path).sort())
        expect(new Set(backward.map((d) => JSON.stringify([d.path, d.kind])))).toEqual(
          new Set(expected.map((d) => JSON.stringify([d.path, d.kind]))),
        )
      }),
      { numRuns: 500 },
    )
  })

  it('matches is false exactly when a difference is above cosmetic', () => {
    const severities = ['critical', 'major', 'minor', 'cosmetic'] as const
    fc.assert(
      fc.property(pair, fc.constantFrom(...severities), ([primary, shadow], severity) => {
        const result = compare(primary, shadow, { defaultSeverity: severity })
        expect(result.matches).toBe(result.differences.every((d) => d.severity === 'cosmetic'))
        expect(result.severity).toBe(result.differences.length === 0 ? 'none' : severity)
      }),
      { numRuns: 300 },
    )
  })

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.anything({ withMap: true, withSet: true, withBigInt: true, withDate: true }),
        fc.anything(),
        (a, b) => {
          const result = compare(a, b)
          expect(typeof result.matches).toBe('boolean')
        },
      ),
      { numRuns: 500 },
    )
  })
})
