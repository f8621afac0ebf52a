import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJson, postTraces } from './ingest-support.js'
import { runSpans as syntheticRunSpans } from './support/synthetic-runs.js'

/** A request a stand-in receiver got. */
export interface Recorded {
  at: number
  method: string
  path: string
  headers: IncomingHttpHeaders
  // biome-ignore lint/suspicious/noExplicitAny: payloads are checked field by field in the tests
  body: any
  /** The answer it was given. */
  status: number
}

export interface Answer {
  status: number
  body?: string
  headers?: Record<string, string>
}

/** A local HTTP receiver on 127.0.0.1 that records JSON requests and answers as `respond` says. */
export async function standIn(respond: (request: Omit<Recorded, 'status'>) => Answer) {
  const requests: Recorded[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString()
      let body: unknown = text
      try {
        body = JSON.parse(text)
      } catch {}
      const request = {
        at: Date.now(),
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
      }
      const answer = respond(request)
      requests.push({ ...request, status: answer.status })
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers })
      res.end(answer.body ?? '')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export interface MismatchSpec {
  experiment: string
  count: number
  severity?: 'critical' | 'major' | 'minor' | 'cosmetic' | 'none'
  outcome?: 'match' | 'mismatch' | 'shadow_error' | 'timeout'
  /** Differing paths per run: a function of the run's index, default `['total']`. */
  paths?: (i: number) => string[]
  operation?: string
  primaryMs?: number
  shadowMs?: number
}

let sequence = 1

/** OTLP/JSON spans for runs as the SDK exports them, with diff paths and the redacted diff. */
export function runSpans(spec: MismatchSpec): object[] {
  const outcome = spec.outcome ?? 'mismatch'
  const severity = outcome === 'mismatch' ? (spec.severity ?? 'critical') : 'none'
  return Array.from({ length: spec.count }, (_, i) => {
    const paths = outcome === 'mismatch' ? (spec.paths?.(i) ?? ['total']) : []
    return syntheticRunSpans({
      experiment: spec.experiment,
      runId: `${spec.experiment}-${sequence++}`,
      timeMs: Date.now(),
      outcome,
      severity,
      candidate: 'shadow',
      operation: spec.operation,
      primaryMs: spec.primaryMs ?? 5,
      shadowMs: spec.shadowMs ?? 6,
      differences: paths.map((path) => ({
        path,
        kind: 'changed' as const,
        // a difference always has a severity; 'none' only describes a run without any
        severity: severity === 'none' ? 'cosmetic' : severity,
        primary: '[redacted]',
        shadow: '[redacted]',
      })),
    })
  }).flat()
}

/**
 * Send runs through the real OTLP receiver, in requests of at most `perRequest` runs; all must be
 * accepted. A 200 means the runs are in the spool; with `flush` (an in-process collector) this also
 * waits until they are in ClickHouse, where the API and the rule evaluator read them.
 */
export async function sendRuns(
  target: { url: string; flush?: () => Promise<void> },
  spec: MismatchSpec,
  perRequest = 100,
): Promise<void> {
  const { url } = target
  const requests: Promise<Response>[] = []
  for (let done = 0; done < spec.count; done += perRequest) {
    const count = Math.min(perRequest, spec.count - done)
    requests.push(postTraces(url, exportJson(runSpans({ ...spec, count }))))
  }
  for (const response of await Promise.all(requests)) {
    if (response.status !== 200)
      throw new Error(`OTLP export answered ${response.status}: ${await response.text()}`)
  }
  await target.flush?.()
}

/** Poll until `ok` holds (or fail after `timeoutMs`), returning the last value read. */
export async function waitFor<T>(
  read: () => T | Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (ok(value)) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(25)
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A free TCP port on 127.0.0.1 (for programs we start that need a port up front). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A metric's value from a Prometheus exposition, by its full series text, e.g. `x_total{a="b"}`. */
export function metricValue(exposition: string, series: string): number {
  const escaped = series.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return Number(new RegExp(`^${escaped} (\\S+)$`, 'm').exec(exposition)?.[1] ?? Number.NaN)
}
