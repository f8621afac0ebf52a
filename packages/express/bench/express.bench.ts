/**
 * What `parallelRun()` costs the clients of the legacy app: the same orders service with the
 * middleware (sampleRate 1, every request mirrored to a candidate on loopback, spans through a
 * real OTel SDK) and without it, in one run.
 *
 * - Latency at a given load: p50/p99 with requests arriving on a fixed schedule (`RATE` req/s,
 *   open loop; see paced.ts for why not autocannon's `overallRate`).
 * - Throughput: autocannon at saturation (`CONNECTIONS`, no rate limit), median req/s; its
 *   latencies there are printed too (at saturation they mirror throughput: queueing).
 *
 * Scenarios (`SCENARIOS`, `wait:cpu:sampleRate` triples): the handler waits `wait` ms (a database
 * query) and spends `cpu` µs of CPU (mapping rows, validation) before rendering a 1.5 KB order as
 * JSON; the middleware mirrors `sampleRate` of the requests (1 unless given).
 *
 * Fairness on 2 shared cores: the legacy apps, the candidate and the load generators are separate
 * processes. With `taskset`, both legacy apps are pinned to CPU 0, the harness (load generators)
 * and the candidate to CPU 1, so the load generator never steals from the app it measures. The
 * candidate stands in for a service on other machines: it answers with canned bytes (no HTTP
 * parsing), so its own CPU is negligible and cannot slow the load generator's clock. The two apps
 * run alternately (the order flips each round); ratios are paired within a round; the table gives
 * the median over rounds and the spread. Other agents share the machine: single rounds swing.
 *
 * Run: `pnpm bench` in packages/express (after `pnpm build` at the root). Environment: ROUNDS,
 * DURATION (s per phase), RATE, CONNECTIONS, SCENARIOS.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { pacedLoad } from './paced.js'

const ROUNDS = Number(process.env.ROUNDS ?? 4)
const DURATION = Number(process.env.DURATION ?? 4)
const RATE = Number(process.env.RATE ?? 1000)
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32)
const SCENARIOS = (process.env.SCENARIOS ?? '2:0:1,0:0:1,2:250:1,2:0:0.1').split(',').map((triple) => {
  const [wait, cpu, rate] = triple.split(':').map(Number)
  return { waitMs: wait ?? 0, workUs: cpu ?? 0, sampleRate: rate ?? 1 }
})
const PATH = '/orders/4711'

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))
const pinning = hasTaskset()

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** Pin every thread of `pid` to `cpu` (no-op without taskset). */
function pin(pid: number | undefined, cpu: number): void {
  if (!pinning || pid === undefined) return
  execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' })
}

/** Start a bench service as a child process pinned to `cpu`; resolves with it and its port. */
async function start(file: string, env: Record<string, string>, cpu: number) {
  const child = fork(here(file), [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env } })
  const [message] = (await once(child, 'message')) as [{ port: number }]
  pin(child.pid, cpu)
  return { child, port: message.port }
}

interface Latency {
  p50: number
  p99: number
  count: number
}
interface Saturation {
  rps: number
  p50: number
  p99: number
  errors: number
  requests: number
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN

async function latency(port: number): Promise<Latency> {
  const times = await pacedLoad(port, PATH, RATE, DURATION)
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), count: times.length }
}

async function saturate(port: number, seconds = DURATION): Promise<Saturation> {
  const times: number[] = []
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      { url: `http://127.0.0.1:${port}${PATH}`, connections: CONNECTIONS, duration: seconds },
      (error, finished) => (error ? reject(error) : resolve(finished)),
    )
    instance.on('response', (_client, status, _bytes, time) => {
      if (status === 200) times.push(time)
    })
  })
  times.sort((a, b) => a - b)
  return {
    rps: result.requests.total / seconds,
    p50: quantile(times, 0.5),
    p99: quantile(times, 0.99),
    errors: result.errors + result.non2xx,
    requests: result.requests.total,
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}
const spread = (values: number[]) => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`

async function stats(child: ChildProcess): Promise<{ outcomes: number; matches: number; inFlight: number }> {
  child.send('stats')
  const [message] = await once(child, 'message')
  return message as { outcomes: number; matches: number; inFlight: number }
}

type Side = 'plain' | 'mirrored'
interface Round {
  latency: Record<Side, Latency>
  saturation: Record<Side, Saturation>
}

async function scenario({
  waitMs,
  workUs,
  sampleRate,
}: {
  waitMs: number
  workUs: number
  sampleRate: number
}) {
  const candidate = await start('./candidate.ts', {}, 1)
  const env = { WAIT_MS: String(waitMs), WORK_US: String(workUs), SAMPLE_RATE: String(sampleRate) }
  const apps = {
    plain: await start('./legacy.ts', { ...env, MIRROR: '0' }, 0),
    mirrored: await start(
      './legacy.ts',
      { ...env, MIRROR: '1', CANDIDATE: `http://127.0.0.1:${candidate.port}` },
      0,
    ),
  }
  try {
    for (const app of Object.values(apps)) await saturate(app.port, 2) // warm up: JIT, sockets
    const rounds: Round[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const order: Side[] = round % 2 === 0 ? ['plain', 'mirrored'] : ['mirrored', 'plain']
      const result = { latency: {}, saturation: {} } as Round
      for (const side of order) result.latency[side] = await latency(apps[side].port)
      for (const side of order) result.saturation[side] = await saturate(apps[side].port)
      rounds.push(result)
      process.stderr.write(
        `  wait ${waitMs} ms, cpu ${workUs} µs, sampleRate ${sampleRate}, round ${round + 1}/${ROUNDS}: ` +
          `p50 ${result.latency.plain.p50.toFixed(2)} / ${result.latency.mirrored.p50.toFixed(2)} ms, ` +
          `${result.saturation.plain.rps.toFixed(0)} / ${result.saturation.mirrored.rps.toFixed(0)} req/s\n`,
      )
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
    const recorded = await stats(apps.mirrored.child)
    const of = <T>(pick: (r: Round) => T) => rounds.map(pick)
    const ratio = (pick: (r: Round, side: Side) => number) =>
      of((r) => pick(r, 'mirrored') / pick(r, 'plain'))
    const figure = (pick: (r: Round, side: Side) => number) => ({
      plain: median(of((r) => pick(r, 'plain'))),
      mirrored: median(of((r) => pick(r, 'mirrored'))),
      ratios: ratio(pick),
    })
    return {
      name: `waits ${waitMs} ms, ${workUs} µs CPU${sampleRate === 1 ? '' : `, sampleRate ${sampleRate}`}`,
      sampleRate,
      p50: figure((r, s) => r.latency[s].p50),
      p99: figure((r, s) => r.latency[s].p99),
      rps: figure((r, s) => r.saturation[s].rps),
      saturatedP50: figure((r, s) => r.saturation[s].p50),
      sent: rounds.reduce((sum, r) => sum + r.saturation.mirrored.requests + r.latency.mirrored.count, 0),
      errors: rounds.reduce((sum, r) => sum + r.saturation.plain.errors + r.saturation.mirrored.errors, 0),
      recorded,
    }
  } finally {
    for (const child of [apps.plain.child, apps.mirrored.child, candidate.child]) child.kill()
  }
}

pin(process.pid, 1)
console.log(
  `@twinspan/express benchmark — ${ROUNDS} rounds × ${DURATION} s per phase; latency: paced ${RATE} req/s; ` +
    `throughput: autocannon, ${CONNECTIONS} connections; pinning: ${
      pinning ? 'legacy apps on CPU 0, load generators and candidate on CPU 1' : 'none (no taskset)'
    }; Node ${process.version}`,
)
const results = []
for (const s of SCENARIOS) results.push(await scenario(s))

const row = (cells: string[]) => `| ${cells.join(' | ')} |`
const ms = (value: number) => `${value.toFixed(2)} ms`
console.log()
console.log(row(['handler', 'figure', 'without', 'with parallelRun', 'ratio (spread)', 'target', 'result']))
console.log(row(['---', '---', '---:', '---:', '---', '---', '---']))
for (const r of results) {
  const name = r.name
  const judged = r.sampleRate === 1 // the targets are set for sampleRate 1
  const line = (
    figure: string,
    f: { plain: number; mirrored: number; ratios: number[] },
    unit: (v: number) => string,
    target: string,
    ok: ((ratio: number) => boolean) | undefined,
  ) => {
    const ratio = median(f.ratios)
    console.log(
      row([
        name,
        figure,
        unit(f.plain),
        unit(f.mirrored),
        `${ratio.toFixed(2)}× (${spread(f.ratios)})`,
        target,
        ok === undefined ? 'informative' : ok(ratio) ? 'pass' : 'FAIL',
      ]),
    )
  }
  line(
    `p50 latency at ${RATE} req/s`,
    r.p50,
    ms,
    judged ? '≤ 1.10' : '—',
    judged ? (x) => x <= 1.1 : undefined,
  )
  line(`p99 latency at ${RATE} req/s`, r.p99, ms, '—', undefined)
  line(
    'throughput at saturation',
    r.rps,
    (v) => `${v.toFixed(0)} req/s`,
    '≥ 0.80',
    (x) => x >= 0.8,
  )
  line('p50 latency at saturation', r.saturatedP50, ms, '—', undefined)
}
console.log()
for (const r of results) {
  const cost = ((1 / r.rps.mirrored - 1 / r.rps.plain) * 1e6) / r.sampleRate
  console.log(
    `${r.name}: mirroring costs ~${cost.toFixed(0)} µs of the app's CPU per mirrored request ` +
      `(from the median throughputs); ${r.sent} requests to the mirrored app, ${r.recorded.outcomes} runs recorded ` +
      `(${r.recorded.matches} match), ${r.recorded.inFlight} in flight at the end; ${r.errors} client errors or non-2xx`,
  )
}
