import {
  ATTR_CANDIDATE,
  ATTR_DIFF,
  ATTR_DIFF_PATHS,
  ATTR_EXPERIMENT,
  ATTR_OPERATION,
  ATTR_OUTCOME,
  ATTR_PRIMARY_DURATION_MS,
  ATTR_ROLE,
  ATTR_RUN_ID,
  ATTR_SEVERITY,
  ATTR_SHADOW_DURATION_MS,
  DEFAULT_CANDIDATE,
  type Outcome,
  type RunSeverity,
} from '@twinspan/conventions'
import type { Span } from '../otlp/model.js'

/** A compared run as ingest saw it (from its shadow span), handed to consumers once it is durable. */
export interface IngestedRun {
  experiment: string
  candidate: string
  operation: string
  runId: string
  traceId: string
  shadowSpanId: string
  outcome: Outcome
  severity: RunSeverity
  diffPaths: string[]
  /** The redacted, size-bounded differences as the SDK exported them (JSON text). */
  diff: string
  primaryDurationMs: number
  shadowDurationMs: number
  /** Milliseconds since the epoch (the shadow span's start). */
  timeMs: number
}

/** The run a validated shadow span carries, or undefined for primary spans and shadows without an outcome. */
export function runOf(span: Span): IngestedRun | undefined {
  const a = span.attributes
  if (a[ATTR_ROLE] !== 'shadow' || a[ATTR_OUTCOME] === undefined) return undefined
  const text = (value: unknown) => (typeof value === 'string' ? value : '')
  const number = (value: unknown) => (typeof value === 'number' ? value : 0)
  const paths = a[ATTR_DIFF_PATHS]
  return {
    experiment: text(a[ATTR_EXPERIMENT]),
    candidate: text(a[ATTR_CANDIDATE]) || DEFAULT_CANDIDATE,
    operation: text(a[ATTR_OPERATION]),
    runId: text(a[ATTR_RUN_ID]),
    traceId: span.traceId,
    shadowSpanId: span.spanId,
    outcome: a[ATTR_OUTCOME] as Outcome,
    severity: (text(a[ATTR_SEVERITY]) || 'none') as RunSeverity,
    diffPaths: Array.isArray(paths) ? paths.filter((p): p is string => typeof p === 'string') : [],
    diff: text(a[ATTR_DIFF]),
    primaryDurationMs: number(a[ATTR_PRIMARY_DURATION_MS]),
    shadowDurationMs: number(a[ATTR_SHADOW_DURATION_MS]),
    timeMs: Number(span.startTimeUnixNano / 1_000_000n),
  }
}
