import { queryRows, type Store } from './client.js'
import { MIGRATIONS, type Migration, type SchemaSettings } from './schema.js'

/** Apply every migration not yet recorded in `twinspan_migrations`; returns the versions applied. */
export async function migrate(
  store: Store,
  settings: SchemaSettings,
  migrations: Migration[] = MIGRATIONS,
): Promise<number[]> {
  const db = store.database
  await store.client.command({ query: `CREATE DATABASE IF NOT EXISTS \`${db}\`` })
  await store.client.command({
    query: `CREATE TABLE IF NOT EXISTS \`${db}\`.twinspan_migrations (
      version UInt32, name String, applied_at DateTime64(3) DEFAULT now64(3)
    ) ENGINE = ReplacingMergeTree ORDER BY version`,
  })
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
    for (const statement of migration.statements(db, settings))
      await store.client.command({ query: statement })
    await store.client.insert({
      table: `\`${db}\`.twinspan_migrations`,
      values: [{ version: migration.version, name: migration.name }],
      format: 'JSONEachRow',
    })
    done.push(migration.version)
  }
  return done
}
