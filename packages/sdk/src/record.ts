/**
 * Spans, exactly as the wire contract says: the primary span is a child of the caller's active
 * context; each shadow span is started with a link to the primary span and, once both sides have
 * finished, carries the comparison. Failed sides follow OTel conventions: `error.type`, status
 * ERROR and a recorded exception.
 */
import {
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
  SpanStatusCode,
  type Tracer,
} from '@opentelemetry/api'
import {
  ATTR_CANDIDATE,
  ATTR_CANDIDATES,
  ATTR_DIFF,
  ATTR_DIFF_COUNT,
  ATTR_DIFF_PATHS,
  ATTR_ERROR_TYPE,
  ATTR_EXPERIMENT,
  ATTR_OPERATION,
  ATTR_OUTCOME,
  ATTR_PRIMARY_DURATION_MS,
  ATTR_PRIMARY_ERROR_TYPE,
  ATTR_ROLE,
  ATTR_RUN_ID,
  ATTR_SERVED,
  ATTR_SEVERITY,
  ATTR_SHADOW_DURATION_MS,
  type Served,
} from '@twinspan/conventions'
import { diffJson, diffPaths } from './diff-export.js'
import { errorMessage, errorType } from './errors.js'
import type { Judgement } from './judge.js'
import type { Observation } from './observe.js'
import type { Redaction } from './redact.js'

/** Identity shared by both spans of one run. */
export interface RunIdentity {
  readonly experiment: string
  readonly runId: string
  readonly operation: string | undefined
}

function identityAttributes(run: RunIdentity, role: 'primary' | 'shadow', candidate: string): Attributes {
  const attributes: Attributes = {
    [ATTR_EXPERIMENT]: run.experiment,
    [ATTR_ROLE]: role,
    [ATTR_RUN_ID]: run.runId,
    [ATTR_CANDIDATE]: candidate,
  }
  if (run.operation !== undefined) attributes[ATTR_OPERATION] = run.operation
  return attributes
}

/** Start the primary span as a child of `parent`. */
export function startPrimarySpan(
  tracer: Tracer,
  parent: Context,
  run: RunIdentity,
  candidates: readonly string[],
  startTime?: number,
): Span {
  const attributes = identityAttributes(run, 'primary', candidates[0] ?? '')
  if (candidates.length > 1) attributes[ATTR_CANDIDATES] = [...candidates]
  return tracer.startSpan(
    run.experiment,
    startTime === undefined ? { attributes } : { attributes, startTime },
    parent,
  )
}

/** Start a shadow span linked (at start) to the primary span. */
export function startShadowSpan(
  tracer: Tracer,
  parent: Context,
  run: RunIdentity,
  candidate: string,
  primary: SpanContext,
): Span {
  return tracer.startSpan(
    `${run.experiment} (${candidate})`,
    { attributes: identityAttributes(run, 'shadow', candidate), links: [{ context: primary }] },
    parent,
  )
}

/** End a side's span, recording its error (or its deadline) per OTel conventions. */
export function endSpan(span: Span, observation: Observation): void {
  if (observation.timedOut) {
    span.setAttribute(ATTR_ERROR_TYPE, 'timeout')
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(observation.error) })
  } else if (observation.threw) {
    const error = observation.error
    span.setAttribute(ATTR_ERROR_TYPE, errorType(error))
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(error) })
    span.recordException(error instanceof Error ? error : errorMessage(error))
  }
  span.end()
}

/** What the shadow span records about the comparison. */
export interface ShadowRecord {
  readonly primary: Observation
  readonly shadow: Observation
  readonly judgement: Judgement
  readonly served: Served
  readonly redaction: Redaction | undefined
}

/** Put the comparison on the shadow span and end it. Bounded and redacted; never throws. */
export function endShadowSpan(span: Span, record: ShadowRecord): void {
  const { comparison, outcome } = record.judgement
  const attributes: Attributes = {
    [ATTR_OUTCOME]: outcome,
    [ATTR_SEVERITY]: comparison.severity,
    [ATTR_DIFF_COUNT]: differenceCount(comparison),
    [ATTR_PRIMARY_DURATION_MS]: record.primary.durationMs,
    [ATTR_SHADOW_DURATION_MS]: record.shadow.durationMs,
    [ATTR_SERVED]: record.served,
  }
  if (record.primary.threw) attributes[ATTR_PRIMARY_ERROR_TYPE] = errorType(record.primary.error)
  try {
    attributes[ATTR_DIFF_PATHS] = diffPaths(comparison.differences)
    attributes[ATTR_DIFF] = diffJson(comparison.differences, record.redaction)
  } catch {
    // a value hostile to inspection (a throwing getter, a revoked proxy) costs the diff detail only
    attributes[ATTR_DIFF] = '[]'
  }
  span.setAttributes(attributes)
  endSpan(span, record.shadow)
}

/** How many differences there were: those kept plus those the engine counted and left out. */
export function differenceCount(comparison: Judgement['comparison']): number {
  const truncated = 'truncated' in comparison ? comparison.truncated : undefined
  return comparison.differences.length + (typeof truncated === 'number' && truncated > 0 ? truncated : 0)
}
