import { queryRows, type Store } from './client.js'
import { TTL_TABLES } from './schema.js'

/**
 * Make every table's TTL match `retentionDays` (the schema sets it at creation; this follows later
 * config changes). Existing parts are not rewritten: expired data goes as parts are merged or dropped.
 */
export async function applyRetention(
  store: Store,
  retentionDays: number,
  cluster?: string,
): Promise<string[]> {
  const rows = await queryRows<{ name: string; create_table_query: string }>(
    store,
    'SELECT name, create_table_query FROM system.tables WHERE database = {db:String}',
    { db: store.database },
  )
  const changed: string[] = []
  for (const { name, create_table_query: ddl } of rows) {
    // On a cluster the TTL lives on the local (replicated) tables.
    const column = TTL_TABLES[cluster ? name.replace(/_local$/, '') : name]
    if (!column || (cluster && !name.endsWith('_local')) || ddl.includes(`toIntervalDay(${retentionDays})`))
      continue
    const onCluster = cluster ? ` ON CLUSTER \`${cluster}\`` : ''
    await store.client.command({
      query: `ALTER TABLE \`${store.database}\`.${name}${onCluster} MODIFY TTL ${column} + toIntervalDay(${retentionDays})`,
      clickhouse_settings: { materialize_ttl_after_modify: 0 },
    })
    changed.push(name)
  }
  return changed
}
