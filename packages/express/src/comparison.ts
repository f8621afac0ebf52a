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
  // The same bytes parse to the same value: skip parsing and walking them (the common case, and
  // most of the cost). A content-type that differs is still seen, as a header difference.
  const same = bodies && sameBytes(legacy.body, candidate.body)
  const comparison = compareHttp(
    { status: legacy.status, headers: legacy.headers, body: bodies && !same ? legacy.body : undefined },
    {
      status: candidate.status,
      headers: candidate.headers,
      body: bodies && !same ? candidate.body : undefined,
    },
    options,
  )
  if (bodies) return comparison
  const over = [legacy.truncated && 'legacy', candidate.truncated && 'candidate']
    .filter(Boolean)
    .join(' and ')
  return notCompared(
    comparison,
    'body',
    `not compared: ${over} body over maxBodyBytes (${maxBodyBytes} bytes)`,
  )
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return a.length === b.length && a.equals(b)
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
