/**
 * `parallelRun()`: the tee point. Each eligible request becomes one run of an `@twinspan/sdk`
 * experiment whose primary is "the legacy response, captured as this app sends it" and whose
 * shadow is "the same request, sent to the candidate". The SDK decides (sampling, in-flight cap),
 * times both sides, compares with `compareHttp`, and records the linked spans. The client's
 * response is written by the app as always: the run is never awaited on the request's path.
 */
import { diag, type Span, trace } from '@opentelemetry/api'
import { ATTR_OPERATION } from '@twinspan/conventions'
import { type Experiment, experiment, type RunResult, shadowSignal } from '@twinspan/sdk'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import { sendToCandidate } from './candidate.js'
import { CandidatePool } from './candidate-pool.js'
import { captureResponse } from './capture.js'
import { compareResponses } from './comparison.js'
import { mirroredHeaders } from './headers.js'
import { routeOperation } from './operation.js'
import type { HttpRunResult, ParallelRunOptions } from './options.js'
import { settingsOf } from './options.js'
import { type BodySource, bodySource, collectBody, type MirroredBody } from './request-body.js'
import type { ObservedResponse } from './response.js'
import { watchedTracer } from './run-spans.js'

/** Why a request the middleware would mirror was passed on unmirrored, before any run started. */
export type BodySkipReason = 'request_body_too_large' | 'request_body_unreadable'

/** The middleware, plus what tests and shutdown need. */
export interface ParallelRunMiddleware extends RequestHandler {
  /** Experiment name (`parallel_run.experiment`). */
  readonly experiment: string
  /** Resolves when every run started so far (legacy response and candidate response) is recorded. */
  flush(): Promise<void>
  /** `flush()`, then close the candidate connections this middleware opened (not a user-supplied agent's). */
  close(): Promise<void>
  /** Runs in flight now. */
  readonly inFlight: number
  /** Requests not mirrored because their body could not be, by reason. */
  readonly skipped: Readonly<Record<BodySkipReason, number>>
}

/** One request on its way through a run. */
interface Exchange {
  readonly req: Request
  readonly res: Response
  /** Path and query as the client sent them. */
  readonly path: string
  readonly body: BodySource
  /** Set when the SDK opens the run's primary span, i.e. the run is carried out. */
  runId?: string
  primarySpan?: Span
  shadowSpan?: Span
  operation?: string
  mirroredBody?: Promise<MirroredBody>
}

type Primary = (exchange: Exchange) => Promise<ObservedResponse>

const NOT_CAPTURED: Promise<ObservedResponse> = Promise.resolve(
  Object.freeze({ status: 0, headers: {}, body: undefined, bodyBytes: 0, truncated: false }),
)
const ignore = () => {}

/** Express middleware mirroring requests to `candidate` and comparing its responses with the app's. */
export function parallelRun(options: ParallelRunOptions): ParallelRunMiddleware {
  const settings = settingsOf(options)
  const { maxBodyBytes, candidate, methods } = settings
  // created once the SDK has checked maxInFlight (below)
  let pool: CandidatePool | undefined
  const target = { url: candidate, agent: options.agent, pool, maxBodyBytes }
  const fixedOperation = typeof options.operation === 'string' ? options.operation : undefined
  const operationOf = typeof options.operation === 'function' ? options.operation : undefined

  // runs from their primary span's start to their result; bounded even if a result never came
  const runs = new Map<string, Exchange>()
  const maxRuns = Number.isFinite(settings.maxInFlight) ? settings.maxInFlight * 4 + 64 : 100_000
  let starting: Exchange | undefined

  const spanStarted = (span: Span, role: unknown, runId: unknown) => {
    if (typeof runId !== 'string') return
    if (role === 'primary' && starting !== undefined) {
      starting.runId = runId
      starting.primarySpan = span
      if (runs.size >= maxRuns) runs.delete(runs.keys().next().value as string)
      runs.set(runId, starting)
    } else if (role === 'shadow') {
      const exchange = runs.get(runId)
      if (exchange === undefined) return
      exchange.shadowSpan = span
      if (exchange.operation !== undefined) span.setAttribute(ATTR_OPERATION, exchange.operation)
    }
  }

  /** Fix the run's operation once the response has finished and put it on the spans still open. */
  const settleOperation = (exchange: Exchange) => {
    if (fixedOperation !== undefined) return
    let operation: string | undefined
    if (operationOf !== undefined) {
      try {
        const given = operationOf(exchange.req, exchange.res)
        if (given !== undefined && given !== null) operation = String(given)
      } catch (error) {
        reportOperationError(error)
      }
    }
    exchange.operation = operation ?? routeOperation(exchange.req)
    exchange.primarySpan?.setAttribute(ATTR_OPERATION, exchange.operation)
    exchange.shadowSpan?.setAttribute(ATTR_OPERATION, exchange.operation)
  }

  const reportOperationError = (error: unknown) => {
    diag.error(`twinspan: experiment '${settings.name}': callback 'operation' threw; using the route`, error)
    try {
      options.onError?.(error, { experiment: settings.name, callback: 'operation' })
    } catch (reported) {
      diag.error(`twinspan: experiment '${settings.name}': onError threw`, reported)
    }
  }

  const primary: Primary = (exchange) => {
    if (exchange.runId === undefined) return NOT_CAPTURED // the SDK skipped this run
    exchange.mirroredBody = collectBody(exchange.req, exchange.body, maxBodyBytes)
    exchange.mirroredBody.catch(ignore) // the shadow reports it
    return captureResponse(exchange.res, exchange.req.method, maxBodyBytes).then((legacy) => {
      settleOperation(exchange)
      return legacy
    })
  }

  const shadow = async (exchange: Exchange): Promise<ObservedResponse> => {
    const signal = shadowSignal()
    const body = await (exchange.mirroredBody as Promise<MirroredBody>)
    return sendToCandidate(
      target,
      {
        method: exchange.req.method,
        path: exchange.path,
        headers: mirroredHeaders(exchange.req.headers, candidate.host, body.dropHeaders),
        body: body.body,
      },
      signal,
    )
  }

  const onResult = (result: RunResult) => {
    const exchange = runs.get(result.runId)
    runs.delete(result.runId)
    const user = options.onResult
    if (user === undefined || exchange === undefined) return
    return user({
      ...result,
      operation: result.operation ?? exchange.operation ?? routeOperation(exchange.req),
      request: { method: exchange.req.method, url: exchange.path },
    } satisfies HttpRunResult)
  }

  const userEnabled = options.enabled
  const userSampleKey = options.sampleKey
  const run: Experiment<Primary> = experiment<Primary>({
    name: settings.name,
    primary,
    shadow,
    mode: 'background',
    compare: (legacy, candidateResponse) =>
      compareResponses(legacy, candidateResponse, settings.compare, maxBodyBytes),
    // observations are private, immutable objects built here: nothing to snapshot
    clone: (value) => value,
    sampleRate: options.sampleRate,
    sampleKey: userSampleKey === undefined ? undefined : (exchange) => userSampleKey(exchange.req),
    enabled:
      typeof userEnabled === 'function' ? (exchange) => userEnabled(exchange.req) : (userEnabled ?? true),
    timeoutMs: options.timeoutMs,
    maxInFlight: settings.maxInFlight,
    operation: fixedOperation,
    redact: options.redact,
    onResult,
    onError: options.onError,
    tracer: watchedTracer(options.tracer ?? trace.getTracer('@twinspan/sdk'), spanStarted),
    meter: options.meter,
  })

  if (options.agent === undefined) {
    pool = new CandidatePool(candidate, settings.maxInFlight, maxBodyBytes)
    target.pool = pool
  }

  const skipped: Record<BodySkipReason, number> = { request_body_too_large: 0, request_body_unreadable: 0 }

  function middleware(req: Request, res: Response, next: NextFunction): void {
    if (methods === undefined || methods.has(req.method)) {
      try {
        const body = bodySource(req, maxBodyBytes)
        if (body.kind === 'unmirrorable') skipped[body.reason]++
        else {
          const exchange: Exchange = { req, res, path: req.originalUrl ?? req.url, body }
          starting = exchange
          try {
            run.run(exchange).catch(ignore)
          } finally {
            starting = undefined
          }
        }
      } catch (error) {
        diag.error(
          `twinspan: experiment '${settings.name}': could not mirror a request; serving it unmirrored`,
          error,
        )
      }
    }
    next()
  }

  return Object.defineProperties(middleware, {
    experiment: { value: settings.name, enumerable: true },
    flush: { value: () => run.flush(), enumerable: true },
    close: {
      value: async () => {
        await run.flush()
        pool?.close()
      },
      enumerable: true,
    },
    inFlight: { get: () => run.inFlight, enumerable: true },
    skipped: { get: () => Object.freeze({ ...skipped }), enumerable: true },
  }) as ParallelRunMiddleware
}
