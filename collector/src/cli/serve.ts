import { parseArgs } from 'node:util'
import { type CollectorConfig, ConfigError, defaultConfig, loadConfigFile } from '../config/config.js'
import { startCollector } from '../server.js'

/** `twinspan serve`: run the collector until SIGINT or SIGTERM. */
export async function serveCommand(args: string[]): Promise<number> {
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
