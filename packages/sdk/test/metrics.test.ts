import { metrics } from '@opentelemetry/api'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import {
  ATTR_CANDIDATE,
  ATTR_EXPERIMENT,
  ATTR_OPERATION,
  ATTR_OUTCOME,
  ATTR_ROLE,
} from '@twinspan/conventions'
import { experiment, METRICS } from '@twinspan/sdk'
import { describe, expect, it } from 'vitest'
import { meter, PullReader, points, total, tracer } from './support.js'

describe('metrics', () => {
  it('counts runs by experiment, operation, candidate and outcome, and durations by role', async () => {
    const exp = experiment({
      name: 'metered',
      tracer,
      meter,
      operation: (n: number) => (n > 0 ? 'positive' : 'other'),
      primary: (n: number) => n,
      shadows: {
        same: (n) => n,
        off: (n) => n + 1,
        broken: (): number => Promise.reject(new Error('x')) as never,
      },
    })
    for (const n of [1, 2, 0]) await exp.run(n)
    await exp.flush()
    const by = (where: Record<string, string>) =>
      total(METRICS.runs, { [ATTR_EXPERIMENT]: 'metered', ...where })
    expect(await by({ [ATTR_CANDIDATE]: 'same', [ATTR_OUTCOME]: 'match' })).toBe(3)
    expect(await by({ [ATTR_CANDIDATE]: 'off', [ATTR_OUTCOME]: 'mismatch' })).toBe(3)
    expect(await by({ [ATTR_CANDIDATE]: 'broken', [ATTR_OUTCOME]: 'shadow_error' })).toBe(3)
    expect(await by({ [ATTR_OPERATION]: 'positive' })).toBe(6)
    expect(await by({ [ATTR_OPERATION]: 'other' })).toBe(3)

    const durations = (await points(METRICS.duration)).filter(
      (p) => p.attributes[ATTR_EXPERIMENT] === 'metered',
    )
    const count = (role: string) =>
      durations
        .filter((p) => p.attributes[ATTR_ROLE] === role)
        .reduce((sum, p) => sum + (p.value as { count: number }).count, 0)
    expect(count('primary')).toBe(3)
    expect(count('shadow')).toBe(9)
    const inFlight = (await points(METRICS.inFlight)).find((p) => p.attributes[ATTR_EXPERIMENT] === 'metered')
    expect(inFlight?.value).toBe(0)
  })

  it('follows a global meter provider registered after the experiment was created', async () => {
    const exp = experiment({ name: 'late-provider', tracer, primary: () => 1, shadow: () => 1 })
    await exp.run() // no provider yet: a no-op
    const late = new PullReader()
    const lateProvider = new MeterProvider({ readers: [late] })
    expect(metrics.setGlobalMeterProvider(lateProvider)).toBe(true)
    await exp.run()
    await exp.flush()
    const { resourceMetrics } = await late.collect()
    const runs = resourceMetrics.scopeMetrics
      .flatMap((scope) => scope.metrics)
      .find((metric) => metric.descriptor.name === METRICS.runs)
    expect(runs?.dataPoints.reduce((sum, p) => sum + (p.value as number), 0)).toBe(1)
    metrics.disable()
    await lateProvider.shutdown()
  })
})
