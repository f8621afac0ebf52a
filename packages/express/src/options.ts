/**
 * What `parallelRun()` accepts, its defaults, and the checks that turn a bad option into an error
 * naming it, at creation rather than on the first request.
 */
import type { Agent } from 'node:http'
import type { Meter, Tracer } from '@opentelemetry/api'
import { compareHttp, type HttpCompareOptions } from '@twinspan/compare'
import type { CallbackFailure, RunResult, SampleKey } from '@twinspan/sdk'
import type { Request, Response } from 'express'

export interface ParallelRunOptions {
  /** Base URL of the candidate service, e.g. `http://orders-v2:8080`; the request's path and query are appended. */
  candidate: string | URL
  /** Experiment name, `parallel_run.experiment`; default the candidate's `host:port`. */
  name?: string
  /** Methods to mirror; default `GET` and `HEAD` (every method when `unsafeMethods` is true). */
  methods?: readonly string[]
  /** Allow methods other than GET, HEAD, OPTIONS and TRACE: they run every write twice. Default false. */
  unsafeMethods?: boolean
  /** Share of requests mirrored, 0..1; default 1. */
  sampleRate?: number
  /** Sticky cohort key: the same key gets the same sampling decision in every process. */
  sampleKey?: (req: Request) => SampleKey
  /** Kill switch, checked on every request; default true. */
  enabled?: boolean | ((req: Request) => boolean)
  /** The candidate's deadline in ms, from the moment its request starts; default 5000. */
  timeoutMs?: number
  /** Runs (legacy response + candidate response) in flight at once; beyond it requests are not mirrored. Default 64. */
  maxInFlight?: number
  /** Options for `compareHttp`: rules (`body.total`, `headers.cache-control`), `ignoreHeaders`, `defaultSeverity`. */
  compare?: HttpCompareOptions
  /** `parallel_run.operation`: a string or `(req, res) => string`, read when the response finishes. Default `METHOD /route/:template`. */
  operation?: string | ((req: Request, res: Response) => string | undefined)
  /** Bytes of each response body (and of a request body) kept for comparison; default 262144 (256 KiB). */
  maxBodyBytes?: number
  /** HTTP agent for the candidate, sent through `node:http`; default the mirror's own keep-alive client (at most `maxInFlight` connections). */
  agent?: Agent
  /** Paths masked in everything exported, e.g. `body.customer.email`, `headers.authorization`. */
  redact?: readonly string[]
  /** Called with each finished run (values redacted), with the operation and request line filled in. */
  onResult?: (result: HttpRunResult) => void | PromiseLike<void>
  /** Called when one of your callbacks throws. */
  onError?: (error: unknown, failure: CallbackFailure | { experiment: string; callback: 'operation' }) => void
  /** Tracer for the spans; default the global provider's `@twinspan/sdk` tracer. */
  tracer?: Tracer
  /** Meter for the SDK's metrics; default the global provider's. */
  meter?: Meter
}

/** A finished run as `onResult` gets it: the SDK's result plus which request it was. */
export interface HttpRunResult extends RunResult {
  operation: string
  request: { method: string; url: string }
}

/** Defaults of the options the middleware itself owns (the SDK's are in `@twinspan/sdk`'s `DEFAULTS`). */
export const DEFAULTS = Object.freeze({
  methods: Object.freeze(['GET', 'HEAD']),
  unsafeMethods: false,
  sampleRate: 1,
  timeoutMs: 5000,
  maxInFlight: 64,
  maxBodyBytes: 256 * 1024,
})

/** Methods RFC 9110 defines as safe: mirroring them cannot change state on the candidate. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/** The options after checks, defaults filled in. */
export interface Settings {
  readonly name: string
  readonly candidate: URL
  /** Methods mirrored; `undefined` for every method. */
  readonly methods: ReadonlySet<string> | undefined
  readonly maxBodyBytes: number
  readonly maxInFlight: number
  readonly compare: HttpCompareOptions | undefined
}

/** Check `options` and fill in defaults; throws naming the bad option and the fix. */
export function settingsOf(options: ParallelRunOptions): Settings {
  const fail = (message: string): never => {
    throw new TypeError(`twinspan/express: parallelRun: ${message}`)
  }
  if (options === null || typeof options !== 'object')
    fail('options are required: parallelRun({ candidate })')
  const candidate = candidateUrl(options.candidate, fail)
  const name = options.name ?? candidate.host
  if (typeof name !== 'string' || name === '') fail('name must be a non-empty string')

  const unsafe = options.unsafeMethods ?? DEFAULTS.unsafeMethods
  if (typeof unsafe !== 'boolean') fail('unsafeMethods must be a boolean')
  let methods: Set<string> | undefined
  if (options.methods !== undefined) {
    if (!Array.isArray(options.methods) || options.methods.length === 0)
      fail("methods must be a non-empty array of method names, e.g. ['GET', 'HEAD']")
    methods = new Set(options.methods.map((m) => String(m).toUpperCase()))
  } else if (!unsafe) methods = new Set(DEFAULTS.methods)
  const unsafeListed = [...(methods ?? [])].filter((m) => !SAFE_METHODS.has(m))
  if (unsafeListed.length > 0 && !unsafe)
    fail(
      `methods includes ${unsafeListed.join(', ')}, which can change state: mirroring runs every such request twice, ` +
        'once on the legacy service and once on the candidate. Set unsafeMethods: true only if the candidate cannot ' +
        'cause side effects (a dry-run mode, its own copy of the data)',
    )

  const maxBodyBytes = options.maxBodyBytes ?? DEFAULTS.maxBodyBytes
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0)
    fail(`maxBodyBytes must be a non-negative integer, got ${String(maxBodyBytes)}`)
  const maxInFlight = options.maxInFlight ?? DEFAULTS.maxInFlight
  if (options.agent !== undefined && (typeof options.agent !== 'object' || options.agent === null))
    fail('agent must be an http.Agent (or https.Agent for an https candidate)')
  if (options.operation !== undefined && !['string', 'function'].includes(typeof options.operation))
    fail('operation must be a string or a function (req, res) => string')
  if (options.onResult !== undefined && typeof options.onResult !== 'function')
    fail('onResult must be a function')

  const compare = options.compare === undefined ? undefined : Object.freeze({ ...options.compare })
  if (compare !== undefined) {
    try {
      compareHttp({ status: 200 }, { status: 200 }, compare) // compiles (and caches) the rules, or throws
    } catch (error) {
      fail(`compare: ${(error as Error).message}`)
    }
  }
  return Object.freeze({ name, candidate, methods, maxBodyBytes, maxInFlight, compare })
}

function candidateUrl(value: unknown, fail: (message: string) => never): URL {
  if (typeof value !== 'string' && !(value instanceof URL))
    fail("candidate is required: the candidate service's base URL, e.g. 'http://orders-v2:8080'")
  let url: URL
  try {
    url = new URL(String(value))
  } catch {
    return fail(`candidate must be an absolute http(s) URL, got '${String(value)}'`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    fail(`candidate must be an http or https URL, got '${url.protocol}'`)
  if (url.search !== '' || url.hash !== '')
    fail(`candidate must not carry a query or fragment (the request's own are sent), got '${url.href}'`)
  return url
}
