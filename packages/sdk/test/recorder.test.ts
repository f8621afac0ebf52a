/**
 * `recorder()`: runs whose sides the caller reports are recorded like `experiment()` runs: the
 * same linked spans and attributes, outcomes, deadline, sampling, in-flight bound, metrics and
 * onResult; plus an operation set after the run began.
 */
import { context, type Tracer, trace } from '@opentelemetry/api'
import {
  ATTR_CANDIDATE,
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
import { type RunResult, recorder } from '@twinspan/sdk'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  busy,
  diagErrors,
  exporter,
  meter,
  primaryOf,
  primarySpans,
  shadowSpans,
  theShadowSpan,
  total,
  tracer,
} from './support.js'

beforeEach(() => exporter.reset())

describe('recorder', () => {
  it('records a run the caller reports with the spans of the wire contract', async () => {
    const results: [RunResult, string][] = []
    const quotes = recorder<[string]>({
      name: 'quote-tee',
      tracer,
      candidate: 'v2',
      onResult: (result, request) => {
        results.push([result, request])
      },
    })
    const request = tracer.startSpan('GET /quote')
    const run = context.with(trace.setSpan(context.active(), request), () => quotes.begin('GET /quote/7'))
    request.end()
    if (run === undefined) throw new Error('sampleRate 1 must carry out every run')
    expect(quotes.inFlight).toBe(1)
    busy(20) // the primary's own work before the mirror starts
    const shadowContext = run.startShadow()
    busy(2)
    run.shadow({ value: { total: 10 } })
    busy(2)
    run.primary({ value: { total: 10 } })
    await quotes.flush()
    expect(quotes.inFlight).toBe(0)

    const shadow = theShadowSpan()
    const primary = primaryOf(shadow)
    expect(primary?.parentSpanContext?.spanId).toBe(request.spanContext().spanId)
    expect(shadow.links[0]?.context.spanId).toBe(primary?.spanContext().spanId)
    expect(trace.getSpanContext(shadowContext)?.spanId).toBe(shadow.spanContext().spanId)
    for (const span of [primary, shadow]) {
      expect(span?.attributes[ATTR_EXPERIMENT]).toBe('quote-tee')
      expect(span?.attributes[ATTR_RUN_ID]).toBe(run.runId)
      expect(span?.attributes[ATTR_CANDIDATE]).toBe('v2')
    }
    expect(primary?.attributes[ATTR_ROLE]).toBe('primary')
    expect(shadow.attributes).toMatchObject({
      [ATTR_ROLE]: 'shadow',
      [ATTR_OUTCOME]: 'match',
      [ATTR_SEVERITY]: 'none',
      [ATTR_SERVED]: 'primary',
    })
    // each side timed from its own start: the primary from begin (≥ 24 ms), the shadow from
    // startShadow (≥ 2 ms, and far from the 22 ms it would be if timed from begin)
    expect(shadow.attributes[ATTR_PRIMARY_DURATION_MS]).toBeGreaterThanOrEqual(24)
    expect(shadow.attributes[ATTR_SHADOW_DURATION_MS]).toBeGreaterThanOrEqual(2)
    expect(shadow.attributes[ATTR_SHADOW_DURATION_MS]).toBeLessThan(20)
    expect(results).toHaveLength(1)
    expect(results[0]?.[0]).toMatchObject({ runId: run.runId, candidate: 'v2', outcome: 'match' })
    expect(results[0]?.[1]).toBe('GET /quote/7')
  })

  it('compares with the configured rules and reports a shadow error', async () => {
    const quotes = recorder({
      name: 'quote-rules',
      tracer,
      compare: { rules: { total: { severity: 'critical' } } },
    })
    const changed = quotes.begin()
    changed?.startShadow()
    changed?.primary({ value: { total: 10 } })
    changed?.shadow({ value: { total: 11 } })
    const failed = quotes.begin()
    failed?.startShadow()
    failed?.shadow({ error: new TypeError('connection refused') })
    failed?.primary({ value: { total: 10 } })
    await quotes.flush()
    const [mismatch, error] = shadowSpans()
    expect(mismatch?.attributes).toMatchObject({
      [ATTR_OUTCOME]: 'mismatch',
      [ATTR_SEVERITY]: 'critical',
      [ATTR_DIFF_PATHS]: ['total'],
    })
    expect(error?.attributes).toMatchObject({
      [ATTR_OUTCOME]: 'shadow_error',
      [ATTR_ERROR_TYPE]: 'TypeError',
    })
  })

  it('takes an operation set after the run began, on both spans and in the metrics', async () => {
    const quotes = recorder({ name: 'quote-operation', tracer, meter })
    const early = quotes.begin()
    early?.startShadow() // the shadow span is open when the operation is learnt
    early?.setOperation('GET /quote/:id')
    early?.shadow({ value: 1 })
    early?.primary({ value: 1 })
    const late = quotes.begin()
    late?.setOperation('GET /other/:id') // before the shadow starts
    late?.startShadow()
    late?.primary({ value: 1 })
    late?.shadow({ value: 1 })
    await quotes.flush()
    const operations = shadowSpans().map((s) => s.attributes[ATTR_OPERATION])
    expect(operations).toEqual(['GET /quote/:id', 'GET /other/:id'])
    expect(primarySpans().map((s) => s.attributes[ATTR_OPERATION])).toEqual([
      'GET /quote/:id',
      'GET /other/:id',
    ])
    expect(
      await total('parallel_run.runs', {
        [ATTR_EXPERIMENT]: 'quote-operation',
        [ATTR_OPERATION]: 'GET /quote/:id',
        [ATTR_OUTCOME]: 'match',
      }),
    ).toBe(1)
  })

  it('records a shadow past its deadline as timeout and calls onDeadline, once per run', async () => {
    const quotes = recorder({ name: 'quote-deadline', tracer, timeoutMs: 40 })
    const aborted: string[] = []
    const runs = [quotes.begin(), quotes.begin(), quotes.begin()]
    runs.forEach((run, i) => {
      run?.startShadow((reason) => aborted.push(`${i}:${reason.name}`))
      run?.primary({ value: 1 })
    })
    runs[1]?.shadow({ value: 1 }) // in time
    const started = performance.now()
    await quotes.flush()
    expect(performance.now() - started).toBeGreaterThanOrEqual(30)
    runs[0]?.shadow({ value: 1 }) // too late: ignored
    expect(aborted).toEqual(['0:TimeoutError', '2:TimeoutError'])
    expect(
      shadowSpans()
        .map((s) => s.attributes[ATTR_OUTCOME])
        .sort(),
    ).toEqual(['match', 'timeout', 'timeout'])
  })

  it('says when a run is skipped: disabled, sampled out or over maxInFlight, and counts why', async () => {
    const off = recorder({ name: 'quote-off', tracer, meter, enabled: false })
    expect(off.begin()).toBeUndefined()
    const none = recorder({ name: 'quote-none', tracer, meter, sampleRate: 0 })
    expect(none.begin()).toBeUndefined()
    const sticky = recorder<[string]>({
      name: 'quote-sticky',
      tracer,
      sampleRate: 0.5,
      sampleKey: (customer) => customer,
    })
    for (const customer of ['c-1', 'c-2', 'c-3', 'c-4']) {
      const first = sticky.begin(customer) !== undefined
      const again = sticky.begin(customer) !== undefined
      expect(again).toBe(first)
    }
    const bounded = recorder({ name: 'quote-bounded', tracer, meter, maxInFlight: 2 })
    const held = [bounded.begin(), bounded.begin()]
    expect(held.every((run) => run !== undefined)).toBe(true)
    expect(bounded.begin()).toBeUndefined()
    for (const run of held) {
      run?.startShadow()
      run?.primary({ value: 1 })
      run?.shadow({ value: 1 })
    }
    expect(bounded.inFlight).toBe(0)
    expect(bounded.begin()).toBeDefined()
    expect(await total('parallel_run.skips', { [ATTR_EXPERIMENT]: 'quote-off' })).toBe(1)
    expect(await total('parallel_run.skips', { [ATTR_EXPERIMENT]: 'quote-none' })).toBe(1)
    expect(await total('parallel_run.skips', { [ATTR_EXPERIMENT]: 'quote-bounded' })).toBe(1)
  })

  it('a tracer that throws costs the recording, never the caller', async () => {
    const broken = {
      startSpan: () => {
        throw new Error('tracer bug')
      },
    } as unknown as Tracer
    const results: string[] = []
    const quotes = recorder({
      name: 'quote-broken-tracer',
      tracer: broken,
      onResult: (r) => {
        results.push(r.outcome)
      },
    })
    const run = quotes.begin()
    expect(() => {
      run?.startShadow()
      run?.primary({ value: 1 })
      run?.shadow({ value: 1 })
    }).not.toThrow()
    await quotes.flush()
    expect(quotes.inFlight).toBe(0)
    expect(results).toEqual(['match'])
    expect(diagErrors.some(([message]) => String(message).includes('could not start a span'))).toBe(true)
  })

  it('keeps callbacks from hurting the caller, and checks its options', () => {
    const errors: string[] = []
    const broken = recorder({
      name: 'quote-broken',
      tracer,
      operation: () => {
        throw new Error('operation broke')
      },
      onResult: () => {
        throw new Error('onResult broke')
      },
      onError: (_error, failure) => errors.push(failure.callback),
    })
    const run = broken.begin()
    run?.startShadow()
    run?.primary({ value: 1 })
    expect(() => run?.shadow({ value: 1 })).not.toThrow()
    expect(errors).toEqual(['operation', 'onResult'])
    expect(() => recorder({ name: 'x', sampleRate: 2 })).toThrow(/sampleRate/)
    expect(() => recorder({ name: 'x', candidate: '' })).toThrow(/candidate/)
  })
})
