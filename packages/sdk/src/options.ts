import type { Meter, Tracer } from '@opentelemetry/api'
import type { CompareOptions, Comparison, Difference } from '@twinspan/compare'
import type { Outcome, RunSeverity, Served, SKIP_REASONS } from '@twinspan/conventions'

// biome-ignore lint/suspicious/noExplicitAny: a function's parameters are contravariant; `any[]` accepts every signature.
export type AnyFunction = (...args: any[]) => unknown

/** What a call of `F` resolves to: the value the caller of `run` gets. */
export type Value<F extends AnyFunction> = Awaited<ReturnType<F>>

/** A candidate implementation: the primary's exact parameters, the primary's (possibly async) result. */
export type Shadow<F extends AnyFunction> = (...args: Parameters<F>) => Value<F> | PromiseLike<Value<F>>

/**
 * How the two sides are scheduled. `background`: the caller gets the primary's answer as soon as it
 * settles, the shadow finishes later. `concurrent`: both start together, the caller waits for both.
 * `sequential`: one after the other in random order.
 */
export type Mode = 'background' | 'concurrent' | 'sequential'

/** Whose answer the caller gets: always the primary's, always the shadow's, or a sticky share of runs. */
export type Serve = 'primary' | 'shadow' | { shadowPercent: number; candidate?: string }

/** A custom comparison: `true` for a match, or a full {@link Comparison}. Must be synchronous. */
export type CompareFunction<F extends AnyFunction> = (
  primary: Value<F>,
  shadow: Value<F>,
) => boolean | Comparison

/** What `sampleKey` returns: the cohort key; `undefined`/`null` falls back to a random decision. */
export type SampleKey = string | number | bigint | null | undefined

/** Why a run skipped its shadows. */
export type SkipReason = (typeof SKIP_REASONS)[number]

/** The user callbacks that run through the guarded path, named as reported to `onError`. */
export type CallbackName = 'compare' | 'clean' | 'clone' | 'enabled' | 'sampleKey' | 'operation' | 'onResult'

/** Where a user callback failed, as given to `onError`. */
export interface CallbackFailure {
  experiment: string
  callback: CallbackName
}

export interface ExperimentOptions<F extends AnyFunction> {
  /** Experiment name, the `parallel_run.experiment` attribute. */
  name: string
  /** The trusted implementation; its answer is what the caller gets. */
  primary: F
  /** The candidate, run on the same arguments (candidate name `shadow`). Give this or `shadows`. */
  shadow?: Shadow<F>
  /** Several candidates by name, each recorded as its own shadow span. Give this or `shadow`. */
  shadows?: Readonly<Record<string, Shadow<F>>>
  /** Scheduling of the two sides; default `background`. */
  mode?: Mode
  /** `@twinspan/compare` options (rules, defaultSeverity), or a custom synchronous compare function. */
  compare?: CompareOptions | CompareFunction<F>
  /** Shapes the values handed to `onResult` (Scientist's `clean`); comparison uses the raw values. */
  clean?: (value: Value<F>) => unknown
  /** Snapshot of a value before the caller gets it; default `structuredClone`, falling back to the value itself. */
  clone?: (value: Value<F>) => Value<F>
  /** Share of runs that also run the shadows, 0..1; default 1. */
  sampleRate?: number
  /** Cohort key: the same key gets the same sampling and serving decision in every process. */
  sampleKey?: (...args: Parameters<F>) => SampleKey
  /** Kill switch, checked on every run; default `true`. */
  enabled?: boolean | ((...args: Parameters<F>) => boolean)
  /** Deadline for each shadow in ms (`Infinity`: none); default 5000. The shadow's `AbortSignal` fires then. */
  timeoutMs?: number
  /** Runs whose shadows may be in flight at once; beyond it runs skip their shadows. Default 64. */
  maxInFlight?: number
  /** Whose answer the caller gets; default `primary`. A failed shadow falls back to the primary's answer. */
  serve?: Serve
  /** Per-endpoint discriminator, the `parallel_run.operation` attribute. */
  operation?: string | ((...args: Parameters<F>) => string | undefined)
  /** Make non-idempotent outgoing HTTP requests (fetch, node:http/https) from the shadow path fail fast. */
  blockSideEffects?: boolean
  /** Paths masked in everything exported (span attributes, `onResult` values), e.g. `customer.email`, `card.*`. */
  redact?: readonly string[]
  /** Test mode: `run` rejects with a `MismatchError` unless every candidate matched. */
  throwOnMismatch?: boolean
  /** Called with every finished run of every candidate. */
  onResult?: (result: RunResult) => void | PromiseLike<void>
  /** Called when a user callback throws (after the OTel diag logger has been told). */
  onError?: (error: unknown, failure: CallbackFailure) => void
  /** Tracer for the spans; default the global provider's `@twinspan/sdk` tracer. */
  tracer?: Tracer
  /** Meter for the metrics; default the global provider's `@twinspan/sdk` meter. */
  meter?: Meter
}

/** The options `configure` may change at run time: everything but the experiment's identity. */
export type ExperimentChanges<F extends AnyFunction> = Partial<
  Omit<ExperimentOptions<F>, 'name' | 'primary' | 'shadow' | 'shadows' | 'tracer' | 'meter'>
>

/** What one side did, as published. */
export interface SideResult {
  /** The side's value (the primary's snapshot), cleaned and redacted. */
  value?: unknown
  error?: unknown
  durationMs: number
}

/** What one run of one candidate came to, as given to `onResult` (values redacted). */
export interface RunResult {
  experiment: string
  runId: string
  candidate: string
  operation?: string
  outcome: Outcome
  severity: RunSeverity
  differences: Difference[]
  served: Served
  primary: SideResult
  shadow: SideResult
}

export interface Experiment<F extends AnyFunction> {
  /** Experiment name. */
  readonly name: string
  /** Run the primary (and, when sampled, the shadows); resolve with the served answer or reject with the primary's error. */
  readonly run: (...args: Parameters<F>) => Promise<Value<F>>
  /** Wait until every shadow started so far has been compared and recorded. */
  readonly flush: () => Promise<void>
  /** Change settings at run time; runs already started keep the settings they started with. */
  readonly configure: (changes: ExperimentChanges<F>) => void
  /** The current settings, frozen, defaults filled in. */
  readonly settings: Readonly<ExperimentOptions<F>>
  /** Runs whose shadows are still in flight. */
  readonly inFlight: number
}
