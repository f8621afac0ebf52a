/**
 * The candidate leg: send the mirrored request with `node:http`/`node:https` and read the
 * response, bounded. `node:http` rather than `fetch`: it is cheaper per request on Node 20, it
 * does not follow redirects or decode bodies behind our back (a redirect or an encoding is part
 * of what is compared), and its agent bounds the sockets the mirror may hold.
 *
 * Anything but a response (refused, reset, not HTTP, aborted at the deadline) rejects: the run
 * records it as `shadow_error` (or `timeout`, which the SDK decides at the deadline).
 */
import * as http from 'node:http'
import * as https from 'node:https'
import { context, propagation } from '@opentelemetry/api'
import { decodeBody } from './decode.js'
import { comparableHeaders } from './headers.js'
import { BoundedBody, type ObservedResponse } from './response.js'

/** Where and how the candidate is reached. */
export interface CandidateTarget {
  readonly url: URL
  readonly agent: http.Agent
  readonly maxBodyBytes: number
}

/** The request to send, already mirrored from the client's. */
export interface MirroredRequest {
  readonly method: string
  /** Path and query of the client's request. */
  readonly path: string
  readonly headers: http.OutgoingHttpHeaders
  readonly body: Buffer | undefined
}

/** A keep-alive agent for `url`'s protocol holding at most `maxSockets` sockets. */
export function candidateAgent(url: URL, maxSockets: number): http.Agent {
  const options = { keepAlive: true, maxSockets, maxFreeSockets: Math.min(maxSockets, 256) }
  return url.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options)
}

/** Send `request` to the candidate; resolves with its response, body decoded and bounded. */
export function sendToCandidate(
  target: CandidateTarget,
  request: MirroredRequest,
  signal: AbortSignal | undefined,
): Promise<ObservedResponse> {
  const { url } = target
  const headers: http.OutgoingHttpHeaders = { ...request.headers }
  // the candidate's own spans join the trace under the shadow span (a no-op without a propagator)
  propagation.inject(context.active(), headers)
  if (request.body !== undefined) headers['content-length'] = request.body.length
  const base = url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname
  const send = url.protocol === 'https:' ? https.request : http.request
  return new Promise((resolve, reject) => {
    const outgoing = send(
      {
        protocol: url.protocol,
        hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
        port: url.port,
        method: request.method,
        path: base + request.path,
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
