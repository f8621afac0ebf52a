import v8 from 'node:v8'
import vm from 'node:vm'
import { ATTR_EXPERIMENT, ATTR_OUTCOME, ATTR_SKIP_REASON } from '@twinspan/conventions'
import { experiment, isShadow, METRICS, shadowSignal } from '@twinspan/sdk'
import { beforeEach, describe, expect, it } from 'vitest'
import { exporter, gate, meter, shadowSpans, theShadowSpan, total, tracer } from './support.js'

beforeEach(() => exporter.reset())

describe('timeoutMs', () => {
  it("aborts the shadow's AbortSignal at the deadline, and only the shadow sees one", async () => {
    let signal: AbortSignal | undefined
    let primarySignal: AbortSignal | undefined = new AbortController().signal
    const exp = experiment({
      name: 'deadline',
      tracer,
      timeoutMs: 15,
      primary: () => {
        primarySignal = shadowSignal()
        return 'done'
      },
      shadow: () => {
        signal = shadowSignal()
        return new Promise<string>((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal?.reason))
        })
      },
    })
    expect(await exp.run()).toBe('done')
    await exp.flush()
    expect(primarySignal).toBeUndefined()
    expect(signal?.aborted).toBe(true)
    expect((signal?.reason as DOMException | undefined)?.name).toBe('TimeoutError')
    expect(theShadowSpan().attributes[ATTR_OUTCOME]).toBe('timeout')
  })

  it('a shadow that settles in time keeps its signal unaborted', async () => {
    let signal: AbortSignal | undefined
    const exp = experiment({
      name: 'in-time',
      tracer,
      timeoutMs: 1000,
      primary: () => 1,
      shadow: async () => {
        signal = shadowSignal()
        return 1
      },
    })
    await exp.run()
    await exp.flush()
    expect(signal?.aborted).toBe(false)
    expect(isShadow()).toBe(false)
  })
})

describe('maxInFlight', () => {
  it('skips (and counts) runs beyond the cap instead of queueing them', async () => {
    const release = gate<number>()
    let shadowCalls = 0
    const exp = experiment({
      name: 'capped',
      tracer,
      meter,
      maxInFlight: 2,
      primary: () => 1,
      shadow: () => {
        shadowCalls++
        return release.promise
      },
    })
    for (let i = 0; i < 5; i++) expect(await exp.run()).toBe(1)
    await new Promise((r) => setImmediate(r))
    expect(exp.inFlight).toBe(2)
    expect(shadowCalls).toBe(2)
    expect(
      await total(METRICS.skips, { [ATTR_EXPERIMENT]: 'capped', [ATTR_SKIP_REASON]: 'max_in_flight' }),
    ).toBe(3)

    release.open(1)
    await exp.flush()
    expect(exp.inFlight).toBe(0)
    await exp.run() // room again: the shadow runs
    await exp.flush()
    expect(shadowCalls).toBe(3)
    expect(shadowSpans()).toHaveLength(3)
  })
})

/** `gc()` even without --expose-gc (V8 flag set at run time, function taken from a fresh context). */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (exposed) return exposed
  v8.setFlagsFromString('--expose-gc')
  return vm.runInNewContext('gc') as () => void
}

/** A never-settling promise shared by every run: a hung connection every call waits on. */
const forever = new Promise<{ n: number; payload: string }>(() => {})

describe('a shadow that never settles', () => {
  it.each([
    ['a fresh promise per run', () => new Promise<{ n: number; payload: string }>(() => {})],
    ['one shared promise', () => forever],
  ])(
    'leaks nothing over 100k runs (%s): in-flight drains, the heap stays flat',
    async (_kind, shadow) => {
      const gc = collector()
      let timeouts = 0
      const exp = experiment({
        name: 'hanging',
        tracer: undefined, // the global no-op tracer: this test measures the SDK, not span storage
        timeoutMs: 1,
        maxInFlight: 2000,
        primary: (n: number) => ({ n, payload: 'x'.repeat(64) }),
        shadow,
        onResult: (r) => {
          if (r.outcome === 'timeout') timeouts++
        },
      })
      const batch = async () => {
        const runs: Promise<unknown>[] = []
        for (let i = 0; i < 1000; i++) runs.push(exp.run(i))
        await Promise.all(runs)
        await exp.flush()
      }
      for (let i = 0; i < 10; i++) await batch() // warm up
      gc()
      const before = process.memoryUsage().heapUsed
      for (let i = 0; i < 100; i++) await batch()
      gc()
      const growthMb = (process.memoryUsage().heapUsed - before) / 1024 / 1024
      expect(exp.inFlight).toBe(0)
      expect(timeouts).toBe(110_000)
      expect(growthMb).toBeLessThan(20) // measured: under 1 MB either way
    },
    120_000,
  )
})
