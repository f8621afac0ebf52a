import { ATTR_EXPERIMENT, ATTR_OUTCOME, ATTR_SKIP_REASON } from '@twinspan/conventions'
import { cohortOf, experiment, fmix32, fnv1a32, METRICS } from '@twinspan/sdk'
import { beforeEach, describe, expect, it } from 'vitest'
import { exporter, meter, shadowSpans, tick, total, tracer } from './support.js'

beforeEach(() => exporter.reset())

/** Reference FNV-1a over TextEncoder's UTF-8, written independently of the SDK's encoder. */
function referenceFnv(text: string): number {
  let hash = 0x811c9dc5
  for (const byte of new TextEncoder().encode(text)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0
  return hash
}

describe('the sticky hash', () => {
  it('is FNV-1a 32-bit (published test vectors)', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5)
    expect(fnv1a32('a')).toBe(0xe40c292c)
    expect(fnv1a32('foobar')).toBe(0xbf9cf968)
  })

  it('hashes the UTF-8 bytes, including multi-byte and astral characters', () => {
    for (const text of ['é', 'Zürich', '東京', '😀 emoji', 'a\u0000b', '\ud800 lone'])
      expect(fnv1a32(text)).toBe(referenceFnv(text))
  })

  it('places a key in [0, 1) from the experiment name and the key', () => {
    const place = cohortOf('shipping-cost', 'customer-42')
    expect(place).toBe(fmix32(referenceFnv('shipping-cost\u0000customer-42')) / 2 ** 32)
    expect(place).toBeGreaterThanOrEqual(0)
    expect(place).toBeLessThan(1)
    expect(cohortOf('shipping-cost', 42)).toBe(cohortOf('shipping-cost', '42'))
    expect(cohortOf('other-experiment', 'customer-42')).not.toBe(place)
  })
})

describe('cohort spread', () => {
  it("fmix32 is MurmurHash3's finalizer (reference values)", () => {
    expect(fmix32(0)).toBe(0)
    expect(fmix32(1)).toBe(0x514e28b7)
    expect(fmix32(0xffffffff)).toBe(0x81f16f39)
  })

  it('spreads sequential ids evenly, so a small rate still samples a fair share', () => {
    for (const [prefix, n] of [
      ['customer-', 100],
      ['c-', 1000],
      ['', 10_000],
    ] as const) {
      const places = Array.from({ length: n }, (_, i) => cohortOf('shipping-cost', `${prefix}${i}`))
      for (const rate of [0.05, 0.25, 0.5]) {
        const share = places.filter((place) => place < rate).length / n
        // binomial: 4 standard deviations
        expect(Math.abs(share - rate), `${prefix}* n=${n} rate=${rate}`).toBeLessThan(
          4 * Math.sqrt((rate * (1 - rate)) / n),
        )
      }
      const deciles = new Array(10).fill(0)
      for (const place of places) deciles[Math.floor(place * 10)]++
      expect(Math.min(...deciles), `${prefix}* deciles`).toBeGreaterThan(0)
    }
  })
})

describe('sampling', () => {
  it('sampleRate 0 never runs the shadow and counts the skips', async () => {
    let shadowCalls = 0
    const exp = experiment({
      name: 'never',
      tracer,
      meter,
      sampleRate: 0,
      primary: () => 1,
      shadow: () => ++shadowCalls,
    })
    for (let i = 0; i < 20; i++) expect(await exp.run()).toBe(1)
    await exp.flush()
    expect(shadowCalls).toBe(0)
    expect(shadowSpans()).toHaveLength(0)
    expect(
      await total(METRICS.skips, { [ATTR_SKIP_REASON]: 'sampled_out', [ATTR_EXPERIMENT]: 'never' }),
    ).toBe(20)
  })

  it('sampleRate without a key samples about that share at random', async () => {
    let shadowCalls = 0
    const exp = experiment({
      name: 'half',
      tracer,
      sampleRate: 0.5,
      maxInFlight: Infinity,
      primary: () => 1,
      shadow: () => ++shadowCalls,
    })
    for (let i = 0; i < 2000; i++) await exp.run()
    await exp.flush()
    expect(shadowCalls).toBeGreaterThan(850)
    expect(shadowCalls).toBeLessThan(1150)
  })

  it('sampleKey makes the decision sticky and the same in every instance (process)', async () => {
    const sampledKeys = (calls: string[]) =>
      experiment({
        name: 'sticky',
        tracer,
        sampleRate: 0.25,
        maxInFlight: Infinity,
        sampleKey: (customerId: string) => customerId,
        primary: (customerId: string) => customerId,
        shadow: (customerId: string) => {
          calls.push(customerId)
          return customerId
        },
      })
    const keys = Array.from({ length: 400 }, (_, i) => `c-${i}`)
    const first: string[] = []
    const second: string[] = []
    const a = sampledKeys(first)
    const b = sampledKeys(second) // a fresh instance stands in for another process
    for (const key of keys) {
      await a.run(key)
      await a.run(key)
      await b.run(key)
    }
    await Promise.all([a.flush(), b.flush()])
    const expected = keys.filter((key) => cohortOf('sticky', key) < 0.25)
    expect(expected.length).toBeGreaterThan(60)
    expect(expected.length).toBeLessThan(140)
    expect(first).toEqual(expected.flatMap((key) => [key, key]))
    expect(second).toEqual(expected)
  })

  it('a key of undefined falls back to a random decision', async () => {
    let shadowCalls = 0
    const exp = experiment({
      name: 'no-key',
      tracer,
      sampleRate: 0.5,
      maxInFlight: Infinity,
      sampleKey: () => undefined,
      primary: () => 1,
      shadow: () => ++shadowCalls,
    })
    for (let i = 0; i < 400; i++) await exp.run()
    await exp.flush()
    expect(shadowCalls).toBeGreaterThan(120)
    expect(shadowCalls).toBeLessThan(280)
  })
})

describe('kill switch and run-time configuration', () => {
  it('enabled() is checked on every run', async () => {
    let on = true
    let shadowCalls = 0
    const exp = experiment({
      name: 'switch',
      tracer,
      meter,
      enabled: () => on,
      primary: () => 1,
      shadow: () => ++shadowCalls,
    })
    await exp.run()
    on = false
    await exp.run()
    await exp.run()
    on = true
    await exp.run()
    await exp.flush()
    expect(shadowCalls).toBe(2)
    expect(await total(METRICS.skips, { [ATTR_SKIP_REASON]: 'disabled', [ATTR_EXPERIMENT]: 'switch' })).toBe(
      2,
    )
  })

  it('enabled() receives the arguments', async () => {
    const seen: number[] = []
    const exp = experiment({
      name: 'switch-args',
      tracer,
      enabled: (n: number) => n % 2 === 0,
      primary: (n: number) => n,
      shadow: (n: number) => {
        seen.push(n)
        return n
      },
    })
    for (let n = 0; n < 6; n++) expect(await exp.run(n)).toBe(n)
    await exp.flush()
    expect(seen).toEqual([0, 2, 4])
  })

  it('configure changes sampleRate and enabled at run time; started runs keep their settings', async () => {
    let shadowCalls = 0
    let release!: () => void
    const exp = experiment({
      name: 'reconfigured',
      tracer,
      mode: 'concurrent',
      primary: () => 1,
      shadow: () => {
        shadowCalls++
        return new Promise<number>((resolve) => (release = () => resolve(1)))
      },
    })
    const pending = exp.run()
    exp.configure({ enabled: false })
    expect(exp.settings.enabled).toBe(false)
    expect(await exp.run()).toBe(1) // disabled: no shadow, no wait
    release()
    expect(await pending).toBe(1) // the started run still waited for its shadow
    exp.configure({ enabled: true, sampleRate: 0 })
    await exp.run()
    exp.configure({ sampleRate: 1 })
    const last = exp.run()
    await tick()
    release()
    expect(await last).toBe(1)
    await exp.flush()
    expect(shadowCalls).toBe(2)
    expect(shadowSpans().map((s) => s.attributes[ATTR_OUTCOME])).toEqual(['match', 'match'])
  })
})
