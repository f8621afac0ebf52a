/**
 * With a context manager and a propagator registered (as any OTel SDK setup does), the candidate's
 * request carries `traceparent` for the shadow span, so the candidate's spans join the run's trace.
 * Minimal implementations of both, against `@opentelemetry/api` only.
 */
import { AsyncLocalStorage } from 'node:async_hooks'
import {
  type Context,
  type ContextManager,
  context,
  propagation,
  ROOT_CONTEXT,
  type TextMapPropagator,
  trace,
} from '@opentelemetry/api'
import { ATTR_OUTCOME } from '@twinspan/conventions'
import { parallelRun } from '@twinspan/express'
import { afterAll, expect, it } from 'vitest'
import {
  candidateServer,
  legacyApp,
  primarySpans,
  type Running,
  rawRequest,
  serve,
  shadowSpans,
  tracer,
} from './support.js'

const storage = new AsyncLocalStorage<Context>()
const manager: ContextManager = {
  active: () => storage.getStore() ?? ROOT_CONTEXT,
  with: (ctx, fn, thisArg, ...args) => storage.run(ctx, () => fn.call(thisArg, ...args)),
  bind: (_ctx, target) => target,
  enable() {
    return this
  },
  disable() {
    return this
  },
}
const w3c: TextMapPropagator = {
  inject(ctx, carrier, setter) {
    const span = trace.getSpanContext(ctx)
    if (span !== undefined) setter.set(carrier, 'traceparent', `00-${span.traceId}-${span.spanId}-01`)
  },
  extract: (ctx) => ctx,
  fields: () => ['traceparent'],
}
context.setGlobalContextManager(manager)
propagation.setGlobalPropagator(w3c)

const open: Running[] = []
afterAll(async () => {
  await Promise.all(open.map((r) => r.close()))
})

it('the candidate gets traceparent for the shadow span (linked to the primary span)', async () => {
  const candidate = await candidateServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
    res.end('{}')
  })
  open.push(candidate)
  const middleware = parallelRun({ candidate: candidate.url, tracer })
  const legacy = await serve(legacyApp([middleware]))
  open.push(legacy)
  await rawRequest(legacy.port, 'GET', '/orders/1', {
    traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`,
  })
  await middleware.flush()

  const [shadow] = shadowSpans()
  const [primary] = primarySpans()
  expect(shadow?.attributes[ATTR_OUTCOME]).toBe('mismatch') // '{}' is not the order
  const sent = String(candidate.seen[0]?.headers.traceparent)
  // the client's traceparent is replaced by the shadow span's
  expect(sent).toBe(`00-${shadow?.spanContext().traceId}-${shadow?.spanContext().spanId}-01`)
  // no server span here, so each is a root; the contract links them
  expect(shadow?.links[0]?.context.spanId).toBe(primary?.spanContext().spanId)
})
