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
 * at the deadline `controller` is aborted. A side that never settles keeps nothing alive: the
 * deadline drops every reference the observation held.
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
    const watch: Watch = { resolve, timer: undefined, start, watchers: undefined }
    if (timeoutMs <= MAX_TIMER_MS) {
      // Not unref'd: a pending deadline keeps the process up to `timeoutMs`, so `flush()` at
      // shutdown resolves instead of the process exiting under it.
      watch.timer = setTimeout(expire, timeoutMs, watch, timeoutMs, controller)
    }
    follow(thenable, watch)
  })
}

interface Watch {
  resolve: ((observation: Observation) => void) | undefined
  timer: ReturnType<typeof setTimeout> | undefined
  readonly start: number
  /** The set this watch is registered in, left when the watch settles. */
  watchers: Set<Watch> | undefined
}

/**
 * Watches per pending thenable. A thenable gets one reaction however many runs wait on it, and a
 * run that times out leaves the set: a shadow returning the same never-settling promise on every
 * run (a hung shared connection, say) accumulates nothing.
 */
const watching = new WeakMap<PromiseLike<unknown>, Set<Watch>>()

function follow(thenable: PromiseLike<unknown>, watch: Watch): void {
  let watchers = watching.get(thenable)
  if (watchers === undefined) {
    const created = new Set<Watch>()
    watchers = created
    watching.set(thenable, created)
    const notify = (outcome: (watch: Watch) => Observation) => {
      watching.delete(thenable)
      for (const waiting of created) settle(waiting, outcome(waiting))
    }
    try {
      thenable.then(
        (value) => notify((w) => succeeded(w.start, value)),
        (error: unknown) => notify((w) => failed(w.start, error)),
      )
    } catch (error) {
      watching.delete(thenable)
      settle(watch, failed(watch.start, error))
      return
    }
  }
  watchers.add(watch)
  watch.watchers = watchers
}

function expire(watch: Watch, timeoutMs: number, controller: AbortController): void {
  watch.timer = undefined
  const reason = new DOMException(`shadow timed out after ${timeoutMs} ms`, 'TimeoutError')
  settle(watch, { threw: false, timedOut: true, error: reason, durationMs: performance.now() - watch.start })
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
  watch.watchers?.delete(watch)
  watch.watchers = undefined
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
