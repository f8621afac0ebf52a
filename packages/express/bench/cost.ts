/**
 * What one mirrored request costs the legacy app in CPU, directly: the app process reports its own
 * CPU time (`process.cpuUsage()`, all threads) before and after a paced load, without and with
 * `parallelRun()` (sampleRate 1), and the difference per request is the mirror's cost. Below
 * saturation, so both apps do the same work per request and nothing queues.
 *
 * Pinning as in express.bench.ts: apps on CPU 0, candidate and load generator on CPU 1.
 * `PROFILE=dir` writes a `--cpu-prof` profile of the mirrored app into `dir`.
 *
 * Run: `pnpm bench:cost` in packages/express (after `pnpm build` at the root). Environment:
 * ROUNDS (default 8), DURATION (s, default 2), RATE (req/s, default 2000), WAIT_MS, WORK_US.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { pacedLoad } from './paced.js'

const ROUNDS = Number(process.env.ROUNDS ?? 8)
const DURATION = Number(process.env.DURATION ?? 2)
const RATE = Number(process.env.RATE ?? 2000)
const PROFILE = process.env.PROFILE
const PATH = '/orders/4711'
const here = (file: string) => fileURLToPath(new URL(file, import.meta.url))

function pin(pid: number | undefined, cpu: number): void {
  if (pid === undefined) return
  try {
    execFileSync('taskset', ['-a', '-cp', String(cpu), String(pid)], { stdio: 'ignore' })
  } catch {
    // no taskset: unpinned
  }
}

async function start(file: string, env: Record<string, string>, cpu: number, execArgv: string[] = []) {
  const child = fork(here(file), [], {
    execArgv: ['--import', 'tsx', ...execArgv],
    env: { ...process.env, ...env },
  })
  const [message] = (await once(child, 'message')) as [{ port: number }]
  pin(child.pid, cpu)
  return { child, port: message.port }
}

async function cpuOf(child: ChildProcess): Promise<number> {
  child.send('cpu')
  for (;;) {
    const [message] = (await once(child, 'message')) as [{ cpuUs?: number }]
    if (typeof message.cpuUs === 'number') return message.cpuUs
  }
}

/** CPU µs the app spent per request served under a paced load. */
async function costPerRequest(app: { child: ChildProcess; port: number }): Promise<number> {
  const before = await cpuOf(app.child)
  const times = await pacedLoad(app.port, PATH, RATE, DURATION)
  await new Promise((resolve) => setTimeout(resolve, 200)) // mirrors still in flight finish
  const after = await cpuOf(app.child)
  return (after - before) / times.length
}

pin(process.pid, 1)
const candidate = await start('./candidate.ts', {}, 1)
const env = { WAIT_MS: process.env.WAIT_MS ?? '0', WORK_US: process.env.WORK_US ?? '0', SAMPLE_RATE: '1' }
const plain = await start('./legacy.ts', { ...env, MIRROR: '0' }, 0)
const mirrored = await start(
  './legacy.ts',
  { ...env, MIRROR: '1', CANDIDATE: `http://127.0.0.1:${candidate.port}` },
  0,
  PROFILE === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', PROFILE],
)
try {
  for (const app of [plain, mirrored]) await pacedLoad(app.port, PATH, RATE, 2) // warm up
  const costs: { plain: number; mirrored: number }[] = []
  for (let round = 0; round < ROUNDS; round++) {
    // alternate which app goes first: a neighbour's load drifts, pairs stay close in time
    const first = round % 2 === 0 ? plain : mirrored
    const firstCost = await costPerRequest(first)
    const secondCost = await costPerRequest(first === plain ? mirrored : plain)
    costs.push(
      first === plain
        ? { plain: firstCost, mirrored: secondCost }
        : { plain: secondCost, mirrored: firstCost },
    )
    const last = costs[costs.length - 1] as { plain: number; mirrored: number }
    console.log(
      `round ${round + 1}: ${last.plain.toFixed(1)} µs/request without, ${last.mirrored.toFixed(1)} µs with; ` +
        `mirroring ${(last.mirrored - last.plain).toFixed(1)} µs`,
    )
  }
  const deltas = costs.map((c) => c.mirrored - c.plain).sort((a, b) => a - b)
  const plainCosts = costs.map((c) => c.plain).sort((a, b) => a - b)
  console.log(
    `median: the app costs ${plainCosts[plainCosts.length >> 1]?.toFixed(1)} µs per request; mirroring adds ` +
      `${deltas[deltas.length >> 1]?.toFixed(1)} µs (quartiles ${deltas[deltas.length >> 2]?.toFixed(1)}–` +
      `${deltas[(3 * deltas.length) >> 2]?.toFixed(1)}) ` +
      `(paced ${RATE} req/s, ${DURATION} s × ${ROUNDS} rounds)`,
  )
} finally {
  mirrored.child.kill('SIGINT')
  plain.child.kill('SIGINT')
  candidate.child.kill()
}
