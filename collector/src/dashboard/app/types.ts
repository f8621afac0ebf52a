/**
 * The API's response bodies, as the collector's own modules declare them (type-only imports: the
 * bundle carries none of that code), plus the alerting shapes, which this page reads leniently.
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

/** A notification sent for an alert (or its group): when, to whom, and how it went. */
export interface AlertNotification {
  receiver?: string
  at?: string
  time?: string
  status?: string
  action?: string
  error?: string
}

/** One active alert as `GET /api/alerts` lists it; every field but the labels is optional here. */
export interface ActiveAlert {
  id?: string
  fingerprint?: string
  labels: Record<string, string>
  annotations?: Record<string, string>
  state?: string
  status?: string | { state?: string }
  startsAt?: string
  receivers?: (string | { name: string })[]
  receiver?: string
  group?: string | { key?: string }
  lastNotification?: AlertNotification | null
  lastNotifiedAt?: string | null
  silenced?: boolean
  inhibited?: boolean
}

/** `GET /api/alerts`. */
export interface AlertList {
  alerts: ActiveAlert[]
  receivers?: (string | { name: string; type?: string; kind?: string })[]
}

/** A label matcher, Alertmanager's way. */
export interface SilenceMatcher {
  name: string
  value: string
  isRegex?: boolean
  isEqual?: boolean
}

/** One silence as `GET /api/silences` lists it. */
export interface Silence {
  id: string
  matchers: (SilenceMatcher | string)[]
  createdBy?: string
  comment?: string
  startsAt?: string
  endsAt?: string
  status?: string | { state?: string }
  state?: string
}

/** `GET /api/silences`. */
export interface SilenceList {
  silences: Silence[]
}
