import { SpanStatusCode } from '@opentelemetry/api'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { ATTR_OUTCOME, ATTR_ROLE, ATTR_RUN_ID } from '@twinspan/conventions'
import { experiment } from '@twinspan/sdk'
import { beforeEach, describe, expect, it } from 'vitest'

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const tracer = provider.getTracer('test')

beforeEach(() => exporter.reset())

describe('experiment (skeleton)', () => {
  it('returns the primary value and records linked primary and shadow spans', async () => {
    const shipping = experiment({
      name: 'shipping-cost',
      tracer,
      primary: (weight: number) => weight * 2,
      shadow: (weight: number) => (weight > 10 ? weight * 2 + 1 : weight * 2),
    })
    expect(await shipping.run(3)).toBe(6)
    expect(await shipping.run(20)).toBe(40)
    await shipping.flush()

    const spans = exporter.getFinishedSpans()
    expect(spans).toHaveLength(4)
    const shadows = spans.filter((s) => s.attributes[ATTR_ROLE] === 'shadow')
    expect(shadows.map((s) => s.attributes[ATTR_OUTCOME]).sort()).toEqual(['match', 'mismatch'])
    for (const shadow of shadows) {
      const primary = spans.find(
        (s) =>
          s.attributes[ATTR_ROLE] === 'primary' &&
          s.attributes[ATTR_RUN_ID] === shadow.attributes[ATTR_RUN_ID],
      )
      expect(primary).toBeDefined()
      expect(shadow.links[0]?.context.spanId).toBe(primary?.spanContext().spanId)
    }
  })

  it('rethrows the primary error unchanged and never surfaces the shadow error', async () => {
    const boom = new RangeError('primary down')
    const failing = experiment({
      name: 'failing',
      tracer,
      primary: async () => {
        throw boom
      },
      shadow: async () => 1,
    })
    await expect(failing.run()).rejects.toBe(boom)

    const shadowThrows = experiment({
      name: 'shadow-throws',
      tracer,
      primary: () => 'ok',
      shadow: () => {
        throw new Error('shadow bug')
      },
    })
    expect(await shadowThrows.run()).toBe('ok')
    await Promise.all([failing.flush(), shadowThrows.flush()])
    const shadowSpan = exporter
      .getFinishedSpans()
      .find((s) => s.attributes[ATTR_ROLE] === 'shadow' && s.attributes[ATTR_OUTCOME] === 'shadow_error')
    expect(shadowSpan?.status.code).toBe(SpanStatusCode.ERROR)
  })
})
