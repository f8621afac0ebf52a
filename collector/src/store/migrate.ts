import { queryRows, type Store } from './client.js'
import { clusterBootstrap, clusterMigration, migrationsTableDdl } from './cluster.js'
import { MIGRATIONS, type Migration, type SchemaSettings } from './schema.js'

/**
 * Apply every migration not yet recorded in `twinspan_migrations`; returns the versions applied.
 * With `settings.cluster`, statements run `ON CLUSTER` in their cluster form (see cluster.ts).
 */
export async function migrate(
  store: Store,
  settings: SchemaSettings,
  migrations: Migration[] = MIGRATIONS,
): Promise<number[]> {
  const db = store.database
  const cluster = settings.cluster
  const bootstrap = cluster
    ? clusterBootstrap(db, cluster)
    : [`CREATE DATABASE IF NOT EXISTS \`${db}\``, migrationsTableDdl(db)]
  for (const statement of bootstrap) await store.client.command({ query: statement })
  const applied = new Set(
    (
      await queryRows<{ version: number | string }>(
        store,
        `SELECT version FROM \`${db}\`.twinspan_migrations FINAL`,
      )
    ).map((row) => Number(row.version)),
  )
  const done: number[] = []
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (applied.has(migration.version)) continue
    const statements = cluster
      ? clusterMigration(migration, db, cluster, settings)
      : migration.statements(db, settings)
    for (const statement of statements) await store.client.command({ query: statement })
    await store.client.insert({
      table: `\`${db}\`.twinspan_migrations`,
      values: [{ version: migration.version, name: migration.name }],
      format: 'JSONEachRow',
      // On a cluster the row goes through the Distributed table; wait until it is stored.
      clickhouse_settings: cluster ? { insert_distributed_sync: 1 } : {},
    })
    done.push(migration.version)
  }
  return done
}
