import { trace } from '@opentelemetry/api'
import { compare } from '@twinspan/compare'
import { DEFAULT_CANDIDATE } from '@twinspan/conventions'
import type { AnyFunction, ExperimentChanges, ExperimentOptions, Mode, Shadow } from './options.js'
import { compileRedaction, type Redaction } from './redact.js'

/** Defaults of every optional setting. */
export const DEFAULTS = Object.freeze({
  mode: 'background' as Mode,
  sampleRate: 1,
  enabled: true,
  timeoutMs: 5000,
  maxInFlight: 64,
  serve: 'primary' as const,
  blockSideEffects: false,
  redact: Object.freeze([] as string[]),
  throwOnMismatch: false,
})

/** Instrumentation scope name of the tracer and meter. */
export const SCOPE = '@twinspan/sdk'

export interface Candidate<F extends AnyFunction> {
  readonly name: string
  readonly fn: Shadow<F>
}

/** Options frozen and compiled into what a run reads: one immutable object per configuration. */
export interface Settings<F extends AnyFunction> {
  readonly options: Readonly<ExperimentOptions<F>>
  readonly candidates: readonly Candidate<F>[]
  /** Share of runs served by the shadow, 0..1. */
  readonly serveShare: number
  /** The candidate whose answer is served when the shadow is served. */
  readonly serveCandidate: string
  readonly redaction: Redaction | undefined
}

const MODES: readonly Mode[] = ['background', 'concurrent', 'sequential']

/** Validate `options`, fill in defaults and freeze the result. Throws naming the bad setting. */
export function freezeSettings<F extends AnyFunction>(input: ExperimentOptions<F>): Settings<F> {
  const fail = (message: string): never => {
    throw new TypeError(`twinspan: experiment '${String(input.name)}': ${message}`)
  }
  if (typeof input.name !== 'string' || input.name === '') fail('name must be a non-empty string')
  if (typeof input.primary !== 'function') fail('primary must be a function')
  const candidates = candidatesOf(input, fail)

  const options = Object.freeze({
    ...input,
    mode: input.mode ?? DEFAULTS.mode,
    sampleRate: input.sampleRate ?? DEFAULTS.sampleRate,
    enabled: input.enabled ?? DEFAULTS.enabled,
    timeoutMs: input.timeoutMs ?? DEFAULTS.timeoutMs,
    maxInFlight: input.maxInFlight ?? DEFAULTS.maxInFlight,
    serve:
      typeof input.serve === 'object' ? Object.freeze({ ...input.serve }) : (input.serve ?? DEFAULTS.serve),
    blockSideEffects: input.blockSideEffects ?? DEFAULTS.blockSideEffects,
    redact: Object.freeze([...(input.redact ?? DEFAULTS.redact)]),
    throwOnMismatch: input.throwOnMismatch ?? DEFAULTS.throwOnMismatch,
    tracer: input.tracer ?? trace.getTracer(SCOPE),
  })

  if (!MODES.includes(options.mode))
    fail(`mode must be one of ${MODES.join(', ')}, got ${String(options.mode)}`)
  if (!isFraction(options.sampleRate))
    fail(`sampleRate must be a number from 0 to 1, got ${options.sampleRate}`)
  if (typeof options.enabled !== 'boolean' && typeof options.enabled !== 'function')
    fail('enabled must be a boolean or a function')
  if (typeof options.timeoutMs !== 'number' || !(options.timeoutMs > 0))
    fail(`timeoutMs must be a positive number of milliseconds (Infinity for none), got ${options.timeoutMs}`)
  if (
    !(Number.isInteger(options.maxInFlight) && options.maxInFlight >= 1) &&
    options.maxInFlight !== Infinity
  )
    fail(`maxInFlight must be a positive integer (Infinity for no cap), got ${options.maxInFlight}`)
  for (const name of ['compare', 'clean', 'clone', 'sampleKey', 'onResult', 'onError'] as const) {
    const value = options[name]
    const allowed = name === 'compare' ? ['function', 'object'] : ['function']
    if (value !== undefined && !allowed.includes(typeof value))
      fail(`${name} must be a ${allowed.join(' or ')}`)
  }
  if (options.operation !== undefined && !['string', 'function'].includes(typeof options.operation))
    fail('operation must be a string or a function')

  if (typeof options.compare === 'object') {
    try {
      compare(undefined, undefined, options.compare) // the engine checks (and caches) its options on first use
    } catch (error) {
      fail(`compare: ${(error as Error).message}`)
    }
  }
  const [serveShare, serveCandidate] = serveOf(options.serve, candidates, fail)
  let redaction: Redaction | undefined
  try {
    redaction = compileRedaction(options.redact)
  } catch (error) {
    fail(`redact: ${(error as Error).message}`)
  }
  return Object.freeze({ options, candidates, serveShare, serveCandidate, redaction })
}

/** New settings with `changes` applied over the current options. */
export function reconfigure<F extends AnyFunction>(
  current: Settings<F>,
  changes: ExperimentChanges<F>,
): Settings<F> {
  const identity = ['name', 'primary', 'shadow', 'shadows', 'tracer', 'meter'] as const
  for (const key of identity) {
    if (Object.hasOwn(changes, key))
      throw new TypeError(
        `twinspan: experiment '${current.options.name}': configure cannot change ${key}; create a new experiment instead`,
      )
  }
  return freezeSettings({ ...current.options, ...changes })
}

function candidatesOf<F extends AnyFunction>(
  input: ExperimentOptions<F>,
  fail: (message: string) => never,
): readonly Candidate<F>[] {
  if (input.shadow !== undefined && input.shadows !== undefined)
    fail('give either shadow or shadows, not both')
  if (input.shadow !== undefined) {
    if (typeof input.shadow !== 'function') fail('shadow must be a function')
    return Object.freeze([Object.freeze({ name: DEFAULT_CANDIDATE, fn: input.shadow })])
  }
  if (input.shadows === undefined || typeof input.shadows !== 'object') fail('shadow or shadows is required')
  const entries = Object.entries(input.shadows ?? {})
  if (entries.length === 0) fail('shadows must name at least one candidate')
  for (const [name, fn] of entries) {
    if (typeof fn !== 'function') fail(`shadows.${name} must be a function`)
  }
  return Object.freeze(entries.map(([name, fn]) => Object.freeze({ name, fn })))
}

function serveOf<F extends AnyFunction>(
  serve: ExperimentOptions<F>['serve'],
  candidates: readonly Candidate<F>[],
  fail: (message: string) => never,
): [number, string] {
  const first = candidates[0]?.name ?? DEFAULT_CANDIDATE
  if (serve === 'primary' || serve === undefined) return [0, first]
  if (serve === 'shadow') return [1, first]
  if (typeof serve !== 'object' || serve === null)
    fail(`serve must be 'primary', 'shadow' or { shadowPercent }`)
  const { shadowPercent, candidate = first } = serve as { shadowPercent: unknown; candidate?: string }
  if (typeof shadowPercent !== 'number' || !(shadowPercent >= 0 && shadowPercent <= 100))
    fail(`serve.shadowPercent must be a number from 0 to 100, got ${String(shadowPercent)}`)
  if (!candidates.some((c) => c.name === candidate))
    fail(
      `serve.candidate '${candidate}' is not one of the candidates (${candidates.map((c) => c.name).join(', ')})`,
    )
  return [(shadowPercent as number) / 100, candidate]
}

function isFraction(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value <= 1
}
