import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { type ClickHouseClient, createClient } from '@clickhouse/client'
import { createChdbConnection } from 'chdb/connection'

export interface StoreOptions {
  /** Data directory for the embedded engine (used when `url` is not set). */
  dataDir: string
  /** A ClickHouse server's HTTP endpoint; when set, the embedded engine is not used. */
  url?: string
  username?: string
  password?: string
  database: string
}

/** A connection to ClickHouse, embedded (chDB) or remote, and the database twinspan owns there. */
export interface Store {
  client: ClickHouseClient
  database: string
  embedded: boolean
  /** Where the data lives, for humans: the data directory or the server URL. */
  location: string
  close(): Promise<void>
}

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Open the store: the embedded engine in `dataDir`, or the server at `url`. */
export function openStore(options: StoreOptions): Store {
  if (!IDENTIFIER.test(options.database)) {
    throw new Error(
      `storage.clickhouse.database "${options.database}" must be a plain identifier ([A-Za-z_][A-Za-z0-9_]*)`,
    )
  }
  if (options.url) {
    const client = createClient({
      url: options.url,
      username: options.username ?? 'default',
      password: options.password ?? '',
      clickhouse_settings: { date_time_input_format: 'best_effort' },
    })
    return {
      client,
      database: options.database,
      embedded: false,
      location: options.url,
      close: () => client.close(),
    }
  }
  const dataDir = resolve(options.dataDir)
  mkdirSync(dataDir, { recursive: true })
  const client = createClient({
    // chdb declares the Connection interface from its own copy of @clickhouse/client-common; the
    // runtime contract is the same one @clickhouse/client uses, only the declaration files differ.
    connection: createChdbConnection({ path: dataDir }) as unknown as ClientConnection,
    clickhouse_settings: { date_time_input_format: 'best_effort' },
  })
  return {
    client,
    database: options.database,
    embedded: true,
    location: dataDir,
    close: () => client.close(),
  }
}

/** Run a query and return its rows as objects. */
export async function queryRows<T>(
  store: Store,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const result = await store.client.query({ query, query_params: params, format: 'JSONEachRow' })
  return result.json<T>()
}
