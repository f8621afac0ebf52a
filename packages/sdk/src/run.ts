/**
 * One sampled run: start the sides in the order the mode asks, hand the caller its answer as soon
 * as the mode allows, then judge and record each candidate off the caller's path.
 */
import { randomUUID } from 'node:crypto'
import { type Context, context, type Span, type Tracer, trace } from '@opentelemetry/api'
import { recordAll, sideAttributes, succeeded } from './conclude.js'
import { guard, type Report } from './guard.js'
import { runAsShadow } from './isolation.js'
import type { Instruments } from './metrics.js'
import { type Observation, observe, observeWithin } from './observe.js'
import type { AnyFunction, RunResult } from './options.js'
import type { Plan } from './plan.js'
import { endSpan, type RunIdentity, startPrimarySpan, startShadowSpan } from './record.js'
import { type Candidate, SCOPE, type Settings } from './settings.js'
import { withSnapshot } from './snapshot.js'

/** Everything one run needs, fixed when it starts. */
export interface RunState<F extends AnyFunction> {
  readonly settings: Settings<F>
  readonly args: Parameters<F>
  readonly identity: RunIdentity
  readonly parent: Context
  readonly primarySpan: Span
  /** The candidate whose answer the caller gets, if the shadow is served. */
  readonly served: string | undefined
  readonly report: Report
  readonly instruments: Instruments
}

/** A started shadow: its span and, eventually, its observation. */
export interface ShadowSide {
  readonly candidate: string
  readonly span: Span
  readonly observation: Promise<Observation>
}

/** What `run` awaits: the caller's answer, and the recording (which never rejects). */
export interface Execution {
  readonly answer: Promise<Observation>
  readonly recorded: Promise<RunResult[]>
}

/**
 * Fix what the run of `args` needs and start its primary span. Nothing user-visible has run yet,
 * so if this throws (a broken tracer, say) the caller can still simply call the primary.
 */
export function prepare<F extends AnyFunction>(
  settings: Settings<F>,
  args: Parameters<F>,
  plan: Plan,
  report: Report,
  instruments: Instruments,
): RunState<F> {
  const { options } = settings
  const operation = options.operation
  const identity: RunIdentity = {
    experiment: options.name,
    runId: randomUUID(),
    operation:
      typeof operation === 'function'
        ? stringOrUndefined(guard(report, 'operation', undefined, () => operation(...args)))
        : operation,
  }
  const parent = context.active()
  const names = settings.candidates.map((c) => c.name)
  const primarySpan = startPrimarySpan(tracerOf(settings), parent, identity, names)
  return { settings, args, identity, parent, primarySpan, served: plan.served, report, instruments }
}

/** Start the sides of a prepared run. */
export function execute<F extends AnyFunction>(state: RunState<F>): Execution {
  const mode = state.settings.options.mode
  return mode === 'sequential' ? sequential(state) : together(state, mode !== 'concurrent')
}

function tracerOf<F extends AnyFunction>(settings: Settings<F>): Tracer {
  return settings.options.tracer ?? trace.getTracer(SCOPE)
}

/** Background and concurrent: all sides start at once; background answers as soon as the served side settles. */
function together<F extends AnyFunction>(state: RunState<F>, background: boolean): Execution {
  const primary = primarySide(state)
  const start = () => state.settings.candidates.map((candidate) => shadowSide(state, candidate))
  // In the background, shadows start on the next turn of the event loop, after the caller has
  // resumed: a shadow's synchronous work never lands on the caller's latency.
  const sides: Promise<ShadowSide[]> =
    background && state.served === undefined
      ? new Promise((resolve) => setImmediate(() => resolve(start())))
      : Promise.resolve(start())
  const served = servedSide(sides, state.served)
  const answer = background
    ? state.served === undefined
      ? primary
      : answerOf(primary, served)
    : Promise.all([primary, sides.then((list) => Promise.all(list.map((s) => s.observation)))]).then(() =>
        answerOf(primary, served),
      )
  return { answer, recorded: recordAll(state, primary, sides, served) }
}

/** Sequential: one side after the other, in random order (order effects show up as noise, not bias). */
function sequential<F extends AnyFunction>(state: RunState<F>): Execution {
  const steps: (Candidate<F> | undefined)[] = [undefined, ...state.settings.candidates]
  for (let i = steps.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[steps[i], steps[j]] = [steps[j] as Candidate<F> | undefined, steps[i] as Candidate<F> | undefined]
  }
  let primary: Promise<Observation> | undefined
  const started: ShadowSide[] = []
  const done = (async () => {
    for (const step of steps) {
      if (step === undefined) {
        primary = primarySide(state)
        await primary
      } else {
        const side = shadowSide(state, step)
        started.push(side)
        await side.observation
      }
    }
  })()
  const primaryDone = done.then(() => primary as Promise<Observation>)
  const sides = done.then(() => started)
  const served = servedSide(sides, state.served)
  return {
    answer: done.then(() => answerOf(primaryDone, served)),
    recorded: recordAll(state, primaryDone, sides, served),
  }
}

/** Run the primary in the caller's context under the primary span; snapshot its value; end the span. */
async function primarySide<F extends AnyFunction>(state: RunState<F>): Promise<Observation> {
  const { options } = state.settings
  const scope = trace.setSpan(state.parent, state.primarySpan)
  const raw = await observe(() => context.with(scope, () => options.primary(...state.args)))
  const observation = withSnapshot(raw, options.clone, state.report)
  endSpan(state.primarySpan, observation)
  state.instruments.duration.record(observation.durationMs / 1000, sideAttributes(state, 'primary'))
  return observation
}

/** Start one candidate as a shadow: its own span linked to the primary's, its own AbortSignal and deadline. */
function shadowSide<F extends AnyFunction>(state: RunState<F>, candidate: Candidate<F>): ShadowSide {
  const { options } = state.settings
  const span = startShadowSpan(
    tracerOf(state.settings),
    state.parent,
    state.identity,
    candidate.name,
    state.primarySpan.spanContext(),
  )
  const scope = trace.setSpan(state.parent, span)
  const controller = new AbortController()
  const shadowScope = {
    experiment: options.name,
    candidate: candidate.name,
    runId: state.identity.runId,
    signal: controller.signal,
    blockSideEffects: options.blockSideEffects === true,
  }
  let observation = observeWithin(
    () => runAsShadow(shadowScope, () => context.with(scope, () => candidate.fn(...state.args))),
    options.timeoutMs ?? Infinity,
    controller,
  )
  if (candidate.name === state.served)
    observation = observation.then((o) => withSnapshot(o, options.clone, state.report))
  return { candidate: candidate.name, span, observation }
}

/** The served candidate's observation, or `undefined` when the primary is served. */
function servedSide(
  sides: Promise<ShadowSide[]>,
  served: string | undefined,
): Promise<Observation | undefined> {
  if (served === undefined) return Promise.resolve(undefined)
  return sides.then((list) => list.find((side) => side.candidate === served)?.observation)
}

/** The shadow's answer when it is served and succeeded; otherwise the primary's. */
async function answerOf(
  primary: Promise<Observation>,
  served: Promise<Observation | undefined>,
): Promise<Observation> {
  const shadow = await served
  return shadow !== undefined && succeeded(shadow) ? shadow : primary
}

function stringOrUndefined(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value)
}
