/**
 * `recorder()`: runs whose two sides the caller carries out itself (a proxy, an HTTP tee that
 * sees both answers go by), recorded exactly like `experiment()` runs: the same sampling,
 * in-flight bound, deadline, comparison, spans, metrics and `onResult`. The caller reports each
 * side as it settles; the run needs no AsyncLocalStorage scope, timer or promise of its own, so
 * a run costs a few object allocations on top of its spans. This is also where a run can learn
 * its operation after it started (`setOperation`), and where "was this run sampled" is answered
 * explicitly (`begin` returns `undefined`).
 */
import { randomUUID } from 'node:crypto'
import {
  type Attributes,
  type Context,
  context,
  diag,
  INVALID_SPAN_CONTEXT,
  type Span,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import {
  ATTR_CALLBACK,
  ATTR_CANDIDATE,
  ATTR_EXPERIMENT,
  ATTR_OPERATION,
  ATTR_OUTCOME,
  ATTR_ROLE,
  ATTR_SKIP_REASON,
  DEFAULT_CANDIDATE,
  OUTCOMES,
  type Outcome,
} from '@twinspan/conventions'
import { guard, type Report, reporter } from './guard.js'
import { judge } from './judge.js'
import { type Instruments, instrumentsFor } from './metrics.js'
import type { Observation } from './observe.js'
import type { ExperimentOptions, RunResult, SkipReason } from './options.js'
import { plan } from './plan.js'
import { publish } from './publish.js'
import { endShadowSpan, endSpan, type RunIdentity, startPrimarySpan, startShadowSpan } from './record.js'
import { freezeSettings, type Settings } from './settings.js'

type Caller<A extends unknown[]> = (...args: A) => unknown

/** `experiment()`'s options less those about calling the sides, plus the candidate's name. */
export interface RecorderOptions<A extends unknown[] = []>
  extends Omit<
    ExperimentOptions<Caller<A>>,
    | 'primary'
    | 'shadow'
    | 'shadows'
    | 'mode'
    | 'serve'
    | 'clone'
    | 'blockSideEffects'
    | 'throwOnMismatch'
    | 'onResult'
  > {
  /** `parallel_run.candidate`; default `shadow`. */
  candidate?: string
  /** Called with every recorded run, and the arguments its `begin` was given. */
  onResult?: (result: RunResult, ...args: A) => void | PromiseLike<void>
}

/** How a side settled: with a value, or with an error. */
export type Settled = { readonly value: unknown } | { readonly error: unknown }

/** One run begun by `Recorder.begin`. Report both sides; the run is recorded once both settled. */
export interface RecordedRun {
  readonly runId: string
  /** Set `parallel_run.operation` (spans, metrics, `onResult`) at any time before the run is recorded. */
  setOperation(operation: string): void
  /** The primary settled; its duration runs from `begin`. Its span ends now. */
  primary(settled: Settled): void
  /**
   * Start the shadow: its span opens (linked to the primary's) and its deadline (`timeoutMs`)
   * starts; if the deadline passes first the run is recorded as `timeout` and `onDeadline` is
   * called (abort the shadow's work there). Returns the context holding the shadow span, to
   * propagate to the shadow's callee.
   */
  startShadow(onDeadline?: (reason: Error) => void): Context
  /** The shadow settled; its duration runs from `startShadow`. Ignored after its deadline. */
  shadow(settled: Settled): void
}

/** Runs reported by their caller. */
export interface Recorder<A extends unknown[] = []> {
  readonly name: string
  /**
   * Decide the run of `args` (kill switch, sample, `maxInFlight`) and, when it is carried out,
   * return it; `undefined` when it is skipped (counted in `parallel_run.skips` by reason). Its
   * primary span is a child of the active context and starts now, but is made (with the run id)
   * only when first needed, off the caller's path.
   */
  begin(...args: A): RecordedRun | undefined
  /** Resolves when every run begun so far has been recorded. */
  flush(): Promise<void>
  /** Runs begun and not recorded yet. */
  readonly inFlight: number
}

const NOOP = () => undefined

/** Create a recorder: `experiment()`'s recording, for sides the caller carries out. */
export function recorder<A extends unknown[] = []>(options: RecorderOptions<A>): Recorder<A> {
  const candidate = options.candidate ?? DEFAULT_CANDIDATE
  if (typeof candidate !== 'string' || candidate === '')
    throw new TypeError(`twinspan: recorder '${nameOf(options)}': candidate must be a non-empty string`)
  // the sides are the caller's: the settings' functions are placeholders, never called
  const settings = freezeSettings<Caller<A>>({
    ...options,
    primary: NOOP,
    shadows: { [candidate]: NOOP },
    onResult: undefined,
  })
  if (options.onResult !== undefined && typeof options.onResult !== 'function')
    throw new TypeError(`twinspan: recorder '${nameOf(options)}': onResult must be a function`)
  const instruments = instrumentsFor(options.meter)
  const name = settings.options.name
  const report = reporter(name, options.onError, (callback) =>
    instruments().callbackErrors.add(1, { [ATTR_EXPERIMENT]: name, [ATTR_CALLBACK]: callback }),
  )
  const inFlightAttributes = Object.freeze({ [ATTR_EXPERIMENT]: name })
  const skipAttributes: Partial<Record<SkipReason, Attributes>> = {}
  const core: Core<A> = {
    attributes: attributesCache(name, candidate),
    candidates: Object.freeze([candidate]),
    settings,
    tracer: settings.options.tracer ?? trace.getTracer(name),
    onResult: options.onResult,
    candidate,
    report,
    instruments: instruments(),
    deadlines: new Deadlines(settings.options.timeoutMs ?? Infinity),
    inFlight: 0,
    idle: [],
    release() {
      core.inFlight--
      core.instruments.inFlight.add(-1, inFlightAttributes)
      if (core.inFlight === 0 && core.idle.length > 0) for (const resolve of core.idle.splice(0)) resolve()
    },
  }

  return Object.freeze({
    name,
    begin(...args: A): RecordedRun | undefined {
      const decision = plan(settings, args, core.inFlight, report)
      core.instruments = instruments()
      if (typeof decision === 'string') {
        skipAttributes[decision] ??= Object.freeze({ [ATTR_EXPERIMENT]: name, [ATTR_SKIP_REASON]: decision })
        core.instruments.skips.add(1, skipAttributes[decision])
        return undefined
      }
      core.inFlight++
      core.instruments.inFlight.add(1, inFlightAttributes)
      // the spans and the run id are made off the caller's path, when the run first needs them
      return new Run(core, context.active(), args)
    },
    flush(): Promise<void> {
      if (core.inFlight === 0) return Promise.resolve()
      return new Promise<void>((resolve) => core.idle.push(resolve))
    },
    get inFlight() {
      return core.inFlight
    },
  })
}

/** Metric attributes of one operation, made once: every run of it shares them. */
interface OperationAttributes {
  readonly primary: Attributes
  readonly shadow: Attributes
  readonly runs: Readonly<Record<Outcome, Attributes>>
}

/** Operations whose metric attributes are kept; past it (operations from raw paths, say) they are made per run. */
const MAX_KEPT_OPERATIONS = 1000

function attributesCache(experiment: string, candidate: string) {
  const kept = new Map<string | undefined, OperationAttributes>()
  return (operation: string | undefined): OperationAttributes => {
    let found = kept.get(operation)
    if (found !== undefined) return found
    const base: Record<string, string> = { [ATTR_EXPERIMENT]: experiment }
    if (operation !== undefined) base[ATTR_OPERATION] = operation
    const runs = {} as Record<Outcome, Attributes>
    for (const outcome of OUTCOMES)
      runs[outcome] = Object.freeze({ ...base, [ATTR_CANDIDATE]: candidate, [ATTR_OUTCOME]: outcome })
    found = Object.freeze({
      primary: Object.freeze({ ...base, [ATTR_ROLE]: 'primary' }),
      shadow: Object.freeze({ ...base, [ATTR_ROLE]: 'shadow', [ATTR_CANDIDATE]: candidate }),
      runs: Object.freeze(runs),
    })
    if (kept.size < MAX_KEPT_OPERATIONS) kept.set(operation, found)
    return found
  }
}

/** What every run of one recorder shares. */
interface Core<A extends unknown[]> {
  readonly candidates: readonly string[]
  readonly attributes: (operation: string | undefined) => OperationAttributes
  readonly settings: Settings<Caller<A>>
  readonly tracer: Tracer
  readonly onResult: RecorderOptions<A>['onResult']
  readonly candidate: string
  readonly report: Report
  instruments: Instruments
  readonly deadlines: Deadlines
  inFlight: number
  readonly idle: (() => void)[]
  release(): void
}

class Run<A extends unknown[]> implements RecordedRun {
  private primaryObservation: Observation | undefined
  private shadowObservation: Observation | undefined
  private identity: RunIdentity | undefined
  private operation: string | undefined
  private primarySpan: Span | undefined
  private shadowSpan: Span | undefined
  private shadowStart = 0
  private readonly start = performance.now()
  private recorded = false
  /** @internal the deadline list's links */
  previous: Run<A> | undefined
  next: Run<A> | undefined
  expiresAt = 0
  onDeadline: ((reason: Error) => void) | undefined

  constructor(
    private readonly core: Core<A>,
    private readonly parent: Context,
    private readonly args: A,
  ) {}

  get runId(): string {
    this.open()
    return (this.identity as RunIdentity).runId
  }

  setOperation(operation: string): void {
    if (this.recorded) return
    this.operation = String(operation)
    if (this.identity === undefined) return // the spans open with it
    this.identity = { ...this.identity, operation: this.operation }
    if (this.primaryObservation === undefined) this.primarySpan?.setAttribute(ATTR_OPERATION, this.operation)
    this.shadowSpan?.setAttribute(ATTR_OPERATION, this.operation)
  }

  primary(settled: Settled): void {
    if (this.primaryObservation !== undefined) return
    this.open()
    const primarySpan = this.primarySpan as Span
    const observation = observationOf(settled, this.start)
    this.primaryObservation = observation
    try {
      endSpan(primarySpan, observation)
    } catch (error) {
      diag.error(`twinspan: recorder '${this.core.settings.options.name}': could not end a span`, error)
    }
    this.core.instruments.duration.record(
      observation.durationMs / 1000,
      this.core.attributes(this.operation).primary,
    )
    this.conclude()
  }

  startShadow(onDeadline?: (reason: Error) => void): Context {
    if (this.shadowSpan === undefined) {
      this.open()
      this.shadowSpan = spanOrNone(this.core, () =>
        startShadowSpan(
          this.core.tracer,
          this.parent,
          this.identity as RunIdentity,
          this.core.candidate,
          (this.primarySpan as Span).spanContext(),
        ),
      )
      this.shadowStart = performance.now()
      this.onDeadline = onDeadline
      this.core.deadlines.add(this, this.shadowStart)
    }
    return trace.setSpan(this.parent, this.shadowSpan)
  }

  /** Make the run's identity and primary span, on first use; the span starts at `begin`'s time. */
  private open(): void {
    if (this.identity === undefined) {
      const { settings, report } = this.core
      const given = settings.options.operation
      if (this.operation === undefined)
        this.operation = typeof given === 'function' ? operationOf(report, () => given(...this.args)) : given
      this.identity = {
        experiment: settings.options.name,
        runId: randomUUID(),
        operation: this.operation,
      }
      const identity = this.identity
      this.primarySpan = spanOrNone(this.core, () =>
        startPrimarySpan(this.core.tracer, this.parent, identity, this.core.candidates, this.start),
      )
    }
  }

  shadow(settled: Settled): void {
    if (this.shadowObservation !== undefined || this.shadowSpan === undefined) return
    this.core.deadlines.remove(this)
    this.shadowObservation = observationOf(settled, this.shadowStart)
    this.conclude()
  }

  /** @internal The shadow's deadline passed. */
  expire(timeoutMs: number): void {
    if (this.shadowObservation !== undefined) return
    const reason = new DOMException(`shadow timed out after ${timeoutMs} ms`, 'TimeoutError')
    this.shadowObservation = {
      threw: false,
      timedOut: true,
      error: reason,
      durationMs: performance.now() - this.shadowStart,
    }
    const onDeadline = this.onDeadline
    this.onDeadline = undefined
    try {
      onDeadline?.(reason)
    } catch {
      // the caller's abort failing does not change that the deadline passed
    }
    this.conclude()
  }

  /** Both sides settled: judge, end the shadow span, count, publish, release. */
  private conclude(): void {
    const primary = this.primaryObservation
    const shadow = this.shadowObservation
    if (primary === undefined || shadow === undefined || this.recorded) return
    this.recorded = true
    this.onDeadline = undefined
    const { settings, report, instruments, candidate } = this.core
    try {
      const judgement = judge(primary, shadow, settings.options.compare, report)
      endShadowSpan(this.shadowSpan as Span, {
        primary,
        shadow,
        judgement,
        served: 'primary',
        redaction: settings.redaction,
      })
      const attributes = this.core.attributes(this.operation)
      instruments.duration.record(shadow.durationMs / 1000, attributes.shadow)
      instruments.runs.add(1, attributes.runs[judgement.outcome])
      // the published result (values redacted, differences copied) is made only for onResult
      const onResult = this.core.onResult
      if (onResult !== undefined) {
        const result = publish(
          settings,
          this.identity as RunIdentity,
          candidate,
          primary,
          shadow,
          judgement,
          'primary',
          report,
        )
        guard(report, 'onResult', undefined, () => onResult(result, ...this.args))
      }
    } catch (error) {
      // a broken tracer or a value hostile to inspection costs the recording, never the caller
      diag.error(`twinspan: recorder '${settings.options.name}': recording failed`, error)
    } finally {
      this.core.release()
    }
  }
}

/**
 * Shadow deadlines of one recorder: every run waits the same `timeoutMs`, so deadlines fall in
 * start order, and one list with one timer serves them all (a run leaves the list in O(1) when
 * its shadow settles) instead of a timer per run.
 */
class Deadlines {
  // biome-ignore lint/suspicious/noExplicitAny: runs of any argument list share the list
  private head: Run<any> | undefined
  // biome-ignore lint/suspicious/noExplicitAny: as above
  private tail: Run<any> | undefined
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly timeoutMs: number) {}

  add<A extends unknown[]>(run: Run<A>, start: number): void {
    if (!Number.isFinite(this.timeoutMs)) return
    run.expiresAt = start + this.timeoutMs
    run.previous = this.tail
    run.next = undefined
    if (this.tail === undefined) this.head = run
    else this.tail.next = run
    this.tail = run
    // Not unref'd: a pending deadline keeps the process up, so `flush()` at shutdown resolves.
    this.timer ??= setTimeout(() => this.fire(), this.timeoutMs)
  }

  remove<A extends unknown[]>(run: Run<A>): void {
    if (run.expiresAt === 0) return
    run.expiresAt = 0
    if (run.previous === undefined) this.head = run.next
    else run.previous.next = run.next
    if (run.next === undefined) this.tail = run.previous
    else run.next.previous = run.previous
    run.previous = undefined
    run.next = undefined
  }

  private fire(): void {
    this.timer = undefined
    const now = performance.now()
    // a timer may fire up to a millisecond early by performance.now()'s clock
    while (this.head !== undefined && this.head.expiresAt <= now + 1) {
      const run = this.head
      this.remove(run)
      run.expire(this.timeoutMs)
    }
    if (this.head !== undefined)
      this.timer = setTimeout(() => this.fire(), Math.max(1, this.head.expiresAt - now))
  }
}

/** The span `start` makes, or a non-recording one when the tracer throws (reported): the run goes on. */
function spanOrNone<A extends unknown[]>(core: Core<A>, start: () => Span): Span {
  try {
    return start()
  } catch (error) {
    diag.error(`twinspan: recorder '${core.settings.options.name}': could not start a span`, error)
    return trace.wrapSpanContext(INVALID_SPAN_CONTEXT)
  }
}

function observationOf(settled: Settled, start: number): Observation {
  const durationMs = performance.now() - start
  if ('error' in settled) return { threw: true, timedOut: false, error: settled.error, durationMs }
  return { threw: false, timedOut: false, value: settled.value, snapshot: settled.value, durationMs }
}

function nameOf(options: { name?: unknown }): string {
  return String(options.name)
}

function operationOf(report: Report, read: () => unknown): string | undefined {
  try {
    const value = read()
    return value === undefined || value === null ? undefined : String(value)
  } catch (error) {
    report('operation', error)
    return undefined
  }
}
