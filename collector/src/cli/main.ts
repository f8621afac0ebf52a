import { DEFAULT_PORT } from '../config/config.js'
import { experimentsCommand } from './experiments.js'
import { parityCommand } from './parity.js'
import { EXIT_ERROR, readinessCommand } from './readiness.js'

const USAGE = `twinspan — parallel-run evidence collector

Usage:
  twinspan serve [--config twinspan.yaml] [--port 4318] [--host 127.0.0.1] [--data-dir .twinspan]
                 [--clickhouse-url URL]
  twinspan migrate [--clickhouse-url URL] [--database twinspan] [--cluster NAME] [--config F] [--print]
      apply the schema to a ClickHouse server (ON CLUSTER with --cluster); --print shows the DDL
  twinspan experiments [--window 24h]
  twinspan parity <experiment> [--window 1h] [--operation OP] [--candidate NAME]
  twinspan readiness <experiment> [--window 7d] [--candidate NAME]
      exit status: 0 go, 1 no-go, 2 error (a deploy gate)

Every command but serve and migrate takes --url http://127.0.0.1:4318, --token T and --json (the raw API body).
Environment: TWINSPAN_URL and TWINSPAN_TOKEN are the defaults of --url and --token.
`

/** Run the CLI; resolves with the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'serve':
      // Loaded on demand: the client commands never load the storage engine.
      return (await import('./serve.js')).serveCommand(rest)
    case 'migrate':
      return (await import('./migrate.js')).migrateCommand(rest)
    case 'experiments':
      return experimentsCommand(rest)
    case 'parity':
      return parityCommand(rest)
    case 'readiness':
      return readinessCommand(rest)
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

export const DEFAULT_URL = `http://127.0.0.1:${DEFAULT_PORT}`

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: Error) => {
    process.stderr.write(`twinspan: ${error.message}\n`)
    process.exitCode = EXIT_ERROR
  },
)
