import { MIGRATIONS, type Migration, type SchemaSettings } from './schema.js'

/**
 * The schema for a ClickHouse cluster, derived from the single-node migrations so the two cannot
 * drift: each table becomes `<name>_local` (a `Replicated*MergeTree` on every replica) plus
 * `<name>`, a `Distributed` table over it with the original name, which is what the collector
 * reads and writes; materialized views live on every node and read and write the local tables.
 * `otel_traces` is sharded by `TraceId`, so both spans of a run, and any retry of them, land on one
 * shard (the `FINAL` reads and insert deduplication stay shard-local).
 * Backfill statements (`INSERT … SELECT`) are left out: a new cluster has nothing to backfill.
 */
export function clusterStatements(
  database: string,
  cluster: string,
  settings: SchemaSettings,
  migrations: Migration[] = MIGRATIONS,
): string[] {
  const statements = clusterBootstrap(database, cluster)
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    statements.push(...clusterMigration(migration, database, cluster, settings))
  }
  return statements
}

/** The database and the migrations table, on every node. */
export function clusterBootstrap(database: string, cluster: string): string[] {
  return [
    `CREATE DATABASE IF NOT EXISTS \`${database}\` ON CLUSTER \`${cluster}\``,
    ...localAndDistributed(database, cluster, migrationsTableDdl(database), 'rand()'),
  ]
}

/** One migration's statements in cluster form. */
export function clusterMigration(
  migration: Migration,
  database: string,
  cluster: string,
  settings: SchemaSettings,
): string[] {
  return migration
    .statements(database, settings)
    .flatMap((statement) => toCluster(statement, database, cluster))
}

/** Where the collector records applied migrations (single node and cluster alike). */
export function migrationsTableDdl(database: string): string {
  return `CREATE TABLE IF NOT EXISTS \`${database}\`.twinspan_migrations (
      version UInt32, name String, applied_at DateTime64(3) DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY version`
}

const SHARDING_KEYS: Record<string, string> = { otel_traces: 'cityHash64(TraceId)' }
const CREATE_TABLE = /^\s*CREATE TABLE IF NOT EXISTS `([^`]+)`\.(\w+) \(/
const CREATE_VIEW = /^\s*CREATE MATERIALIZED VIEW IF NOT EXISTS `([^`]+)`\.(\w+) TO `([^`]+)`\.(\w+) AS/
const ALTER_TABLE = /^\s*ALTER TABLE `([^`]+)`\.(\w+)\s+/
const INSERT = /^\s*INSERT INTO /

function toCluster(statement: string, database: string, cluster: string): string[] {
  const table = CREATE_TABLE.exec(statement)
  if (table)
    return localAndDistributed(database, cluster, statement, SHARDING_KEYS[table[2] as string] ?? 'rand()')
  const view = CREATE_VIEW.exec(statement)
  if (view) {
    const [whole, , name, , target] = view
    const head = `CREATE MATERIALIZED VIEW IF NOT EXISTS \`${database}\`.${name} ON CLUSTER \`${cluster}\` TO \`${database}\`.${target}_local AS`
    return [head + localReads(statement.slice(whole.length), database)]
  }
  const alter = ALTER_TABLE.exec(statement)
  if (alter) {
    const rest = statement.slice(alter[0].length)
    const local = `ALTER TABLE \`${database}\`.${alter[2]}_local ON CLUSTER \`${cluster}\` ${rest}`
    // Column changes must reach the Distributed table too; settings and TTL belong to the local one.
    return /^\s*(ADD|DROP|MODIFY|RENAME) COLUMN/.test(rest)
      ? [local, `ALTER TABLE \`${database}\`.${alter[2]} ON CLUSTER \`${cluster}\` ${rest}`]
      : [local]
  }
  if (INSERT.test(statement)) return []
  throw new Error(`cluster schema: no cluster form for statement: ${statement.slice(0, 80)}…`)
}

function localAndDistributed(
  database: string,
  cluster: string,
  statement: string,
  shardingKey: string,
): string[] {
  const match = CREATE_TABLE.exec(statement) as RegExpExecArray
  const name = match[2] as string
  const local = statement
    .replace(
      CREATE_TABLE,
      `CREATE TABLE IF NOT EXISTS \`${database}\`.${name}_local ON CLUSTER \`${cluster}\` (`,
    )
    .replace(
      /ENGINE = (Replacing|Aggregating|Summing)?MergeTree\b(\(\))?/,
      (_m, kind: string | undefined) =>
        `ENGINE = Replicated${kind ?? ''}MergeTree('/clickhouse/tables/{shard}/${database}/${name}_local', '{replica}')`,
    )
    .replace(/non_replicated_deduplication_window = \d+/, 'replicated_deduplication_window = 10000')
  const distributed = `CREATE TABLE IF NOT EXISTS \`${database}\`.${name} ON CLUSTER \`${cluster}\` AS \`${database}\`.${name}_local
      ENGINE = Distributed(\`${cluster}\`, \`${database}\`, ${name}_local, ${shardingKey})`
  return [local, distributed]
}

/** Point every `db.table` a view reads at the local table. */
function localReads(sql: string, database: string): string {
  return sql.replace(
    new RegExp(`\`${database}\`\\.(\\w+)`, 'g'),
    (_m, name: string) => `\`${database}\`.${name}_local`,
  )
}

/** Statements as a script: each trimmed and ended with `;`, separated by a blank line. */
export function formatDdl(statements: string[]): string {
  return `${statements.map((statement) => `${statement.trim()};`).join('\n\n')}\n`
}
