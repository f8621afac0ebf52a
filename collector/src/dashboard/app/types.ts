/**
 * The API's response bodies, as the collector's own modules declare them (type-only imports: the
 * bundle carries none of that code).
 */
export type { ExperimentSummary } from '../../analysis/experiments.js'
export type { MismatchReport, MismatchRun, RecordedDifference } from '../../analysis/mismatches.js'
export type { DiffPathCount, ParityReport, SeriesPoint } from '../../analysis/parity.js'
export type { OperationReadiness, ReadinessReport } from '../../analysis/readiness.js'
export type { ReadinessCheck, Verdict } from '../../analysis/readiness-checks.js'
export type { RunStats } from '../../analysis/run-stats.js'

/** `GET /api/experiments`. */
export interface ExperimentList {
  experiments: import('../../analysis/experiments.js').ExperimentSummary[]
}

export type {
  AlertsStatus,
  AlertView,
  GroupView,
  NotificationView,
  ReceiverView,
  SilenceView,
} from '../../alerts/status.js'

/** `GET /api/silences`. */
export interface SilenceList {
  silences: import('../../alerts/status.js').SilenceView[]
}
