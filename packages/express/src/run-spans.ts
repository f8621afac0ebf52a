/**
 * Seeing the spans the SDK starts for each run. The SDK fixes a run's `parallel_run.operation`
 * when the run starts, but an HTTP request's operation (its route template) is known only once
 * Express has routed it. So the middleware gives the SDK a tracer that reports each span it
 * starts, with the role and run id the SDK sets at start, and puts the operation on both spans
 * itself once the response has finished, before either span ends.
 *
 * The SDK opens a run's primary span only for a run it decided to carry out (enabled, sampled,
 * under `maxInFlight`), just before it calls the primary: that is also the middleware's cue to
 * start capturing, so a request the SDK skips costs no capture at all.
 */
import type { Context, Span, SpanOptions, Tracer } from '@opentelemetry/api'
import { ATTR_ROLE, ATTR_RUN_ID } from '@twinspan/conventions'

/** Told of every span started through the tracer, with the role and run id it started with. */
export type SpanStarted = (span: Span, role: unknown, runId: unknown) => void

/** `tracer`, reporting each `startSpan` to `started` (which must not throw). */
export function watchedTracer(tracer: Tracer, started: SpanStarted): Tracer {
  return {
    startSpan(name: string, options?: SpanOptions, parent?: Context): Span {
      const span = tracer.startSpan(name, options, parent)
      started(span, options?.attributes?.[ATTR_ROLE], options?.attributes?.[ATTR_RUN_ID])
      return span
    },
    startActiveSpan: ((...args: Parameters<Tracer['startActiveSpan']>) =>
      (tracer.startActiveSpan as (...a: unknown[]) => unknown)(...args)) as Tracer['startActiveSpan'],
  }
}
