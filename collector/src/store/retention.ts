import { queryRows, type Store } from './client.js'
import { TTL_TABLES } from './schema.js'

/**
 * Make every table's TTL match `retentionDays` (the schema sets it at creation; this follows later
 * config changes). Existing parts are not rewritten: expired data goes as parts are merged or dropped.
 */
export async function applyRetention(store: Store, retentionDays: number): Promise<string[]> {
  const rows = await queryRows<{ name: string; create_table_query: string }>(
    store,
    'SELECT name, create_table_query FROM system.tables WHERE database = {db:String}',
    { db: store.database },
  )
  const changed: string[] = []
  for (const { name, create_table_query: ddl } of rows) {
    const column = TTL_TABLES[name]
    if (!column || ddl.includes(`toIntervalDay(${retentionDays})`)) continue
    await store.client.command({
      query: `ALTER TABLE \`${store.database}\`.${name} MODIFY TTL ${column} + toIntervalDay(${retentionDays})`,
      clickhouse_settings: { materialize_ttl_after_modify: 0 },
    })
    changed.push(name)
  }
  return changed
}
