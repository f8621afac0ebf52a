/**
 * Metrics through `@opentelemetry/api` only (no-ops until an SDK is registered). Without an
 * explicit `meter`, instruments follow the global meter provider, even one registered after the
 * experiment was created.
 */
import {
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  metrics,
  type UpDownCounter,
} from '@opentelemetry/api'
import { SCOPE } from './settings.js'

/** Metric names, for dashboards and alerts. */
export const METRICS = Object.freeze({
  /** Counter of runs per candidate, by experiment, operation, candidate and outcome. */
  runs: 'parallel_run.runs',
  /** Counter of runs that skipped their shadows, by experiment and skip reason. */
  skips: 'parallel_run.skips',
  /** Histogram of each side's duration in seconds, by experiment, operation, role and candidate. */
  duration: 'parallel_run.duration',
  /** UpDownCounter of runs whose shadows are in flight, by experiment. */
  inFlight: 'parallel_run.in_flight',
  /** Counter of user callbacks that threw, by experiment and callback. */
  callbackErrors: 'parallel_run.callback.errors',
})

export interface Instruments {
  readonly runs: Counter<Attributes>
  readonly skips: Counter<Attributes>
  readonly duration: Histogram<Attributes>
  readonly inFlight: UpDownCounter<Attributes>
  readonly callbackErrors: Counter<Attributes>
}

const DURATION_BUCKETS_S = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]

function createInstruments(meter: Meter): Instruments {
  return Object.freeze({
    runs: meter.createCounter(METRICS.runs, {
      description: 'Parallel runs per candidate by outcome',
      unit: '{run}',
    }),
    skips: meter.createCounter(METRICS.skips, {
      description: 'Runs that skipped their shadows',
      unit: '{run}',
    }),
    duration: meter.createHistogram(METRICS.duration, {
      description: 'Duration of each side of a parallel run',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_S },
    }),
    inFlight: meter.createUpDownCounter(METRICS.inFlight, {
      description: 'Runs whose shadows are in flight',
      unit: '{run}',
    }),
    callbackErrors: meter.createCounter(METRICS.callbackErrors, {
      description: 'User callbacks that threw',
      unit: '{error}',
    }),
  })
}

/** Instruments on `meter`, or on the current global meter provider when none is given. */
export function instrumentsFor(meter: Meter | undefined): () => Instruments {
  if (meter !== undefined) {
    const fixed = createInstruments(meter)
    return () => fixed
  }
  let provider: unknown
  let current: Instruments | undefined
  return () => {
    const global = metrics.getMeterProvider()
    if (global !== provider || current === undefined) {
      provider = global
      current = createInstruments(global.getMeter(SCOPE))
    }
    return current
  }
}
