/** Errors as data, and the error test mode throws. */
import type { RunResult } from './options.js'

/** Rejected by `run` in test mode (`throwOnMismatch`) when some candidate did not match. */
export class MismatchError extends Error {
  readonly code = 'ERR_TWINSPAN_MISMATCH'
  constructor(readonly results: readonly RunResult[]) {
    const failed = results.filter((r) => r.outcome !== 'match')
    const described = failed.map((r) => {
      const paths = r.differences.slice(0, 5).map((d) => d.path || '(root)')
      const more = r.differences.length > paths.length ? `, +${r.differences.length - paths.length} more` : ''
      const where = paths.length > 0 ? ` at ${paths.join(', ')}${more}` : ''
      return `candidate '${r.candidate}': ${r.outcome}${where}`
    })
    super(`twinspan: experiment '${results[0]?.experiment ?? '?'}' did not match: ${described.join('; ')}`)
    this.name = 'MismatchError'
  }
}

/** The error's class (OTel `error.type`): its name, or its type for non-errors. */
export function errorType(error: unknown): string {
  if (error instanceof Error)
    return error.name && error.name !== 'Error' ? error.name : error.constructor.name
  return error === null ? 'null' : typeof error
}

/** The error's message, never throwing. */
export function errorMessage(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error)
  } catch {
    return typeof error
  }
}

/** An error as comparable data: its class and message. */
export function describeError(error: unknown): { error: string; message: string } {
  return { error: errorType(error), message: errorMessage(error) }
}
