import { context, trace } from '@opentelemetry/api'
import {
  ATTR_CANDIDATE,
  ATTR_DIFF,
  ATTR_DIFF_COUNT,
  ATTR_DIFF_PATHS,
  ATTR_ERROR_TYPE,
  ATTR_EXPERIMENT,
  ATTR_OPERATION,
  ATTR_OUTCOME,
  ATTR_PRIMARY_DURATION_MS,
  ATTR_ROLE,
  ATTR_RUN_ID,
  ATTR_SERVED,
  ATTR_SEVERITY,
  ATTR_SHADOW_DURATION_MS,
} from '@twinspan/conventions'
import { experiment } from '@twinspan/sdk'
import { beforeEach, describe, expect, it } from 'vitest'
import { exporter, primaryOf, primarySpans, theShadowSpan, tracer } from './support.js'

beforeEach(() => exporter.reset())

describe('spans per the wire contract', () => {
  it('primary span is a child of the active context; shadow span is linked to it at start', async () => {
    const exp = experiment({
      name: 'shipping-cost',
      tracer,
      primary: (weight: number) => weight * 2,
      shadow: async (weight: number) => weight * 2,
    })
    const request = tracer.startSpan('GET /quote')
    await context.with(trace.setSpan(context.active(), request), () => exp.run(4))
    request.end()
    await exp.flush()

    const shadow = theShadowSpan()
    const primary = primaryOf(shadow)
    expect(primary).toBeDefined()
    expect(primary?.parentSpanContext?.spanId).toBe(request.spanContext().spanId)
    expect(primary?.spanContext().traceId).toBe(request.spanContext().traceId)
    expect(shadow.links).toHaveLength(1)
    expect(shadow.links[0]?.context.spanId).toBe(primary?.spanContext().spanId)
    expect(shadow.links[0]?.context.traceId).toBe(primary?.spanContext().traceId)
    expect(shadow.parentSpanContext?.spanId).toBe(request.spanContext().spanId)
  })

  it('both spans carry the identity attributes; the shadow span carries the comparison', async () => {
    const exp = experiment({
      name: 'shipping-cost',
      tracer,
      operation: 'POST /quote',
      primary: () => ({ cost: 10 }),
      shadow: () => ({ cost: 11 }),
    })
    await exp.run()
    await exp.flush()
    const shadow = theShadowSpan()
    const primary = primaryOf(shadow)
    const runId = shadow.attributes[ATTR_RUN_ID]
    expect(typeof runId).toBe('string')
    expect(primary?.attributes).toEqual({
      [ATTR_EXPERIMENT]: 'shipping-cost',
      [ATTR_ROLE]: 'primary',
      [ATTR_RUN_ID]: runId,
      [ATTR_OPERATION]: 'POST /quote',
      [ATTR_CANDIDATE]: 'shadow',
    })
    expect(shadow.attributes).toMatchObject({
      [ATTR_EXPERIMENT]: 'shipping-cost',
      [ATTR_ROLE]: 'shadow',
      [ATTR_RUN_ID]: runId,
      [ATTR_OPERATION]: 'POST /quote',
      [ATTR_CANDIDATE]: 'shadow',
      [ATTR_OUTCOME]: 'mismatch',
      [ATTR_SEVERITY]: 'major',
      [ATTR_DIFF_COUNT]: 1,
      [ATTR_DIFF_PATHS]: ['cost'],
      [ATTR_SERVED]: 'primary',
    })
    expect(typeof shadow.attributes[ATTR_DIFF]).toBe('string')
    expect(shadow.attributes[ATTR_PRIMARY_DURATION_MS]).toBeTypeOf('number')
    expect(shadow.attributes[ATTR_SHADOW_DURATION_MS]).toBeTypeOf('number')
    expect(shadow.name).toBe('shipping-cost (shadow)')
    expect(primary?.name).toBe('shipping-cost')
  })

  it('operation may be computed from the arguments', async () => {
    const exp = experiment({
      name: 'by-carrier',
      tracer,
      operation: (s: { carrier: string }) => `quote ${s.carrier}`,
      primary: (s: { carrier: string }) => s.carrier.length,
      shadow: (s) => s.carrier.length,
    })
    await exp.run({ carrier: 'ups' })
    await exp.flush()
    expect(theShadowSpan().attributes[ATTR_OPERATION]).toBe('quote ups')
    expect(primarySpans()[0]?.attributes[ATTR_OPERATION]).toBe('quote ups')
  })

  it('ends the primary span when the primary settles, before the shadow finishes', async () => {
    let release!: () => void
    const exp = experiment({
      name: 'early-primary',
      tracer,
      primary: () => 1,
      shadow: () => new Promise<number>((resolve) => (release = () => resolve(1))),
    })
    await exp.run()
    await new Promise((r) => setImmediate(r))
    expect(primarySpans()).toHaveLength(1)
    release()
    await exp.flush()
    expect(theShadowSpan().attributes[ATTR_OUTCOME]).toBe('match')
  })

  it('records primary errors on the primary span', async () => {
    const exp = experiment({
      name: 'primary-error',
      tracer,
      primary: (): number => {
        throw new SyntaxError('bad input')
      },
      shadow: () => 1,
    })
    await expect(exp.run()).rejects.toThrow('bad input')
    await exp.flush()
    const primary = primaryOf(theShadowSpan())
    expect(primary?.attributes[ATTR_ERROR_TYPE]).toBe('SyntaxError')
    expect(primary?.status.code).toBe(2)
    expect(primary?.events.some((e) => e.name === 'exception')).toBe(true)
  })
})
