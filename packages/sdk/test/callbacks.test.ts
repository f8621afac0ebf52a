import { ATTR_CALLBACK, ATTR_EXPERIMENT, ATTR_OUTCOME, ATTR_SKIP_REASON } from '@twinspan/conventions'
import { type CallbackName, type ExperimentOptions, experiment, METRICS } from '@twinspan/sdk'
import { beforeEach, describe, expect, it } from 'vitest'
import { diagErrors, exporter, meter, shadowSpans, total, tracer } from './support.js'

beforeEach(() => {
  exporter.reset()
  diagErrors.length = 0
})

const bug = () => {
  throw new Error('user bug')
}

type Options = Partial<ExperimentOptions<(n: number) => { n: number }>>

describe('every user callback goes through one guarded path', () => {
  it.each<[CallbackName, Options, string | undefined, number]>([
    ['onResult', { onResult: bug }, 'match', 1],
    ['compare', { compare: bug }, 'mismatch', 1],
    ['clean', { clean: bug, onResult: () => {} }, 'match', 2], // once per side
    ['clone', { clone: bug }, 'match', 1],
    ['operation', { operation: bug }, 'match', 1],
    ['sampleKey', { sampleKey: bug, sampleRate: 0.5 }, undefined, 1],
    ['enabled', { enabled: bug }, undefined, 1],
  ])(
    'a throwing %s is reported to onError, diag and metrics, never to the caller',
    async (callback, options, outcome, times) => {
      const failures: unknown[] = []
      const name = `guarded-${callback}`
      const exp = experiment({
        name,
        tracer,
        meter,
        primary: (n: number) => ({ n }),
        shadow: (n: number) => ({ n }),
        onError: (error, failure) => void failures.push([(error as Error).message, failure]),
        ...options,
      })
      expect(await exp.run(1)).toEqual({ n: 1 })
      await exp.flush()
      expect(failures).toEqual(Array(times).fill(['user bug', { experiment: name, callback }]))
      expect(diagErrors.some(([message]) => String(message).includes(`${callback} threw`))).toBe(true)
      expect(
        await total(METRICS.callbackErrors, { [ATTR_CALLBACK]: callback, [ATTR_EXPERIMENT]: name }),
      ).toBe(times)
      if (outcome === undefined) {
        // sampling callbacks failing skip the shadows: the default does nothing harmful
        expect(shadowSpans()).toHaveLength(0)
        expect(
          await total(METRICS.skips, { [ATTR_SKIP_REASON]: 'callback_error', [ATTR_EXPERIMENT]: name }),
        ).toBe(1)
      } else {
        expect(shadowSpans().map((s) => s.attributes[ATTR_OUTCOME])).toEqual([outcome])
      }
    },
  )

  it('an async onResult that rejects is reported too', async () => {
    const failures: string[] = []
    const exp = experiment({
      name: 'async-on-result',
      tracer,
      primary: () => 1,
      shadow: () => 1,
      onResult: async () => {
        throw new Error('async bug')
      },
      onError: (error) => void failures.push((error as Error).message),
    })
    expect(await exp.run()).toBe(1)
    await exp.flush()
    await new Promise((r) => setImmediate(r))
    expect(failures).toEqual(['async bug'])
  })

  it('a throwing onError goes to the diag logger only', async () => {
    const exp = experiment({
      name: 'on-error-throws',
      tracer,
      primary: () => 1,
      shadow: () => 1,
      onResult: bug,
      onError: () => {
        throw new Error('hook bug')
      },
    })
    expect(await exp.run()).toBe(1)
    await exp.flush()
    expect(diagErrors.map(([message]) => String(message))).toEqual([
      "twinspan: experiment 'on-error-throws': onResult threw; the run carries on without it",
      "twinspan: experiment 'on-error-throws': onError threw",
    ])
  })

  it('a compare returning a promise is a reported misuse', async () => {
    const failures: string[] = []
    const exp = experiment({
      name: 'async-compare',
      tracer,
      primary: () => 1,
      shadow: () => 1,
      compare: (() => Promise.resolve(true)) as never,
      onError: (error) => void failures.push((error as Error).message),
    })
    await exp.run()
    await exp.flush()
    expect(failures).toEqual(['compare returned a promise; compare functions must be synchronous'])
  })

  it('onResult gets the run, cleaned by clean', async () => {
    const published: unknown[] = []
    const exp = experiment({
      name: 'clean',
      tracer,
      operation: 'quote',
      primary: () => ({ id: 7, computedAt: 1 }),
      shadow: () => ({ id: 7, computedAt: 2 }),
      clean: (value) => value.id,
      onResult: (r) => void published.push(r),
    })
    await exp.run()
    await exp.flush()
    expect(published).toEqual([
      expect.objectContaining({
        experiment: 'clean',
        candidate: 'shadow',
        operation: 'quote',
        outcome: 'mismatch',
        served: 'primary',
        primary: { value: 7, durationMs: expect.any(Number) },
        shadow: { value: 7, durationMs: expect.any(Number) },
        runId: expect.any(String),
      }),
    ])
  })
})
