import { fingerprint, type Labels } from './labels.js'

/** Where an alert came from: an ingested run, or a rule evaluated over the store. */
export type AlertSource = 'run' | 'rule'

/** A differing path and in how many of an alert's runs it differed. */
export interface PathCount {
  path: string
  count: number
}

/** One run behind a run alert: enough to open its trace. Differences carry no values (they leave the building). */
export interface SampleRun {
  runId: string
  traceId: string
  at: number
  differences: { path: string; kind: string; severity: string }[]
}

/** What a run alert has seen: counts, paths and a few sample runs. */
export interface RunAlertDetails {
  kind: 'run'
  runs: number
  firstRunAt: number
  lastRunAt: number
  /** Most frequent differing paths (as the SDK recorded them, redacted), bounded. */
  paths: PathCount[]
  samples: SampleRun[]
}

/** What a rule measured when it last fired. */
export interface RuleAlertDetails {
  kind: 'rule'
  rule: string
  /** The measured value (a fraction, or a percentage for p95 regression); null when unknown. */
  value: number | null
  threshold: number
  window: string
  runs: number
  /** For readiness: the checks that failed, in words. */
  reasons?: string[]
}

export type AlertDetails = RunAlertDetails | RuleAlertDetails

/** What a producer says about an alert at one moment. */
export interface AlertInput {
  labels: Labels
  details: AlertDetails
  source: AlertSource
  /** When it was observed (ms since the epoch). */
  at: number
  /** Run alerts: when it resolves unless seen again. Rule alerts: null, firing until the rule resolves it. */
  endsAt: number | null
}

/** An alert the collector holds. */
export interface Alert {
  fingerprint: string
  labels: Labels
  details: AlertDetails
  source: AlertSource
  startsAt: number
  updatedAt: number
  /** null: firing until resolved; a time: resolved from then on (it may lie in the future). */
  endsAt: number | null
}

export const MAX_PATHS_PER_ALERT = 10
export const MAX_SAMPLES_PER_ALERT = 3

/** Whether an alert is firing at `now`. */
export function isFiring(alert: Alert, now: number): boolean {
  return alert.endsAt === null || alert.endsAt > now
}

/** A new alert from an input, or the existing one updated; a resolved alert seen again starts anew. */
export function applyInput(existing: Alert | undefined, input: AlertInput): Alert {
  if (existing === undefined || !isFiring(existing, input.at)) {
    return {
      fingerprint: existing?.fingerprint ?? fingerprint(input.labels),
      labels: input.labels,
      details: input.details,
      source: input.source,
      startsAt: input.at,
      updatedAt: input.at,
      endsAt: input.endsAt,
    }
  }
  return {
    ...existing,
    details: mergeDetails(existing.details, input.details),
    updatedAt: Math.max(existing.updatedAt, input.at),
    endsAt:
      input.endsAt === null || existing.endsAt === null
        ? input.endsAt
        : Math.max(existing.endsAt, input.endsAt),
  }
}

function mergeDetails(before: AlertDetails, after: AlertDetails): AlertDetails {
  if (before.kind !== 'run' || after.kind !== 'run') return after
  const counts = new Map(before.paths.map((p) => [p.path, p.count]))
  for (const p of after.paths) counts.set(p.path, (counts.get(p.path) ?? 0) + p.count)
  return {
    kind: 'run',
    runs: before.runs + after.runs,
    firstRunAt: Math.min(before.firstRunAt, after.firstRunAt),
    lastRunAt: Math.max(before.lastRunAt, after.lastRunAt),
    paths: topPaths(counts),
    samples: [...before.samples, ...after.samples].slice(0, MAX_SAMPLES_PER_ALERT),
  }
}

/** The most frequent paths, most frequent first (ties by name), bounded. */
export function topPaths(counts: Map<string, number>): PathCount[] {
  return [...counts]
    .map(([path, count]) => ({ path, count }))
    .sort((a, b) => b.count - a.count || a.path.localeCompare(b.path))
    .slice(0, MAX_PATHS_PER_ALERT)
}
