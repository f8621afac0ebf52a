import { parseArgs } from 'node:util'
import { type CollectorConfig, ConfigError, defaultConfig, loadConfigFile } from '../config/config.js'
import { checkServerVersion, openStore } from '../store/client.js'
import { clusterStatements, formatDdl, migrationsTableDdl } from '../store/cluster.js'
import { migrate } from '../store/migrate.js'
import { MIGRATIONS } from '../store/schema.js'

const EXIT_ERROR = 2

/**
 * `twinspan migrate`: apply the schema to a ClickHouse server (`--clickhouse-url` or the config's
 * `storage.clickhouse.url`), `ON CLUSTER` with `--cluster NAME`. `--print` writes the DDL to stdout
 * instead, without connecting. The embedded engine needs no migrate: `twinspan serve` applies the
 * schema at start.
 */
export async function migrateCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      'clickhouse-url': { type: 'string' },
      database: { type: 'string' },
      cluster: { type: 'string' },
      print: { type: 'boolean', default: false },
    },
    strict: true,
  })
  let config: CollectorConfig
  try {
    config = values.config ? loadConfigFile(values.config) : defaultConfig()
    const clickhouse = config.storage.clickhouse
    if (values['clickhouse-url'] !== undefined) clickhouse.url = values['clickhouse-url']
    if (values.database !== undefined) clickhouse.database = values.database
    if (values.cluster !== undefined) clickhouse.cluster = values.cluster
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(clickhouse.database)) {
      throw new ConfigError(`--database must be a plain identifier, got "${clickhouse.database}"`)
    }
    if (clickhouse.cluster !== undefined && !/^[A-Za-z_][A-Za-z0-9_-]*$/.test(clickhouse.cluster)) {
      throw new ConfigError(`--cluster must be a cluster name, got "${clickhouse.cluster}"`)
    }
    if (!values.print && !clickhouse.url) {
      throw new ConfigError(
        'migrate needs a ClickHouse server: give --clickhouse-url URL (or storage.clickhouse.url); the embedded engine is migrated by `twinspan serve` at start, and --print shows the DDL without connecting',
      )
    }
  } catch (error) {
    process.stderr.write(`twinspan: ${(error as Error).message}\n`)
    return EXIT_ERROR
  }
  const { database, cluster } = config.storage.clickhouse
  const settings = { retentionDays: config.storage.retentionDays, cluster }

  if (values.print) {
    const statements = cluster
      ? clusterStatements(database, cluster, settings)
      : [
          `CREATE DATABASE IF NOT EXISTS \`${database}\``,
          migrationsTableDdl(database),
          ...MIGRATIONS.flatMap((m) => m.statements(database, settings)),
        ]
    process.stdout.write(formatDdl(statements))
    return 0
  }

  const store = openStore({ dataDir: config.storage.dataDir, ...config.storage.clickhouse })
  try {
    const version = await checkServerVersion(store)
    const applied = await migrate(store, settings)
    const where = `${store.location} (ClickHouse ${version}${cluster ? `, cluster ${cluster}` : ''}), database ${database}`
    process.stdout.write(
      applied.length > 0
        ? `applied migrations ${applied.join(', ')} to ${where}\n`
        : `schema is up to date on ${where}\n`,
    )
    return 0
  } catch (error) {
    process.stderr.write(`twinspan: migrate failed: ${(error as Error).message}\n`)
    return EXIT_ERROR
  } finally {
    await store.close()
  }
}
