/**
 * How the legacy response and the candidate's compare: `compareHttp` over status, headers and
 * decoded body. What could not be compared is said in a `cosmetic` difference with a note, so it
 * is visible on the span (`parallel_run.diff.paths`, `parallel_run.diff`) without failing the run.
 */
import { type Comparison, compareHttp, type Difference, type HttpCompareOptions } from '@twinspan/compare'
import type { ObservedResponse } from './response.js'

/** Compare the two responses of one mirrored request. Synchronous and pure (the SDK's compare contract). */
export function compareResponses(
  legacy: ObservedResponse,
  candidate: ObservedResponse,
  options: HttpCompareOptions | undefined,
  maxBodyBytes: number,
): Comparison {
  if (legacy.incomplete)
    return notCompared(
      { matches: true, severity: 'none', differences: [] },
      '',
      'not compared: the legacy response did not finish (the client closed the connection)',
    )
  const bodies = !legacy.truncated && !candidate.truncated
  // compareHttp skips parsing when both bodies have the same bytes (the common case); it reads
  // `status`, `headers` and `body` only, so the two responses are given as they are
  if (bodies) return compareHttp(legacy, candidate, options)
  const comparison = compareHttp(
    { status: legacy.status, headers: legacy.headers, body: undefined },
    { status: candidate.status, headers: candidate.headers, body: undefined },
    options,
  )
  const over = [legacy.truncated && 'legacy', candidate.truncated && 'candidate']
    .filter(Boolean)
    .join(' and ')
  return notCompared(
    comparison,
    'body',
    `not compared: ${over} body over maxBodyBytes (${maxBodyBytes} bytes)`,
  )
}

/** `comparison` plus a cosmetic difference saying what was left out and why. */
function notCompared(comparison: Comparison, path: string, note: string): Comparison {
  const difference: Difference = { path, kind: 'changed', severity: 'cosmetic', note }
  return {
    ...comparison,
    severity: comparison.severity === 'none' ? 'cosmetic' : comparison.severity,
    differences: [...comparison.differences, difference],
  }
}
