import { randomBytes } from 'node:crypto'
import {
  ATTR_CANDIDATE,
  ATTR_DIFF,
  ATTR_DIFF_COUNT,
  ATTR_DIFF_PATHS,
  ATTR_EXPERIMENT,
  ATTR_OPERATION,
  ATTR_OUTCOME,
  ATTR_PRIMARY_DURATION_MS,
  ATTR_PRIMARY_ERROR_TYPE,
  ATTR_ROLE,
  ATTR_RUN_ID,
  ATTR_SERVED,
  ATTR_SEVERITY,
  ATTR_SHADOW_DURATION_MS,
  type Outcome,
  type RunSeverity,
  type Severity,
} from '@twinspan/conventions'

/** One difference as the SDK records it. */
export interface SyntheticDifference {
  path: string
  kind: 'changed' | 'added' | 'removed' | 'type'
  primary?: unknown
  shadow?: unknown
  severity: Severity
}

/** A parallel run to send: a primary span and one shadow span per candidate. */
export interface SyntheticRun {
  experiment: string
  /** When the run started, ms since the epoch. */
  timeMs: number
  outcome: Outcome
  primaryMs: number
  shadowMs: number
  runId?: string
  operation?: string
  candidate?: string
  severity?: RunSeverity
  differences?: SyntheticDifference[]
  primaryError?: string
}

type OtlpValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: { stringValue: string }[] } }

const attribute = (key: string, value: OtlpValue) => ({ key, value })
const text = (value: string) => ({ stringValue: value })
const hex = (bytes: number) => randomBytes(bytes).toString('hex')
const nanos = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString()

let counter = 0

/** The primary and shadow spans of one run, in OTLP/JSON, linked as the SDK links them. */
export function runSpans(run: SyntheticRun): object[] {
  const traceId = hex(16)
  const primarySpanId = hex(8)
  const runId = run.runId ?? `run-${++counter}-${hex(4)}`
  const common = [
    attribute(ATTR_EXPERIMENT, text(run.experiment)),
    attribute(ATTR_RUN_ID, text(runId)),
    ...(run.operation === undefined ? [] : [attribute(ATTR_OPERATION, text(run.operation))]),
  ]
  const differences = run.differences ?? []
  const severity =
    run.severity ?? (run.outcome === 'mismatch' ? (differences[0]?.severity ?? 'major') : 'none')
  const shadowAttributes = [
    ...common,
    attribute(ATTR_ROLE, text('shadow')),
    ...(run.candidate === undefined ? [] : [attribute(ATTR_CANDIDATE, text(run.candidate))]),
    attribute(ATTR_OUTCOME, text(run.outcome)),
    attribute(ATTR_SEVERITY, text(severity)),
    attribute(ATTR_DIFF_COUNT, { intValue: String(differences.length) }),
    attribute(ATTR_DIFF_PATHS, { arrayValue: { values: differences.map((d) => text(d.path)) } }),
    attribute(ATTR_DIFF, text(JSON.stringify(differences))),
    attribute(ATTR_PRIMARY_DURATION_MS, { doubleValue: run.primaryMs }),
    attribute(ATTR_SHADOW_DURATION_MS, { doubleValue: run.shadowMs }),
    attribute(ATTR_SERVED, text('primary')),
    ...(run.primaryError === undefined ? [] : [attribute(ATTR_PRIMARY_ERROR_TYPE, text(run.primaryError))]),
  ]
  return [
    {
      traceId,
      spanId: primarySpanId,
      name: `${run.experiment} primary`,
      kind: 1,
      startTimeUnixNano: nanos(run.timeMs),
      endTimeUnixNano: nanos(run.timeMs + run.primaryMs),
      attributes: [...common, attribute(ATTR_ROLE, text('primary'))],
      status: run.primaryError ? { code: 2, message: run.primaryError } : {},
    },
    {
      traceId,
      spanId: hex(8),
      parentSpanId: primarySpanId,
      name: `${run.experiment} shadow`,
      kind: 1,
      startTimeUnixNano: nanos(run.timeMs),
      endTimeUnixNano: nanos(run.timeMs + Math.max(run.primaryMs, run.shadowMs)),
      attributes: shadowAttributes,
      links: [{ traceId, spanId: primarySpanId }],
      status: run.outcome === 'shadow_error' ? { code: 2, message: 'shadow failed' } : {},
    },
  ]
}

/** An `ExportTraceServiceRequest` body in OTLP/JSON. */
export function exportBody(runs: SyntheticRun[], service = 'synthetic-service'): object {
  return {
    resourceSpans: [
      {
        resource: { attributes: [attribute('service.name', text(service))] },
        scopeSpans: [{ scope: { name: 'twinspan-test', version: '1' }, spans: runs.flatMap(runSpans) }],
      },
    ],
  }
}

/** How to reach a collector. */
export interface Target {
  url: string
  token?: string
}

const auth = (target: Target): Record<string, string> =>
  target.token ? { authorization: `Bearer ${target.token}` } : {}

/** POST runs to a collector's real OTLP/HTTP receiver, in batches; fails on any rejected span. */
export async function sendRuns(target: Target, runs: SyntheticRun[], batchSize = 500): Promise<void> {
  const posts: Promise<void>[] = []
  for (let i = 0; i < runs.length; i += batchSize) {
    const batch = runs.slice(i, i + batchSize)
    posts.push(
      fetch(`${target.url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth(target) },
        body: JSON.stringify(exportBody(batch)),
      }).then(async (response) => {
        const body = await response.text()
        if (response.status !== 200) throw new Error(`POST /v1/traces answered ${response.status}: ${body}`)
        const rejected = (JSON.parse(body) as { partialSuccess?: { rejectedSpans?: string | number } })
          .partialSuccess?.rejectedSpans
        if (rejected !== undefined && Number(rejected) !== 0) throw new Error(`spans rejected: ${body}`)
      }),
    )
  }
  await Promise.all(posts)
}

/** Wait until the collector lists `experiment` with `runs` runs (ingest may batch), or fail. */
export async function waitForRuns(target: Target, experiment: string, runs: number): Promise<void> {
  const deadline = Date.now() + 20_000
  let seen = -1
  while (Date.now() < deadline) {
    const response = await fetch(`${target.url}/api/experiments`, { headers: auth(target) })
    if (response.status !== 200)
      throw new Error(`GET /api/experiments answered ${response.status}: ${await response.text()}`)
    const body = (await response.json()) as { experiments: { name: string; runs: number }[] }
    seen = body.experiments.find((e) => e.name === experiment)?.runs ?? 0
    if (seen === runs) return
    if (seen > runs) throw new Error(`${experiment}: ${seen} runs stored, expected ${runs}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${experiment}: ${seen} runs stored after 20 s, expected ${runs}`)
}

/** Evenly spread values over [low, high): the i-th of n, shuffled by a fixed stride. */
export function uniform(low: number, high: number, i: number, n: number, stride = 1): number {
  const k = (i * stride) % n
  return low + ((high - low) * (k + 0.5)) / n
}

/** GET an API path as JSON, with its status. */
export async function getJson<T = Record<string, unknown>>(
  target: Target,
  path: string,
): Promise<{ status: number; body: T }> {
  const response = await fetch(`${target.url}${path}`, { headers: auth(target) })
  return { status: response.status, body: (await response.json()) as T }
}
