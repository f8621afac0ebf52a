/**
 * The shadow path's identity, carried by AsyncLocalStorage through everything the shadow calls,
 * synchronously or asynchronously: `isShadow()` and `shadowSignal()` read it, and the side-effect
 * guard consults it. Outside a shadow there is no store, so every check is one lookup.
 */
import { AsyncLocalStorage } from 'node:async_hooks'

/** What code on a shadow path can learn about it. */
export interface ShadowScope {
  readonly experiment: string
  readonly candidate: string
  readonly runId: string
  /** Aborted when the shadow's deadline (`timeoutMs`) passes. */
  readonly signal: AbortSignal
  readonly blockSideEffects: boolean
}

const storage = new AsyncLocalStorage<ShadowScope>()

/** True when the calling code runs on an experiment's shadow path. */
export function isShadow(): boolean {
  return storage.getStore() !== undefined
}

/**
 * The running shadow's `AbortSignal`, aborted (reason: a `TimeoutError` DOMException) when its
 * `timeoutMs` passes; `undefined` outside a shadow. Pass it on: `fetch(url, { signal: shadowSignal() })`.
 */
export function shadowSignal(): AbortSignal | undefined {
  return storage.getStore()?.signal
}

/** The scope of the running shadow, if any. */
export function currentShadow(): ShadowScope | undefined {
  return storage.getStore()
}

/** Run `fn` as the shadow described by `scope`. */
export function runAsShadow<T>(scope: ShadowScope, fn: () => T): T {
  return storage.run(scope, fn)
}
