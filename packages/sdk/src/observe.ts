/**
 * Observations: what one side did (value or error, how long it took), kept apart from how the
 * sides compare (Scientist's observation/result split).
 */
import { isThenable } from './guard.js'

/** What one side did. */
export interface Observation {
  readonly threw: boolean
  /** The shadow's deadline passed before it settled (`error` holds the abort reason). */
  readonly timedOut: boolean
  /** The value as the side returned it (what a caller gets). */
  readonly value?: unknown
  /** What is compared and exported: the value's snapshot, taken before any caller saw it. */
  readonly snapshot?: unknown
  readonly error?: unknown
  readonly durationMs: number
}

/** Longest delay `setTimeout` honours; beyond it the deadline is treated as none. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** Run `invoke` now and observe it to the end. */
export async function observe(invoke: () => unknown): Promise<Observation> {
  const start = performance.now()
  try {
    let value = invoke()
    if (isThenable(value)) value = await value
    return succeeded(start, value)
  } catch (error) {
    return failed(start, error)
  }
}

/**
 * Run `invoke` now and observe it until it settles or `timeoutMs` passes, whichever comes first;
 * at the deadline `controller` is aborted. A side that never settles keeps nothing alive but a
 * small detached record: the deadline drops every reference the observation held.
 */
export function observeWithin(
  invoke: () => unknown,
  timeoutMs: number,
  controller: AbortController,
): Promise<Observation> {
  const start = performance.now()
  let returned: unknown
  try {
    returned = invoke()
    if (!isThenable(returned)) return Promise.resolve(succeeded(start, returned))
  } catch (error) {
    return Promise.resolve(failed(start, error))
  }
  const thenable = returned
  return new Promise<Observation>((resolve) => {
    const watch: Watch = { resolve, timer: undefined }
    if (timeoutMs <= MAX_TIMER_MS) {
      watch.timer = setTimeout(expire, timeoutMs, watch, start, timeoutMs, controller)
      watch.timer.unref()
    }
    follow(thenable, watch, start)
  })
}

interface Watch {
  resolve: ((observation: Observation) => void) | undefined
  timer: ReturnType<typeof setTimeout> | undefined
}

/** Kept in its own function so the callbacks left on a never-settling promise capture only `watch`. */
function follow(thenable: PromiseLike<unknown>, watch: Watch, start: number): void {
  try {
    thenable.then(
      (value) => settle(watch, succeeded(start, value)),
      (error: unknown) => settle(watch, failed(start, error)),
    )
  } catch (error) {
    settle(watch, failed(start, error))
  }
}

function expire(watch: Watch, start: number, timeoutMs: number, controller: AbortController): void {
  watch.timer = undefined
  const reason = new DOMException(`shadow timed out after ${timeoutMs} ms`, 'TimeoutError')
  settle(watch, { threw: false, timedOut: true, error: reason, durationMs: performance.now() - start })
  try {
    controller.abort(reason)
  } catch {
    // an abort listener's exception belongs to the shadow, not to the run
  }
}

function settle(watch: Watch, observation: Observation): void {
  const resolve = watch.resolve
  if (resolve === undefined) return
  watch.resolve = undefined
  if (watch.timer !== undefined) clearTimeout(watch.timer)
  watch.timer = undefined
  resolve(observation)
}

function succeeded(start: number, value: unknown): Observation {
  return { threw: false, timedOut: false, value, snapshot: value, durationMs: performance.now() - start }
}

function failed(start: number, error: unknown): Observation {
  return { threw: true, timedOut: false, error, durationMs: performance.now() - start }
}
