/**
 * Side-effect blocking (seed 004: "hard block egress to production side-effect systems"). One
 * process-wide guard wraps `fetch` and `node:http`/`node:https` `request`/`get`. Each call asks
 * AsyncLocalStorage whether it runs in the shadow of an experiment with `blockSideEffects` on;
 * only then does a request whose method is not safe (anything but GET, HEAD, OPTIONS, TRACE) fail
 * fast, before any socket opens. Everywhere else the wrappers call straight through.
 */
import http from 'node:http'
import https from 'node:https'
import { syncBuiltinESMExports } from 'node:module'
import { currentShadow, type ShadowScope } from './isolation.js'

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/** Thrown (http) or rejected with (fetch) when a shadow tries a request that could change something. */
export class SideEffectBlockedError extends Error {
  readonly code = 'ERR_TWINSPAN_SIDE_EFFECT_BLOCKED'
  constructor(
    readonly method: string,
    readonly target: string,
    readonly experiment: string,
    readonly candidate: string,
  ) {
    super(
      `twinspan: blocked ${method} ${target} from candidate '${candidate}' of experiment '${experiment}': ` +
        'blockSideEffects lets only GET, HEAD, OPTIONS and TRACE leave the shadow path. ' +
        'Stub this call in the shadow (isShadow() tells you where you are), or turn blockSideEffects off.',
    )
    this.name = 'SideEffectBlockedError'
  }
}

let installed = false

/**
 * Install the guard (idempotent). Experiments with `blockSideEffects` call it; call it yourself
 * before loading HTTP clients that keep their own reference to `http.request`.
 */
export function installSideEffectGuard(): void {
  if (installed) return
  installed = true
  guardFetch()
  guardHttp(http, 'http:')
  guardHttp(https, 'https:')
  syncBuiltinESMExports() // so `import { request } from 'node:http'` sees the guarded functions too
}

/** The error for a blocked request, or `undefined` when the request may go. */
function blockedError(method: string | undefined, target: () => string): SideEffectBlockedError | undefined {
  const scope: ShadowScope | undefined = currentShadow()
  if (scope === undefined || !scope.blockSideEffects) return undefined
  const verb = (method ?? 'GET').toUpperCase()
  if (SAFE_METHODS.has(verb)) return undefined
  return new SideEffectBlockedError(verb, target(), scope.experiment, scope.candidate)
}

function guardFetch(): void {
  const original = globalThis.fetch
  if (typeof original !== 'function') return
  const guarded: typeof fetch = function fetch(input, init) {
    const request = typeof input === 'object' && 'method' in input ? input : undefined
    const error = blockedError(init?.method ?? request?.method, () =>
      describeUrl(request ? request.url : String(input)),
    )
    return error ? Promise.reject(error) : original(input, init)
  }
  globalThis.fetch = guarded
}

type RequestFunction = typeof http.request

function guardHttp(module: typeof http | typeof https, protocol: string): void {
  for (const name of ['request', 'get'] as const) {
    const original = module[name] as RequestFunction
    const guarded = function (this: unknown, ...args: unknown[]) {
      const error = blockedError(methodOf(args), () => targetOf(args, protocol))
      if (error) throw error
      return (original as (...a: unknown[]) => http.ClientRequest).apply(this, args)
    }
    Object.defineProperty(guarded, 'name', { value: name })
    // The guarded function takes exactly the original's arguments; its overloads cannot be restated.
    module[name] = guarded as unknown as RequestFunction
  }
}

/** The method of `http.request(url?, options?, callback?)`. */
function methodOf(args: unknown[]): string | undefined {
  for (const arg of args.slice(0, 2)) {
    if (arg !== null && typeof arg === 'object' && !(arg instanceof URL)) {
      const method = (arg as { method?: unknown }).method
      if (typeof method === 'string') return method
    }
  }
  return undefined
}

/** Where an `http.request` goes, without query string (it may carry personal data). */
function targetOf(args: unknown[], protocol: string): string {
  const [first, second] = args
  if (typeof first === 'string' || first instanceof URL) return describeUrl(String(first))
  const options = (first ?? second ?? {}) as {
    protocol?: string
    host?: string
    hostname?: string
    port?: unknown
    path?: string
  }
  const host = options.hostname ?? options.host ?? 'localhost'
  const port = options.port !== undefined ? `:${String(options.port)}` : ''
  const path = (options.path ?? '/').split('?')[0]
  return `${options.protocol ?? protocol}//${host}${port}${path}`
}

function describeUrl(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.origin}${parsed.pathname}`
  } catch {
    return url.split('?')[0] ?? url
  }
}
