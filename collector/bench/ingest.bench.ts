/**
 * pnpm bench:ingest — OTLP/protobuf ingest into the collector on embedded ClickHouse.
 *
 * 1. End to end: pre-encoded requests of 512 spans (256 runs: primary + shadow) from concurrent
 *    clients over loopback into a `twinspan serve` child process, timed until ClickHouse holds every
 *    acknowledged span (a 200 means fsynced in the spool; the insert follows). Also p50/p99
 *    response latency.
 * 2. Raw ceilings, same run: the same rows inserted straight into the same engine, in batches of
 *    the collector's size, through @clickhouse/client (chDB connection) and from RowBinary files
 *    as the collector inserts its spool.
 * 3. Overload: offered about twice the measured capacity (open loop); the collector must answer
 *    429/503 rather than grow, RSS sampled throughout.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { Agent, request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SpanKind } from '@opentelemetry/api'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import {
  ATTR_CANDIDATE,
  ATTR_DIFF,
  ATTR_DIFF_COUNT,
  ATTR_DIFF_PATHS,
  ATTR_EXPERIMENT,
  ATTR_OUTCOME,
  ATTR_PRIMARY_DURATION_MS,
  ATTR_ROLE,
  ATTR_RUN_ID,
  ATTR_SERVED,
  ATTR_SEVERITY,
  ATTR_SHADOW_DURATION_MS,
} from '@twinspan/conventions'
import { prepareBody } from '../src/ingest/ingest.js'
import { insertSettings, openStore } from '../src/store/client.js'
import { migrate } from '../src/store/migrate.js'
import { OTEL_TRACE_COLUMNS } from '../src/store/spans.js'

const SPANS_PER_REQUEST = 512
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 2)
/** Requests each client keeps in flight, as an OTLP exporter does (the JS exporter's concurrencyLimit is 30). */
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16)
/**
 * 1.2M spans, about 15 s at 80k/s. The run ends with a fixed drain after the last answer (the last
 * batch waits up to storage.batchAgeMs, 1 s, then its insert), which a short run over-weights: at
 * 1,200 requests it was a seventh of the run. Printed separately below.
 */
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2400)
const TARGET_SPANS_PER_S = 80_000
const TARGET_RATIO = 0.5
const RSS_LIMIT_BYTES = 1024 ** 3
const here = dirname(fileURLToPath(import.meta.url))
/** BENCH_E2E_ONLY=1 runs only the end-to-end phase (A/B runs, profiles). */
const E2E_ONLY = Boolean(process.env.BENCH_E2E_ONLY)
/** A collector config file for every collector the bench starts (e.g. to compare settings). */
const CONFIG = process.env.BENCH_CONFIG
/** Extra node flags for the collector process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)

/** Encode `count` requests with the official OTLP protobuf serializer (what the proto exporter sends). */
function encodeRequests(count: number): Uint8Array[] {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.version': '1.4.2' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const tracer = provider.getTracer('@twinspan/sdk', '0.1.0')
  const requests: Uint8Array[] = []
  let run = 0
  for (let r = 0; r < count; r++) {
    exporter.reset()
    for (let i = 0; i < SPANS_PER_REQUEST / 2; i++, run++) {
      const runId = `run-${run}`
      const mismatch = run % 20 === 0
      const common = { [ATTR_EXPERIMENT]: 'shipping-cost', [ATTR_RUN_ID]: runId }
      const primary = tracer.startSpan('shipping-cost', {
        kind: SpanKind.INTERNAL,
        attributes: { ...common, [ATTR_ROLE]: 'primary' },
      })
      primary.end()
      const shadow = tracer.startSpan('shipping-cost (shadow)', {
        links: [{ context: primary.spanContext() }],
        attributes: {
          ...common,
          [ATTR_ROLE]: 'shadow',
          [ATTR_CANDIDATE]: 'shadow',
          [ATTR_OUTCOME]: mismatch ? 'mismatch' : 'match',
          [ATTR_SEVERITY]: mismatch ? 'critical' : 'none',
          [ATTR_DIFF_COUNT]: mismatch ? 1 : 0,
          [ATTR_DIFF_PATHS]: mismatch ? ['cost'] : [],
          [ATTR_DIFF]: mismatch
            ? '[{"path":"cost","kind":"changed","primary":14,"shadow":29,"severity":"critical"}]'
            : '[]',
          [ATTR_PRIMARY_DURATION_MS]: 40 + (run % 20),
          [ATTR_SHADOW_DURATION_MS]: 50 + (run % 20),
          [ATTR_SERVED]: 'primary',
        },
      })
      shadow.end()
    }
    requests.push(ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans()) as Uint8Array)
  }
  return requests
}

function startCollector(
  dataDir: string,
  extraArgs: string[] = [],
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      ...NODE_ARGS,
      resolve(here, '../bin/twinspan.js'),
      'serve',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      ...(CONFIG ? ['--config', CONFIG] : []),
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  return new Promise((resolveStart, reject) => {
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      if (NODE_ARGS.length > 0) process.stderr.write(chunk) // e.g. --trace-gc output
      output += chunk.toString()
      const match = /listening on (http:\/\/\S+)/.exec(output)
      if (match?.[1]) resolveStart({ url: match[1], child })
    })
    child.once('exit', (code) => reject(new Error(`collector exited with ${code}: ${output}`)))
  })
}

const rssOf = (pid: number) =>
  Number(
    execFileSync('ps', ['-o', 'rss=', '-p', String(pid)])
      .toString()
      .trim(),
  ) * 1024
/** CPU seconds (user + system, every thread: the engine runs inside the collector) a process has used. */
function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
    return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return Number.NaN // no /proc (not Linux)
  }
}
const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0

/**
 * The official OTLP/HTTP exporter's transport: `http.request` over a keep-alive agent
 * (@opentelemetry/otlp-exporter-base). It costs the load generator, which shares the two cores with
 * the collector, about a tenth of what `fetch` does per request.
 */
const agent = new Agent({ keepAlive: true, maxSockets: 1024 })
function post(url: string, body: Uint8Array): Promise<number> {
  return new Promise((resolvePost, reject) => {
    const request = httpRequest(
      `${url}/v1/traces`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length },
      },
      (response) => {
        response.on('data', () => {})
        response.on('end', () => resolvePost(response.statusCode ?? 0))
        response.on('error', reject)
      },
    )
    request.on('error', reject)
    request.end(body)
  })
}

async function endToEnd(requests: Uint8Array[]) {
  const dataDir = mkdtempSync(join(tmpdir(), 'twinspan-bench-'))
  const { url, child } = await startCollector(dataDir)
  try {
    for (const body of requests.slice(0, 4)) await post(url, body) // warm up: schema, JIT
    const latencies: number[] = []
    const statuses = new Map<number, number>()
    let next = 4
    let peakRss = 0
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, rssOf(child.pid as number))
    }, 250)
    const started = performance.now()
    const clientCpu = process.cpuUsage()
    const collectorCpu = cpuSecondsOf(child.pid as number)
    await Promise.all(
      Array.from({ length: CLIENTS * CONCURRENCY }, async () => {
        for (let i = next++; i < requests.length; i = next++) {
          const t0 = performance.now()
          const status = await post(url, requests[i] as Uint8Array)
          latencies.push(performance.now() - t0)
          statuses.set(status, (statuses.get(status) ?? 0) + 1)
        }
      }),
    )
    const { user, system } = process.cpuUsage(clientCpu)
    const answeredSeconds = (performance.now() - started) / 1000
    // A 200 means the spans are fsynced in the spool; they count as stored once ClickHouse has them.
    const acknowledged = (statuses.get(200) ?? 0) * SPANS_PER_REQUEST
    const warmUp = 4 * SPANS_PER_REQUEST
    let metrics = ''
    let stored = 0
    while (stored < acknowledged + warmUp) {
      metrics = await (await fetch(`${url}/metrics`)).text()
      stored = Number(/^twinspan_batch_rows_total\{outcome="inserted"\} (\S+)$/m.exec(metrics)?.[1] ?? 0)
      if (stored < acknowledged + warmUp) await new Promise((r) => setTimeout(r, 20))
    }
    const seconds = (performance.now() - started) / 1000
    const collectorCpuSeconds = cpuSecondsOf(child.pid as number) - collectorCpu
    clearInterval(sampler)
    const batches = Number(/^twinspan_batches_total\{outcome="inserted"\} (\S+)$/m.exec(metrics)?.[1] ?? 0)
    latencies.sort((a, b) => a - b)
    return {
      spansPerSecond: acknowledged / seconds,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      statuses,
      peakRss,
      seconds,
      answeredSeconds,
      clientCpuPerSpan: (user + system) / (requests.length * SPANS_PER_REQUEST),
      collectorCpuPerSpan: (collectorCpuSeconds * 1e6) / acknowledged,
      rowsPerBatch: batches > 0 ? (requests.length * SPANS_PER_REQUEST) / batches : 0,
    }
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/**
 * Two ceilings, same run, same rows, same engine, in batches of `batchRows` with the collector's
 * insert settings: what ClickHouse takes with no receiver in front of it.
 * - client: the rows as value arrays, inserted through @clickhouse/client (JSONCompactEachRow), as
 *   an application would insert them;
 * - files: the collector's own RowBinary rows, read by the engine from files (`FROM INFILE`), as
 *   the collector inserts its spool.
 */
async function rawCeilings(requests: Uint8Array[], batchRows: number) {
  const options = { keepAllSpans: false, runs: false }
  const bodies = requests.map(
    (request) => prepareBody(Buffer.from(request), 'protobuf', options).body as Buffer,
  )
  const dataDir = mkdtempSync(join(tmpdir(), 'twinspan-raw-'))
  const store = openStore({ dataDir, database: 'twinspan' })
  const table = 'twinspan.otel_traces'
  try {
    await migrate(store, { retentionDays: 30 })
    // The rows as values: the RowBinary rows through a scratch table, read back as JSON arrays.
    await store.client.command({ query: `CREATE TABLE twinspan.scratch AS ${table} ENGINE = Memory` })
    await store.insertLines('twinspan.scratch', Buffer.concat(bodies), {
      format: 'RowBinary',
      columns: OTEL_TRACE_COLUMNS,
    })
    const columns = OTEL_TRACE_COLUMNS.map((c) => `\`${c}\``).join(', ')
    const rows = await (
      await store.client.query({
        query: `SELECT ${columns} FROM twinspan.scratch`,
        format: 'JSONCompactEachRow',
      })
    ).json<unknown[]>()
    await store.client.command({ query: 'DROP TABLE twinspan.scratch' })
    const insert = (values: unknown[][], token: string) =>
      store.client.insert({
        table,
        columns: [...OTEL_TRACE_COLUMNS],
        values,
        format: 'JSONCompactEachRow',
        clickhouse_settings: insertSettings(token),
      })
    await insert(rows.slice(0, 2048), 'warm-up')
    let started = performance.now()
    for (let i = 2048; i < rows.length; i += batchRows)
      await insert(rows.slice(i, i + batchRows), `batch-${i}`)
    const client = (rows.length - 2048) / ((performance.now() - started) / 1000)

    // The RowBinary rows as files of `batchRows`, inserted as the collector inserts its spool.
    const perFile = Math.max(1, Math.round(batchRows / SPANS_PER_REQUEST))
    const files: string[] = []
    for (let i = 0; i < bodies.length; i += perFile) {
      const file = join(dataDir, `batch-${i}.rowbinary`)
      writeFileSync(file, Buffer.concat(bodies.slice(i, i + perFile)))
      files.push(file)
    }
    const insertFiles = store.insertFiles?.bind(store) as NonNullable<typeof store.insertFiles>
    const fileOptions = (token: string) => ({
      token,
      format: 'RowBinary' as const,
      columns: OTEL_TRACE_COLUMNS,
    })
    await insertFiles(table, files.slice(0, 1), fileOptions('warm-up-files'))
    started = performance.now()
    for (let i = 1; i < files.length; i++)
      await insertFiles(table, [files[i] as string], fileOptions(`files-${i}`))
    const fromFiles = ((bodies.length - perFile) * SPANS_PER_REQUEST) / ((performance.now() - started) / 1000)
    return { client, fromFiles }
  } finally {
    await store.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** Offer about twice `capacity` spans/s for `seconds`, open loop; count answers and sample RSS. */
async function overload(requests: Uint8Array[], capacity: number, seconds: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'twinspan-overload-'))
  const { url, child } = await startCollector(dataDir)
  const statuses = new Map<string, number>()
  let peakRss = 0
  try {
    const perSecond = (2 * capacity) / SPANS_PER_REQUEST
    const inFlight = new Set<Promise<void>>()
    const started = performance.now()
    let sent = 0
    while (performance.now() - started < seconds * 1000) {
      const due = Math.floor(((performance.now() - started) / 1000) * perSecond)
      while (sent < due && inFlight.size < 512) {
        const body = requests[sent++ % requests.length] as Uint8Array
        const p: Promise<void> = post(url, body).then(
          (status) => void statuses.set(String(status), (statuses.get(String(status)) ?? 0) + 1),
          (error: NodeJS.ErrnoException) => {
            const key = `error ${error.code ?? error.message}`
            statuses.set(key, (statuses.get(key) ?? 0) + 1)
          },
        )
        inFlight.add(p)
        void p.finally(() => inFlight.delete(p))
      }
      peakRss = Math.max(peakRss, rssOf(child.pid as number))
      await new Promise((r) => setTimeout(r, 20))
    }
    await Promise.all(inFlight)
    peakRss = Math.max(peakRss, rssOf(child.pid as number))
    return { statuses, peakRss, offered: (sent * SPANS_PER_REQUEST) / seconds }
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`
const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

const encodeStarted = performance.now()
const requests = encodeRequests(REQUESTS)
console.log(
  `encoded ${REQUESTS} requests × ${SPANS_PER_REQUEST} spans (${mib(requests.reduce((n, r) => n + r.length, 0))}) in ${((performance.now() - encodeStarted) / 1000).toFixed(1)} s; ${CLIENTS} clients × ${CONCURRENCY} requests in flight`,
)
const e2e = await endToEnd(requests)
if (E2E_ONLY) {
  console.log(
    `${fmt(e2e.spansPerSecond)} stored spans/s (last answer ${e2e.answeredSeconds.toFixed(1)} s, all stored ${e2e.seconds.toFixed(1)} s); p50/p99 ${e2e.p50.toFixed(0)}/${e2e.p99.toFixed(0)} ms; peak RSS ${mib(e2e.peakRss)}; CPU per span: collector ${e2e.collectorCpuPerSpan.toFixed(1)} µs, load generator ${e2e.clientCpuPerSpan.toFixed(1)} µs`,
  )
  process.exit(0)
}
const ceilings = await rawCeilings(requests, Math.max(2048, Math.round(e2e.rowsPerBatch)))
const ceiling = ceilings.client
const pressure = await overload(requests, e2e.spansPerSecond, 10)

const ratio = e2e.spansPerSecond / ceiling
const refused = (pressure.statuses.get('429') ?? 0) + (pressure.statuses.get('503') ?? 0)
console.table([
  {
    figure: 'end-to-end stored spans/s',
    value: fmt(e2e.spansPerSecond),
    baseline: `target ${fmt(TARGET_SPANS_PER_S)}`,
    ratio: (e2e.spansPerSecond / TARGET_SPANS_PER_S).toFixed(2),
    ok: e2e.spansPerSecond >= TARGET_SPANS_PER_S,
  },
  {
    figure: 'vs raw ceiling (client.insert, same rows)',
    value: fmt(e2e.spansPerSecond),
    baseline: fmt(ceiling),
    ratio: ratio.toFixed(2),
    ok: ratio >= TARGET_RATIO,
  },
  {
    figure: 'vs engine ceiling (RowBinary files, same rows)',
    value: fmt(e2e.spansPerSecond),
    baseline: fmt(ceilings.fromFiles),
    ratio: (e2e.spansPerSecond / ceilings.fromFiles).toFixed(2),
    ok: true,
  },
  {
    figure: 'response latency p50 / p99 (ms)',
    value: `${e2e.p50.toFixed(0)} / ${e2e.p99.toFixed(0)}`,
    baseline: '-',
    ratio: '-',
    ok: true,
  },
  {
    figure: 'peak RSS, end to end',
    value: mib(e2e.peakRss),
    baseline: mib(RSS_LIMIT_BYTES),
    ratio: (e2e.peakRss / RSS_LIMIT_BYTES).toFixed(2),
    ok: e2e.peakRss < RSS_LIMIT_BYTES,
  },
  {
    figure: 'overload: offered spans/s',
    value: fmt(pressure.offered),
    baseline: fmt(e2e.spansPerSecond),
    ratio: (pressure.offered / e2e.spansPerSecond).toFixed(2),
    ok: true,
  },
  {
    figure: 'overload: peak RSS',
    value: mib(pressure.peakRss),
    baseline: mib(RSS_LIMIT_BYTES),
    ratio: (pressure.peakRss / RSS_LIMIT_BYTES).toFixed(2),
    ok: pressure.peakRss < RSS_LIMIT_BYTES,
  },
  {
    figure: 'overload: answers',
    value: JSON.stringify(Object.fromEntries(pressure.statuses)),
    baseline: '429/503 expected',
    ratio: '-',
    ok: refused > 0,
  },
])
console.log(
  `end-to-end statuses: ${JSON.stringify(Object.fromEntries(e2e.statuses))}; last answer after ${e2e.answeredSeconds.toFixed(1)} s, everything stored after ${e2e.seconds.toFixed(1)} s; ${fmt(e2e.rowsPerBatch)} rows per insert; CPU per span: collector with its engine ${e2e.collectorCpuPerSpan.toFixed(1)} µs, load generator ${e2e.clientCpuPerSpan.toFixed(1)} µs (2 cores give 2,000,000 µs/s)`,
)
