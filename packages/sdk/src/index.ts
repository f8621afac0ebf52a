export { DIFF_BOUNDS } from './diff-export.js'
export { MismatchError } from './errors.js'
export { experiment } from './experiment.js'
export { isShadow, type ShadowScope, shadowSignal } from './isolation.js'
export { METRICS } from './metrics.js'
export type {
  AnyFunction,
  CallbackFailure,
  CallbackName,
  CompareFunction,
  Experiment,
  ExperimentChanges,
  ExperimentOptions,
  Mode,
  RunResult,
  SampleKey,
  Serve,
  Shadow,
  SideResult,
  SkipReason,
  Value,
} from './options.js'
export {
  type RecordedRun,
  type Recorder,
  type RecorderOptions,
  recorder,
  type Settled,
} from './recorder.js'
export { REDACTED } from './redact.js'
export { cohortOf, fmix32, fnv1a32 } from './sampling.js'
export { DEFAULTS } from './settings.js'
export { installSideEffectGuard, SideEffectBlockedError } from './side-effects.js'
