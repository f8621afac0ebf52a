/**
 * The one path every user callback runs through: an exception (or a rejected promise) is reported
 * to the OTel diag logger, the `onError` hook and the callback-error metric, and never reaches
 * the caller. The fallback is what the run uses instead, chosen to do nothing harmful.
 */
import { diag } from '@opentelemetry/api'
import type { CallbackName } from './options.js'

/** Reports a failed callback. */
export type Report = (callback: CallbackName, error: unknown) => void

/** Build the reporter of one experiment. */
export function reporter(
  experiment: string,
  onError: ((error: unknown, failure: { experiment: string; callback: CallbackName }) => void) | undefined,
  count: (callback: CallbackName) => void,
): Report {
  return (callback, error) => {
    diag.error(
      `twinspan: experiment '${experiment}': ${callback} threw; the run carries on without it`,
      error,
    )
    try {
      count(callback)
      onError?.(error, { experiment, callback })
    } catch (hookError) {
      diag.error(`twinspan: experiment '${experiment}': onError threw`, hookError)
    }
  }
}

/** Call `fn`; on a throw report it and return `fallback`. A returned promise's rejection is reported too. */
export function guard<T>(report: Report, callback: CallbackName, fallback: T, fn: () => T): T {
  try {
    const value = fn()
    if (isThenable(value)) value.then(undefined, (error: unknown) => report(callback, error))
    return value
  } catch (error) {
    report(callback, error)
    return fallback
  }
}

/** True for promises and promise-likes. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}
