import type { Tracer } from '@opentelemetry/api'
import { ATTR_OUTCOME } from '@twinspan/conventions'
import { experiment, type RunResult } from '@twinspan/sdk'
import { beforeEach, describe, expect, it } from 'vitest'
import { diagErrors, exporter, theShadowSpan, tracer } from './support.js'

beforeEach(() => {
  exporter.reset()
  diagErrors.length = 0
})

describe('the caller comes first', () => {
  it('a tracer that throws costs the recording, not the answer', async () => {
    const broken = {
      startSpan: () => {
        throw new Error('tracer bug')
      },
    } as unknown as Tracer
    let primaryCalls = 0
    const exp = experiment({
      name: 'broken-tracer',
      tracer: broken,
      primary: () => ++primaryCalls,
      shadow: () => 1,
    })
    expect(await exp.run()).toBe(1)
    expect(primaryCalls).toBe(1)
    expect(exp.inFlight).toBe(0)
    expect(diagErrors.some(([message]) => String(message).includes('could not start the run'))).toBe(true)
  })

  it('a value with a throwing getter is still recorded', async () => {
    const published: RunResult[] = []
    const hostile = () => ({
      id: 1,
      get secret(): string {
        throw new Error('getter bug')
      },
    })
    const exp = experiment({
      name: 'hostile-value',
      tracer,
      redact: ['x'],
      primary: () => ({ id: 1 }) as { id: number; secret?: string },
      shadow: hostile,
      onResult: (r) => void published.push(r),
    })
    expect((await exp.run()).id).toBe(1)
    await exp.flush()
    expect(['match', 'mismatch']).toContain(theShadowSpan().attributes[ATTR_OUTCOME])
    expect(published).toHaveLength(1)
    expect(published[0]?.shadow.value).toBe('[UNREDACTABLE]') // hidden, never leaked raw
    expect(published[0]?.primary.value).toEqual({ id: 1 })
  })

  it('a thenable whose then throws counts as a shadow error', async () => {
    const broken = {
      // biome-ignore lint/suspicious/noThenProperty: a broken thenable is the point of this test
      then() {
        throw new Error('then bug')
      },
    } as unknown as Promise<number>
    const exp = experiment({
      name: 'bad-thenable',
      tracer,
      primary: async () => 1,
      shadow: () => broken,
    })
    expect(await exp.run()).toBe(1)
    await exp.flush()
    expect(theShadowSpan().attributes[ATTR_OUTCOME]).toBe('shadow_error')
  })
})
