import type { Request, Response } from 'express'
import type { IngestResult, OtlpEncoding, PreparedSpans } from '../ingest/ingest.js'
import { BackpressureError } from '../ingest/pipeline.js'
import { SpoolFullError } from '../ingest/spool.js'
import { BodyEncodingError, BodyTooLargeError, readBody } from './body.js'
import { encodeStatusJson, encodeTraceExportResponseJson } from './json.js'
import { OtlpDecodeError } from './model.js'
import { encodeStatusProto, encodeTraceExportResponseProto } from './protobuf.js'

/**
 * Where bodies go: decoded and serialised at once (`prepare`, which throws OtlpDecodeError for an
 * undecodable body), then `store` resolves once the rows are durable.
 */
export interface TraceSink {
  prepare(body: Buffer, encoding: OtlpEncoding): PreparedSpans
  store(prepared: PreparedSpans): Promise<IngestResult>
}

export interface ReceiverOptions {
  /** Cap on the decompressed body, in bytes. */
  maxBodyBytes: number
  /** Requests read, decoded or waiting for durability at once; more get 429 before their body is read. */
  maxConcurrentRequests: number
  /** Called with the HTTP status of every response (metrics). */
  onResponse?: (status: number) => void
}

/** Seconds a client should wait before retrying, by cause. */
const RETRY_AFTER_BACKPRESSURE = 1
const RETRY_AFTER_UNAVAILABLE = 30

const MEDIA_TYPES: Record<string, OtlpEncoding> = {
  'application/x-protobuf': 'protobuf',
  'application/protobuf': 'protobuf',
  'application/json': 'json',
}

// google.rpc.Code values used in error bodies.
const RPC_INVALID_ARGUMENT = 3
const RPC_RESOURCE_EXHAUSTED = 8
const RPC_UNIMPLEMENTED = 12
const RPC_UNAVAILABLE = 14

/** The OTLP/HTTP traces endpoint (`POST /v1/traces`), per the OTLP specification. */
export function tracesHandler(sink: TraceSink, options: ReceiverOptions) {
  let active = 0
  return async (req: Request, res: Response): Promise<void> => {
    if (options.onResponse) res.once('finish', () => options.onResponse?.(res.statusCode))
    if (active >= options.maxConcurrentRequests) {
      // Refuse before reading the body: memory stays bounded however much is offered.
      req.resume()
      res.setHeader('Retry-After', String(RETRY_AFTER_BACKPRESSURE))
      sendStatus(
        res,
        MEDIA_TYPES[mediaTypeOf(req)] ?? 'json',
        429,
        RPC_RESOURCE_EXHAUSTED,
        `too many export requests in progress (${active}); retry shortly`,
      )
      return
    }
    active++
    try {
      await handle(req, res)
    } finally {
      active--
    }
  }

  async function handle(req: Request, res: Response): Promise<void> {
    const mediaType = mediaTypeOf(req)
    const encoding = MEDIA_TYPES[mediaType]
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST')
      sendStatus(
        res,
        encoding ?? 'json',
        405,
        RPC_UNIMPLEMENTED,
        `method ${req.method} is not allowed; use POST`,
      )
      return
    }
    if (encoding === undefined) {
      req.resume()
      sendStatus(
        res,
        'json',
        415,
        RPC_INVALID_ARGUMENT,
        `unsupported Content-Type "${mediaType}"; use application/x-protobuf or application/json`,
      )
      return
    }
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
    if (!['identity', 'gzip', 'deflate'].includes(contentEncoding)) {
      req.resume()
      sendStatus(
        res,
        encoding,
        415,
        RPC_INVALID_ARGUMENT,
        `unsupported Content-Encoding "${contentEncoding}"; use gzip`,
      )
      return
    }

    // Only the serialised rows are held while the request waits for durability, not the body or spans.
    let prepared: PreparedSpans
    try {
      prepared = sink.prepare(await readBody(req, contentEncoding, options.maxBodyBytes), encoding)
    } catch (error) {
      if (error instanceof BodyTooLargeError)
        sendStatus(res, encoding, 413, RPC_RESOURCE_EXHAUSTED, error.message)
      else if (error instanceof OtlpDecodeError || error instanceof BodyEncodingError) {
        sendStatus(res, encoding, 400, RPC_INVALID_ARGUMENT, `undecodable ${encoding} body: ${error.message}`)
      } else
        sendStatus(
          res,
          encoding,
          400,
          RPC_INVALID_ARGUMENT,
          `could not read the body: ${(error as Error).message}`,
        )
      return
    }

    let result: IngestResult
    try {
      result = await sink.store(prepared)
    } catch (error) {
      if (error instanceof BackpressureError) {
        res.setHeader('Retry-After', String(RETRY_AFTER_BACKPRESSURE))
        sendStatus(res, encoding, 429, RPC_RESOURCE_EXHAUSTED, error.message)
      } else {
        res.setHeader('Retry-After', String(RETRY_AFTER_UNAVAILABLE))
        const message =
          error instanceof SpoolFullError ? error.message : `cannot store spans: ${(error as Error).message}`
        sendStatus(res, encoding, 503, RPC_UNAVAILABLE, message)
      }
      return
    }
    if (encoding === 'protobuf') {
      res.status(200).type('application/x-protobuf')
      res.end(Buffer.from(encodeTraceExportResponseProto(result.rejected, result.errorMessage)))
    } else {
      res
        .status(200)
        .type('application/json')
        .end(encodeTraceExportResponseJson(result.rejected, result.errorMessage))
    }
  }
}

function mediaTypeOf(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
}

function sendStatus(
  res: Response,
  encoding: OtlpEncoding,
  http: number,
  code: number,
  message: string,
): void {
  res.status(http)
  if (encoding === 'protobuf')
    res.type('application/x-protobuf').end(Buffer.from(encodeStatusProto(code, message)))
  else res.type('application/json').end(encodeStatusJson(code, message))
}
