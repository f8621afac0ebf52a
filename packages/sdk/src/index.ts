export type { Experiment, ExperimentOptions, RunResult } from './experiment.js'
export { experiment } from './experiment.js'
