import {
  ATTR_DIFF_COUNT,
  ATTR_EXPERIMENT,
  ATTR_OUTCOME,
  ATTR_PREFIX,
  ATTR_PRIMARY_DURATION_MS,
  ATTR_ROLE,
  ATTR_RUN_ID,
  ATTR_SEVERITY,
  ATTR_SHADOW_DURATION_MS,
  isOneOf,
  OUTCOMES,
  ROLES,
  RUN_SEVERITIES,
} from '@twinspan/conventions'
import type { Span } from '../otlp/model.js'

/** True when the span carries any `parallel_run.*` attribute, i.e. it belongs to an experiment. */
export function isParallelRunSpan(span: Span): boolean {
  for (const key in span.attributes) if (key.startsWith(ATTR_PREFIX)) return true
  return false
}

const ZERO_TRACE_ID = '0'.repeat(32)
const ZERO_SPAN_ID = '0'.repeat(16)

/**
 * Check a parallel-run span against the wire contract. Returns why it must be rejected, or
 * undefined when it is valid. Unknown extra attributes are allowed (the contract only grows).
 */
export function validateParallelRunSpan(span: Span): string | undefined {
  const a = span.attributes
  // Both decoders give ids as lower-case hex (or fail the request), so the length tells the bytes.
  if (span.traceId.length !== 32 || span.traceId === ZERO_TRACE_ID) return 'traceId must be 16 non-zero bytes'
  if (span.spanId.length !== 16 || span.spanId === ZERO_SPAN_ID) return 'spanId must be 8 non-zero bytes'
  if (typeof a[ATTR_EXPERIMENT] !== 'string' || a[ATTR_EXPERIMENT] === '')
    return `${ATTR_EXPERIMENT} is missing`
  if (!isOneOf(ROLES, a[ATTR_ROLE])) return `${ATTR_ROLE} must be one of ${ROLES.join(', ')}`
  if (typeof a[ATTR_RUN_ID] !== 'string' || a[ATTR_RUN_ID] === '') return `${ATTR_RUN_ID} is missing`
  if (span.endTimeUnixNano < span.startTimeUnixNano) return 'endTimeUnixNano is before startTimeUnixNano'
  if (a[ATTR_ROLE] !== 'shadow' || a[ATTR_OUTCOME] === undefined) return undefined
  if (!isOneOf(OUTCOMES, a[ATTR_OUTCOME])) return `${ATTR_OUTCOME} must be one of ${OUTCOMES.join(', ')}`
  if (a[ATTR_SEVERITY] !== undefined && !isOneOf(RUN_SEVERITIES, a[ATTR_SEVERITY])) {
    return `${ATTR_SEVERITY} must be one of ${RUN_SEVERITIES.join(', ')}`
  }
  const count = a[ATTR_DIFF_COUNT]
  if (count !== undefined && !(typeof count === 'number' && Number.isInteger(count) && count >= 0)) {
    return `${ATTR_DIFF_COUNT} must be a non-negative integer`
  }
  for (const key of [ATTR_PRIMARY_DURATION_MS, ATTR_SHADOW_DURATION_MS]) {
    const ms = a[key]
    if (ms !== undefined && !(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0)) {
      return `${key} must be a non-negative number`
    }
  }
  return undefined
}
