/** Shared test wiring: a real OTel SDK (in-memory spans, pull-based metrics) and small helpers. */
import { context, DiagLogLevel, diag } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { type DataPoint, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { ATTR_CANDIDATE, ATTR_DIFF, ATTR_ROLE, ATTR_RUN_ID } from '@twinspan/conventions'

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())

export const exporter = new InMemorySpanExporter()
export const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
export const tracer = tracerProvider.getTracer('test')

/** A metric reader the test collects from on demand. */
export class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}
export const metricReader = new PullReader()
export const meterProvider = new MeterProvider({ readers: [metricReader] })
export const meter = meterProvider.getMeter('test')

/** Diag messages at error level, captured. */
export const diagErrors: unknown[][] = []
diag.setLogger(
  {
    error: (...args: unknown[]) => diagErrors.push(args),
    warn: () => {},
    info: () => {},
    debug: () => {},
    verbose: () => {},
  },
  DiagLogLevel.ERROR,
)

export function spans(): ReadableSpan[] {
  return exporter.getFinishedSpans()
}
export function primarySpans(): ReadableSpan[] {
  return spans().filter((s) => s.attributes[ATTR_ROLE] === 'primary')
}
export function shadowSpans(candidate?: string): ReadableSpan[] {
  return spans().filter(
    (s) =>
      s.attributes[ATTR_ROLE] === 'shadow' &&
      (candidate === undefined || s.attributes[ATTR_CANDIDATE] === candidate),
  )
}
/** The only shadow span; fails when there is not exactly one. */
export function theShadowSpan(): ReadableSpan {
  const all = shadowSpans()
  if (all.length !== 1) throw new Error(`expected one shadow span, got ${all.length}`)
  return all[0] as ReadableSpan
}
export function primaryOf(shadow: ReadableSpan): ReadableSpan | undefined {
  return primarySpans().find((p) => p.attributes[ATTR_RUN_ID] === shadow.attributes[ATTR_RUN_ID])
}
export function diffOf(span: ReadableSpan): Array<Record<string, unknown>> {
  return JSON.parse(String(span.attributes[ATTR_DIFF]))
}

/** Data points of metric `name` from a fresh collection. */
export async function points(name: string): Promise<DataPoint<unknown>[]> {
  const { resourceMetrics } = await metricReader.collect()
  for (const scope of resourceMetrics.scopeMetrics)
    for (const metric of scope.metrics)
      if (metric.descriptor.name === name) return metric.dataPoints as DataPoint<unknown>[]
  return []
}
/** Sum of counter `name` over points whose attributes include `where`. */
export async function total(name: string, where: Record<string, unknown> = {}): Promise<number> {
  return (await points(name))
    .filter((p) => Object.entries(where).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + (p.value as number), 0)
}

/** A promise with its resolve exposed: a gate a test opens when it chooses. */
export function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void
  const promise = new Promise<T>((resolve) => {
    open = resolve
  })
  return { promise, open }
}

/** Busy-wait `ms` milliseconds (CPU work, not a timer). */
export function busy(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // spin
  }
}

/** One turn of the event loop. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}
