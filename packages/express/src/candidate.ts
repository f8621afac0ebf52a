/**
 * The candidate leg: the request as written to the candidate, and its answer as compared. By
 * default the middleware sends it over its own keep-alive client (`candidate-pool.ts`), the
 * cheapest way measured (decision 0041); with a user-supplied `agent` (TLS settings, proxies),
 * over `node:http`/`node:https` through it. Never `fetch`: it follows redirects and decodes bodies
 * behind our back (both are part of what is compared) and costs the most per request.
 *
 * Anything but a response (refused, reset, not HTTP, aborted at the deadline) is a failure: the
 * run records it as `shadow_error` (or `timeout`, which the SDK decides at the deadline).
 */
import * as http from 'node:http'
import * as https from 'node:https'
import { type Context, propagation } from '@opentelemetry/api'
import { decodeBody } from './decode.js'
import { comparableHeaders } from './headers.js'
import { BoundedBody, type ObservedResponse } from './response.js'
import type { ResponseReader } from './response-reader.js'

/** Where and how the candidate is reached. */
export interface CandidateTarget {
  readonly url: URL
  /** `basePathOf(url)`. */
  readonly basePath: string
  readonly maxBodyBytes: number
  /** The user's agent, for `sendThroughAgent`. */
  readonly agent?: http.Agent
}

/** The request to send, already mirrored from the client's. */
export interface MirroredRequest {
  readonly method: string
  /** Path and query of the client's request. */
  readonly path: string
  readonly headers: http.OutgoingHttpHeaders
  readonly body: Buffer | undefined
}

/** Methods whose requests carry a body by convention: an empty one is sent as `content-length: 0`. */
const BODYLESS_BY_DEFAULT = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'])

/** The candidate URL's path without a trailing slash, prefixed to every mirrored request's path. */
export function basePathOf(url: URL): string {
  return url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname
}

/**
 * The whole request as written to the candidate over the pool: request line, the mirrored
 * header lines (`mirroredHeaderLines`), the mirror's framing headers, body. Without a body it is
 * one string, written as latin1 (header values came through Node's parser as latin1 text: written
 * back byte for byte), so no buffer is made for it.
 */
export function requestPayload(
  target: CandidateTarget,
  method: string,
  path: string,
  headerLines: string,
  body: Buffer | undefined,
): string | Buffer {
  let head = `${method} ${target.basePath}${path} HTTP/1.1\r\n${headerLines}`
  head += 'connection: keep-alive\r\n' // HTTP/1.1's default, said for servers that want it said
  if (body !== undefined) head += `content-length: ${body.length}\r\n`
  else if (!BODYLESS_BY_DEFAULT.has(method)) head += 'content-length: 0\r\n'
  head += '\r\n'
  return body === undefined ? head : Buffer.concat([Buffer.from(head, 'latin1'), body])
}

/** The response read off the wire, as compared: connection-level headers dropped, body decoded. */
export function observedOf(
  reader: ResponseReader,
  maxBodyBytes: number,
): ObservedResponse | Promise<ObservedResponse> {
  const { body } = reader
  const response = {
    status: reader.status,
    headers: comparableHeaders(reader.headers),
    bodyBytes: body.bytes,
    body: body.take(),
    truncated: body.truncated,
  }
  const encoding = reader.headers['content-encoding']
  if (encoding === undefined) return response
  return decodeBody(response.body, String(encoding), maxBodyBytes).then((decoded) => ({
    ...response,
    body: decoded.body,
    truncated: response.truncated || decoded.truncated,
  }))
}

/** Send `request` through the user's agent, over `node:http`/`node:https`; resolves with the response as compared. */
export function sendThroughAgent(
  target: CandidateTarget,
  request: MirroredRequest,
  trace: Context,
  signal: AbortSignal,
): Promise<ObservedResponse> {
  const { url } = target
  const headers: http.OutgoingHttpHeaders = { ...request.headers }
  propagation.inject(trace, headers)
  if (request.body !== undefined) headers['content-length'] = request.body.length
  const send = url.protocol === 'https:' ? https.request : http.request
  return new Promise((resolve, reject) => {
    const outgoing = send(
      {
        protocol: url.protocol,
        hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
        port: url.port,
        method: request.method,
        path: target.basePath + request.path,
        headers,
        agent: target.agent,
        signal,
      },
      (response) => {
        const body = new BoundedBody(target.maxBodyBytes)
        response.on('data', (chunk: Buffer) => body.add(chunk)) // read to the end, kept up to the bound
        response.once('error', reject)
        response.once('aborted', () => reject(new Error('the candidate closed the connection mid-response')))
        response.once('end', () => {
          const observed = {
            status: response.statusCode ?? 0,
            headers: comparableHeaders(response.headers),
            bodyBytes: body.bytes,
          }
          const encoding = response.headers['content-encoding']
          if (encoding === undefined) {
            resolve({ ...observed, body: body.take(), truncated: body.truncated })
            return
          }
          decodeBody(body.take(), encoding, target.maxBodyBytes).then((decoded) =>
            resolve({ ...observed, body: decoded.body, truncated: body.truncated || decoded.truncated }),
          )
        })
      },
    )
    outgoing.once('error', reject)
    outgoing.end(request.body)
  })
}
