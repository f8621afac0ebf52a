/**
 * Caller-path latency of `run()` in background mode with a real OTel SDK registered
 * (BatchSpanProcessor, an exporter that discards), against (a) the same primary wrapped in one
 * plain span and (b) tzientist running the same primary with a 2 ms shadow. Then heap growth over
 * 100k runs against a shadow that never settles.
 *
 * Why not tinybench: its loop never yields to the event loop between iterations, so background
 * shadows would never start and every run past `maxInFlight` would measure the skip path. This
 * harness times each call on its own and yields one event-loop turn after it, the same for every
 * contender. Rounds interleave the contenders so machine noise (2 shared cores) hits all of them;
 * ratios are paired within a round, and the table gives the median round with the spread.
 *
 * Run: `pnpm bench` in packages/sdk (after `pnpm build` at the root).
 */
import v8 from 'node:v8'
import vm from 'node:vm'
import { context, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { experiment } from '@twinspan/sdk'
import * as tzientist from 'tzientist'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 2000)
const SLOW_SAMPLES = Math.max(100, Math.round(SAMPLES / 4)) // contenders that take 2 ms per sample
const WARMUP = 300
const PRIMARY_WORK_MS = 0.05
const SHADOW_MS = 2

// A real SDK: the work of building, ending and batching spans is part of what is measured.
const discard: SpanExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
}
const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(discard)] })
trace.setGlobalTracerProvider(provider)
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
const tracer = trace.getTracer('bench')

interface Shipment {
  customerId: string
  weight: number
}
interface Quote {
  cost: number
  carrier: string
}

function busy(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until) {
    // CPU work standing in for the legacy calculation
  }
}
/** The primary: ~50 µs of CPU. */
function legacy(s: Shipment): Quote {
  busy(PRIMARY_WORK_MS)
  return { cost: s.weight * 2, carrier: 'dhl' }
}
/** The shadow: 2 ms of waiting (a remote call, say). */
async function modern(s: Shipment): Promise<Quote> {
  await new Promise((resolve) => setTimeout(resolve, SHADOW_MS))
  return { cost: s.weight * 2, carrier: 'dhl' }
}
/** A shadow that burns 2 ms of CPU synchronously. */
function modernCpu(s: Shipment): Quote {
  busy(SHADOW_MS)
  return { cost: s.weight * 2, carrier: 'dhl' }
}

let shadowCalls = 0
const counted =
  <A extends unknown[], R>(fn: (...args: A) => R) =>
  (...args: A): R => {
    shadowCalls++
    return fn(...args)
  }

const bare = async (s: Shipment): Promise<Quote> =>
  tracer.startActiveSpan('bare', (span) => {
    try {
      return legacy(s)
    } finally {
      span.end()
    }
  })
const twinspan = experiment({ name: 'bench', primary: legacy, shadow: counted(modern), maxInFlight: 1024 })
const twinspanCpu = experiment({
  name: 'bench-cpu',
  primary: legacy,
  shadow: counted(modernCpu),
  maxInFlight: 1024,
})
const tz = tzientist.experimentAsync<[Shipment], Quote>({
  name: 'bench',
  control: async (s) => legacy(s),
  candidate: modern,
  options: { publish: () => {} },
})

const contenders = {
  bare: { run: bare, samples: SAMPLES },
  twinspan: { run: (s: Shipment) => twinspan.run(s), samples: SAMPLES },
  twinspanCpuShadow: { run: (s: Shipment) => twinspanCpu.run(s), samples: SLOW_SAMPLES },
  tzientist: { run: tz, samples: SLOW_SAMPLES },
} as const
type Name = keyof typeof contenders

const turn = () => new Promise((resolve) => setImmediate(resolve))

async function measure(run: (s: Shipment) => Promise<Quote>, samples: number): Promise<Float64Array> {
  const times = new Float64Array(samples)
  const shipment = { customerId: 'c-1', weight: 3 }
  for (let i = 0; i < WARMUP + samples; i++) {
    const start = performance.now()
    await run(shipment)
    const elapsed = performance.now() - start
    if (i >= WARMUP) times[i - WARMUP] = elapsed
    await turn()
  }
  return times.sort()
}

const quantile = (sorted: Float64Array, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN
const µs = (ms: number) => `${(ms * 1000).toFixed(1)} µs`

async function latency() {
  const p50: Record<Name, number[]> = { bare: [], twinspan: [], twinspanCpuShadow: [], tzientist: [] }
  const p99: Record<Name, number[]> = { bare: [], twinspan: [], twinspanCpuShadow: [], tzientist: [] }
  const ratio50: number[] = []
  const ratio99: number[] = []
  const names = Object.keys(contenders) as Name[]
  for (let round = 0; round < ROUNDS; round++) {
    const order = names.map((_, i) => names[(i + round) % names.length] as Name)
    for (const name of order) {
      const sorted = await measure(contenders[name].run, contenders[name].samples)
      p50[name].push(quantile(sorted, 0.5))
      p99[name].push(quantile(sorted, 0.99))
    }
    ratio50.push((p50.twinspan.at(-1) as number) / (p50.bare.at(-1) as number))
    ratio99.push((p99.twinspan.at(-1) as number) / (p99.bare.at(-1) as number))
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`)
  }
  await Promise.all([twinspan.flush(), twinspanCpu.flush()])
  return { p50, p99, ratio50, ratio99 }
}

/** `gc()` even without --expose-gc. */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (exposed) return exposed
  v8.setFlagsFromString('--expose-gc')
  return vm.runInNewContext('gc') as () => void
}

async function heapGrowth(): Promise<{ mb: number; inFlight: number; runs: number }> {
  const gc = collector()
  const hanging = experiment({
    name: 'bench-hanging',
    primary: legacyLight,
    shadow: () => new Promise<Quote>(() => {}),
    timeoutMs: 1,
    maxInFlight: 2000,
  })
  let runs = 0
  const batch = async () => {
    const pending: Promise<Quote>[] = []
    for (let i = 0; i < 1000; i++) pending.push(hanging.run({ customerId: `c-${i}`, weight: i }))
    await Promise.all(pending)
    runs += 1000
    await hanging.flush()
  }
  for (let i = 0; i < 10; i++) await batch()
  gc()
  const before = process.memoryUsage().heapUsed
  runs = 0
  for (let i = 0; i < 100; i++) await batch()
  gc()
  return { mb: (process.memoryUsage().heapUsed - before) / 2 ** 20, inFlight: hanging.inFlight, runs }
}
/** The primary without the busy work: the memory run measures the SDK, not the CPU. */
function legacyLight(s: Shipment): Quote {
  return { cost: s.weight * 2, carrier: 'dhl' }
}

function row(cells: string[]): string {
  const widths = [40, 12, 22, 8, 18, 6]
  return cells.map((cell, i) => cell.padEnd(widths[i] ?? 10)).join(' ')
}
const spread = (values: number[], format: (v: number) => string) =>
  `${format(Math.min(...values))} – ${format(Math.max(...values))}`

const { p50, p99, ratio50, ratio99 } = await latency()
const memory = await heapGrowth()
const x = (v: number) => `${v.toFixed(2)}×`
const m = (name: Name, q: Record<Name, number[]>) => median(q[name])
const sampled = shadowCalls

console.log()
console.log(
  `twinspan bench: ${ROUNDS} rounds × ${SAMPLES} samples (${SLOW_SAMPLES} for 2 ms contenders), primary ≈ ${PRIMARY_WORK_MS * 1000} µs CPU, shadow ${SHADOW_MS} ms`,
)
console.log(
  `Node ${process.version}, ${process.platform}/${process.arch}; medians of per-round figures, spread = min – max over rounds`,
)
console.log()
console.log(row(['figure', 'value', 'baseline', 'ratio', 'target', 'result']))
const rows: [string, string, string, string, string, boolean][] = [
  [
    'run() p50 vs (a) bare span p50',
    µs(m('twinspan', p50)),
    `${µs(m('bare', p50))} (a)`,
    x(median(ratio50)),
    'ratio ≤ 1.20',
    median(ratio50) <= 1.2,
  ],
  [
    'run() p99 vs (a) bare span p99',
    µs(m('twinspan', p99)),
    `${µs(m('bare', p99))} (a)`,
    x(median(ratio99)),
    'informative',
    true,
  ],
  [
    'run() p50 vs (b) tzientist p50',
    µs(m('twinspan', p50)),
    `${µs(m('tzientist', p50))} (b)`,
    x(m('twinspan', p50) / m('tzientist', p50)),
    'shadow not waited',
    m('twinspan', p50) < SHADOW_MS,
  ],
  [
    'run() p99 vs (b) tzientist p99',
    µs(m('twinspan', p99)),
    `${µs(m('tzientist', p99))} (b)`,
    x(m('twinspan', p99) / m('tzientist', p99)),
    `p99 < ${SHADOW_MS} ms`,
    m('twinspan', p99) < SHADOW_MS,
  ],
  [
    'run() p99, 2 ms CPU-bound shadow',
    µs(m('twinspanCpuShadow', p99)),
    `${µs(m('bare', p99))} (a)`,
    x(m('twinspanCpuShadow', p99) / m('bare', p99)),
    `p99 < ${SHADOW_MS} ms`,
    m('twinspanCpuShadow', p99) < SHADOW_MS,
  ],
  [
    'heap growth, 100k runs, hanging shadow',
    `${memory.mb.toFixed(2)} MB`,
    `in flight after: ${memory.inFlight}`,
    '—',
    '< 50 MB',
    memory.mb < 50 && memory.inFlight === 0,
  ],
]
for (const [figure, value, baseline, ratio, target, pass] of rows)
  console.log(row([figure, value, baseline, ratio, target, pass ? 'pass' : 'FAIL']))
console.log()
console.log('spread over rounds:')
console.log(`  p50 ratio to (a): ${spread(ratio50, x)}; p99 ratio to (a): ${spread(ratio99, x)}`)
for (const name of Object.keys(contenders) as Name[])
  console.log(`  ${name.padEnd(18)} p50 ${spread(p50[name], µs)}   p99 ${spread(p99[name], µs)}`)
console.log(
  `  shadows that ran: ${sampled} of ${ROUNDS * (WARMUP * 2 + SAMPLES + SLOW_SAMPLES)} runs (none skipped)`,
)
await provider.shutdown()
if (rows.some((r) => !r[5])) process.exitCode = 1
