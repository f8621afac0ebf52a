/**
 * `parallelRun()`: the tee point. Each eligible request becomes one run of an `@twinspan/sdk`
 * recorder: the SDK decides (kill switch, sampling, in-flight cap), then the middleware reports
 * the two sides as they settle: the legacy response, captured as this app sends it, and the
 * candidate's response to the same request. The SDK times both, compares them with
 * `compareHttp`, and records the linked spans exactly as for any experiment. The client's
 * response is written by the app as always: nothing on the request's path waits for the run.
 */
import { type Context, diag, propagation } from '@opentelemetry/api'
import { type RecordedRun, type Recorder, recorder } from '@twinspan/sdk'
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import {
  basePathOf,
  type CandidateTarget,
  observedOf,
  requestPayload,
  sendThroughAgent,
} from './candidate.js'
import { type CandidateListener, CandidatePool, type PendingRequest } from './candidate-pool.js'
import { Capture, captureResponse } from './capture.js'
import { compareResponses } from './comparison.js'
import { mirroredHeaderLines, mirroredHeaders } from './headers.js'
import { routeOperation } from './operation.js'
import type { HttpRunResult, ParallelRunOptions, Settings } from './options.js'
import { settingsOf } from './options.js'
import { type BodySource, bodySource, collectBody, knownBody, type MirroredBody } from './request-body.js'
import type { ObservedResponse } from './response.js'
import type { ResponseReader } from './response-reader.js'

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

/** What every mirror of one middleware shares. */
interface Tee {
  readonly settings: Settings
  readonly target: CandidateTarget
  /** The mirror's own connections; `undefined` when the user gave an agent. */
  readonly pool: CandidatePool | undefined
  readonly options: ParallelRunOptions
}

/**
 * One mirrored request, from the middleware to its recorded run: it reports the legacy response
 * and the candidate's to the run, and is the candidate request's listener. Methods, not
 * closures: a mirror costs one object.
 */
class Mirror extends Capture implements CandidateListener {
  private pending: PendingRequest | undefined
  private controller: AbortController | undefined
  private requestBody: MirroredBody | Promise<MirroredBody> | undefined

  constructor(
    private readonly tee: Tee,
    private readonly run: RecordedRun,
    private readonly req: Request,
    private readonly res: Response,
    source: BodySource,
  ) {
    const { maxBodyBytes } = tee.settings
    super(maxBodyBytes, req.method)
    if (source.kind === 'raw') {
      const collecting = collectBody(req, source, maxBodyBytes)
      this.requestBody = collecting
      collecting.then(
        (body) => {
          this.requestBody = body
        },
        () => {}, // the shadow reports it
      )
    } else this.requestBody = knownBody(source)
    captureResponse(res, this)
  }

  /** The legacy response finished: its operation is known now (Express has routed the request). */
  protected captured(response: ObservedResponse): void {
    const { options } = this.tee
    if (typeof options.operation !== 'string') this.run.setOperation(this.operation())
    this.run.primary({ value: response })
  }

  private operation(): string {
    const given = this.tee.options.operation
    if (typeof given === 'function') {
      try {
        const operation = given(this.req, this.res)
        if (operation !== undefined && operation !== null) return String(operation)
      } catch (error) {
        reportOperationError(this.tee, error)
      }
    }
    return routeOperation(this.req)
  }

  /** Send the request to the candidate (on the turn after the request arrived). */
  send(): void {
    const body = this.requestBody
    if (body instanceof Promise) {
      // a raw body still arriving: the shadow starts now (its clock too) and is sent once complete
      const trace = this.run.startShadow((reason) => this.deadline(reason))
      body.then(
        (complete) => this.write(trace, complete),
        (error: unknown) => this.failed(error),
      )
      return
    }
    this.write(
      this.run.startShadow((reason) => this.deadline(reason)),
      body as MirroredBody,
    )
  }

  private write(trace: Context, body: MirroredBody): void {
    const { target, pool, settings } = this.tee
    const req = this.req
    const path = req.originalUrl ?? req.url
    try {
      if (pool !== undefined) {
        const context: Record<string, string> = {}
        propagation.inject(trace, context) // traceparent of the shadow span, with a propagator registered
        const lines = mirroredHeaderLines(req.headers, settings.candidate.host, body.dropHeaders, context)
        this.pending = pool.request(
          req.method,
          requestPayload(target, req.method, path, lines, body.body),
          this,
        )
        return
      }
      const request = {
        method: req.method,
        path,
        headers: mirroredHeaders(req.headers, settings.candidate.host, body.dropHeaders),
        body: body.body,
      }
      this.controller = new AbortController()
      sendThroughAgent(target, request, trace, this.controller.signal).then(
        (response) => this.run.shadow({ value: response }),
        (error: unknown) => this.failed(error),
      )
    } catch (error) {
      this.failed(error)
    }
  }

  /** The candidate answered (pool). */
  response(reader: ResponseReader): void {
    let observed: ObservedResponse | Promise<ObservedResponse>
    try {
      observed = observedOf(reader, this.tee.settings.maxBodyBytes)
    } catch (error) {
      this.failed(error)
      return
    }
    if (observed instanceof Promise) observed.then((response) => this.run.shadow({ value: response }))
    else this.run.shadow({ value: observed })
  }

  /** No answer: refused, reset, not HTTP, or the request body could not be had. */
  failed(error: unknown): void {
    this.run.shadow({ error })
  }

  private deadline(reason: Error): void {
    this.pending?.abort(reason)
    this.controller?.abort(reason)
  }
}

/** Express middleware mirroring requests to `candidate` and comparing its responses with the app's. */
export function parallelRun(options: ParallelRunOptions): ParallelRunMiddleware {
  const settings = settingsOf(options)
  const { maxBodyBytes, candidate, methods } = settings
  const userOnResult = options.onResult

  const runs: Recorder<[Request]> = recorder<[Request]>({
    name: settings.name,
    compare: (legacy, candidateResponse) =>
      compareResponses(
        legacy as ObservedResponse,
        candidateResponse as ObservedResponse,
        settings.compare,
        maxBodyBytes,
      ),
    sampleRate: options.sampleRate,
    sampleKey: options.sampleKey,
    enabled: options.enabled ?? true,
    timeoutMs: options.timeoutMs,
    maxInFlight: settings.maxInFlight,
    operation: typeof options.operation === 'string' ? options.operation : undefined,
    redact: options.redact,
    onResult:
      userOnResult === undefined
        ? undefined
        : (result, req) => {
            // the SDK's result is made for this call: completed in place rather than copied
            const http = result as HttpRunResult
            http.operation = result.operation ?? routeOperation(req)
            http.request = { method: req.method, url: req.originalUrl ?? req.url }
            return userOnResult(http)
          },
    onError: options.onError,
    tracer: options.tracer,
    meter: options.meter,
  })

  // created once the SDK has checked maxInFlight (above)
  const pool =
    options.agent === undefined ? new CandidatePool(candidate, settings.maxInFlight, maxBodyBytes) : undefined
  const target = { url: candidate, basePath: basePathOf(candidate), maxBodyBytes, agent: options.agent }
  const tee: Tee = { settings, target, pool, options }
  const skipped: Record<BodySkipReason, number> = { request_body_too_large: 0, request_body_unreadable: 0 }

  // Candidate requests go out on the turn after their requests arrived, all of a turn together:
  // the app's own handling of a request goes first, and one immediate serves every mirror.
  let due: Mirror[] = []
  const sendDue = () => {
    const sending = due
    due = []
    for (const mirror of sending) mirror.send()
  }

  function middleware(req: Request, res: Response, next: NextFunction): void {
    if (methods === undefined || methods.has(req.method)) {
      try {
        const body = bodySource(req, maxBodyBytes)
        if (body.kind === 'unmirrorable') skipped[body.reason]++
        else {
          const run = runs.begin(req)
          if (run !== undefined) {
            let mirror: Mirror
            try {
              mirror = new Mirror(tee, run, req, res, body)
            } catch (error) {
              unmirrored(run, error)
              throw error
            }
            if (due.length === 0) setImmediate(sendDue)
            due.push(mirror)
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
    flush: { value: () => runs.flush(), enumerable: true },
    close: {
      value: async () => {
        await runs.flush()
        pool?.close()
      },
      enumerable: true,
    },
    inFlight: { get: () => runs.inFlight, enumerable: true },
    skipped: { get: () => Object.freeze({ ...skipped }), enumerable: true },
  }) as ParallelRunMiddleware
}

/** A run begun whose mirror could not be set up: recorded, so it leaves nothing in flight. */
function unmirrored(run: RecordedRun, error: unknown): void {
  run.primary({ value: NOT_CAPTURED })
  run.startShadow()
  run.shadow({ error })
}

const NOT_CAPTURED: ObservedResponse = Object.freeze({
  status: 0,
  headers: {},
  body: undefined,
  bodyBytes: 0,
  truncated: false,
  incomplete: true,
})

function reportOperationError(tee: Tee, error: unknown): void {
  const name = tee.settings.name
  diag.error(`twinspan: experiment '${name}': callback 'operation' threw; using the route`, error)
  try {
    tee.options.onError?.(error, { experiment: name, callback: 'operation' })
  } catch (reported) {
    diag.error(`twinspan: experiment '${name}': onError threw`, reported)
  }
}
