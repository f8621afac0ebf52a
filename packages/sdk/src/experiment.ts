import { randomUUID } from 'node:crypto'
import { context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api'
import { type Comparison, compare, compareErrors, type Difference } from '@twinspan/compare'
import {
  ATTR_CANDIDATE,
  ATTR_DIFF,
  ATTR_DIFF_COUNT,
  ATTR_DIFF_PATHS,
  ATTR_ERROR_TYPE,
  ATTR_EXPERIMENT,
  ATTR_OUTCOME,
  ATTR_PRIMARY_DURATION_MS,
  ATTR_ROLE,
  ATTR_RUN_ID,
  ATTR_SERVED,
  ATTR_SEVERITY,
  ATTR_SHADOW_DURATION_MS,
  DEFAULT_CANDIDATE,
  type Outcome,
  type RunSeverity,
} from '@twinspan/conventions'

// biome-ignore lint/suspicious/noExplicitAny: a function's parameters are contravariant; `any[]` accepts every signature.
type AnyFunction = (...args: any[]) => unknown

export interface ExperimentOptions<F extends AnyFunction> {
  /** Experiment name, the `parallel_run.experiment` attribute. */
  name: string
  /** The trusted implementation; its answer is what the caller gets. */
  primary: F
  /** The candidate implementation, run on the same arguments. */
  shadow: (...args: Parameters<F>) => unknown
  /** Tracer to record spans with; defaults to the global tracer provider's `@twinspan/sdk` tracer. */
  tracer?: Tracer
  /** Called with every finished run. Errors it throws are swallowed. */
  onResult?: (result: RunResult) => void
}

/** What one run came to. */
export interface RunResult {
  experiment: string
  runId: string
  outcome: Outcome
  severity: RunSeverity
  differences: Difference[]
  primary: { value?: unknown; error?: unknown; durationMs: number }
  shadow: { value?: unknown; error?: unknown; durationMs: number }
}

export interface Experiment<F extends AnyFunction> {
  /** Run primary and shadow; resolve with the primary's value or reject with its error. */
  run: (...args: Parameters<F>) => Promise<Awaited<ReturnType<F>>>
  /** Wait until every shadow started so far has been compared and recorded. */
  flush: () => Promise<void>
}

interface Observation {
  value?: unknown
  error?: unknown
  threw: boolean
  durationMs: number
}

const DIFF_PATHS_MAX = 32
const DIFF_JSON_MAX_CHARS = 4096

/** Define a parallel-run experiment: `run` serves the primary and compares the shadow in the background. */
export function experiment<F extends AnyFunction>(options: ExperimentOptions<F>): Experiment<F> {
  const { name } = options
  const tracer = options.tracer ?? trace.getTracer('@twinspan/sdk')
  const inFlight = new Set<Promise<void>>()

  async function run(...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> {
    const runId = randomUUID()
    const primarySpan = tracer.startSpan(name, {
      attributes: { [ATTR_EXPERIMENT]: name, [ATTR_ROLE]: 'primary', [ATTR_RUN_ID]: runId },
    })
    const shadowSpan = tracer.startSpan(`${name} (shadow)`, {
      links: [{ context: primarySpan.spanContext() }],
      attributes: {
        [ATTR_EXPERIMENT]: name,
        [ATTR_ROLE]: 'shadow',
        [ATTR_RUN_ID]: runId,
        [ATTR_CANDIDATE]: DEFAULT_CANDIDATE,
      },
    })
    const primaryContext = trace.setSpan(context.active(), primarySpan)
    const shadowContext = trace.setSpan(context.active(), shadowSpan)

    const primaryDone = observe(() => context.with(primaryContext, () => options.primary(...args)))
    const shadowDone = observe(() => context.with(shadowContext, () => options.shadow(...args)))

    const primary = await primaryDone
    endSide(primarySpan, primary)

    const recorded = shadowDone.then((shadow) => record(runId, primary, shadow, shadowSpan)).catch(() => {}) // recording must never surface to the caller
    inFlight.add(recorded)
    void recorded.finally(() => inFlight.delete(recorded))

    if (primary.threw) throw primary.error
    return primary.value as Awaited<ReturnType<F>>
  }

  function record(runId: string, primary: Observation, shadow: Observation, span: Span): void {
    let outcome: Outcome
    let comparison: Comparison
    if (shadow.threw && !primary.threw) {
      outcome = 'shadow_error'
      comparison = { matches: false, severity: 'none', differences: [] }
    } else {
      comparison =
        primary.threw || shadow.threw
          ? compareErrors(primary.threw ? primary.error : undefined, shadow.threw ? shadow.error : undefined)
          : compare(primary.value, shadow.value)
      outcome = comparison.matches ? 'match' : 'mismatch'
    }
    const paths = comparison.differences.slice(0, DIFF_PATHS_MAX).map((d) => d.path)
    span.setAttributes({
      [ATTR_OUTCOME]: outcome,
      [ATTR_SEVERITY]: comparison.severity,
      [ATTR_DIFF_COUNT]: comparison.differences.length,
      [ATTR_DIFF_PATHS]: paths,
      [ATTR_DIFF]: boundedJson(comparison.differences),
      [ATTR_PRIMARY_DURATION_MS]: primary.durationMs,
      [ATTR_SHADOW_DURATION_MS]: shadow.durationMs,
      [ATTR_SERVED]: 'primary',
    })
    endSide(span, shadow)
    try {
      options.onResult?.({
        experiment: name,
        runId,
        outcome,
        severity: comparison.severity,
        differences: comparison.differences,
        primary: { value: primary.value, error: primary.error, durationMs: primary.durationMs },
        shadow: { value: shadow.value, error: shadow.error, durationMs: shadow.durationMs },
      })
    } catch {
      // a bug in user code is never thrown into the caller
    }
  }

  async function flush(): Promise<void> {
    while (inFlight.size > 0) await Promise.all([...inFlight])
  }

  return { run, flush }
}

/** Run one side, capturing its value or error and how long it took. */
async function observe(fn: () => unknown): Promise<Observation> {
  const start = performance.now()
  try {
    const value = await fn()
    return { value, threw: false, durationMs: performance.now() - start }
  } catch (error) {
    return { error, threw: true, durationMs: performance.now() - start }
  }
}

function endSide(span: Span, observation: Observation): void {
  if (observation.threw) {
    const error = observation.error
    span.setAttribute(ATTR_ERROR_TYPE, error instanceof Error ? error.constructor.name : typeof error)
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    })
  }
  span.end()
}

function boundedJson(differences: Difference[]): string {
  let json: string
  try {
    json = JSON.stringify(differences, (_key, value) =>
      typeof value === 'bigint' ? value.toString() : value,
    )
  } catch {
    json = JSON.stringify(differences.map((d) => ({ path: d.path, kind: d.kind, severity: d.severity })))
  }
  return json.length > DIFF_JSON_MAX_CHARS ? `${json.slice(0, DIFF_JSON_MAX_CHARS - 1)}…` : json
}
