import { parseArgs } from 'node:util'
import {
  type CollectorConfig,
  ConfigError,
  DEFAULT_PORT,
  defaultConfig,
  loadConfigFile,
} from '../config/config.js'
import { startCollector } from '../server.js'
import { fetchJson, formatTable } from './http.js'

const USAGE = `twinspan — parallel-run evidence collector

Usage:
  twinspan serve [--config twinspan.yaml] [--port 4318] [--host 127.0.0.1] [--data-dir .twinspan]
                 [--clickhouse-url URL]
  twinspan experiments [--url http://127.0.0.1:4318] [--token T] [--json]

Environment: TWINSPAN_URL and TWINSPAN_TOKEN are the defaults of --url and --token.
`

/** Run the CLI; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'serve':
      return serve(rest)
    case 'experiments':
      return experiments(rest)
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE)
      return command === undefined ? 2 : 0
    default:
      process.stderr.write(`twinspan: unknown command "${command}"\n\n${USAGE}`)
      return 2
  }
}

async function serve(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'clickhouse-url': { type: 'string' },
    },
    strict: true,
  })
  let config: CollectorConfig
  try {
    config = values.config ? loadConfigFile(values.config) : defaultConfig()
    if (values.port !== undefined) {
      const port = Number(values.port)
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new ConfigError(`--port must be 0..65535, got ${values.port}`)
      config.server.port = port
    }
    if (values.host !== undefined) config.server.host = values.host
    if (values['data-dir'] !== undefined) config.storage.dataDir = values['data-dir']
    if (values['clickhouse-url'] !== undefined) config.storage.clickhouse.url = values['clickhouse-url']
  } catch (error) {
    process.stderr.write(`twinspan: ${(error as Error).message}\n`)
    return 2
  }
  const collector = await startCollector(config)
  const where = collector.store.embedded
    ? `embedded ClickHouse in ${collector.store.location}`
    : collector.store.location
  process.stdout.write(`twinspan collector listening on ${collector.url} (${where})\n`)
  process.stdout.write(`  OTLP/HTTP: ${collector.url}/v1/traces   API: ${collector.url}/api/experiments\n`)
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await collector.close()
  return 0
}

async function experiments(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    strict: true,
  })
  const body = (await fetchJson('/api/experiments', values)) as {
    experiments: {
      name: string
      runs: number
      matchRate: number | null
      mismatches: number
      failed: number
      lastSeen: string
    }[]
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(body, null, 2)}\n`)
    return 0
  }
  if (body.experiments.length === 0) {
    process.stdout.write('no experiments yet: send parallel-run spans to /v1/traces\n')
    return 0
  }
  process.stdout.write(
    formatTable(
      ['EXPERIMENT', 'RUNS', 'MATCH RATE', 'MISMATCHES', 'FAILED', 'LAST SEEN'],
      body.experiments.map((e) => [
        e.name,
        String(e.runs),
        e.matchRate === null ? '-' : `${(e.matchRate * 100).toFixed(2)}%`,
        String(e.mismatches),
        String(e.failed),
        e.lastSeen,
      ]),
    ),
  )
  return 0
}

export const DEFAULT_URL = `http://127.0.0.1:${DEFAULT_PORT}`

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: Error) => {
    process.stderr.write(`twinspan: ${error.message}\n`)
    process.exitCode = 2
  },
)
