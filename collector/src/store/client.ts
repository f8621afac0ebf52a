import { mkdirSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, extname, join, resolve } from 'node:path'
import { Readable } from 'node:stream'
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
  /** A cluster name: writes go through Distributed tables and must be stored before they return. */
  cluster?: string
}

/** A connection to ClickHouse, embedded (chDB) or remote, and the database twinspan owns there. */
export interface Store {
  client: ClickHouseClient
  database: string
  embedded: boolean
  /** Where the data lives, for humans: the data directory or the server URL. */
  location: string
  /** Insert a body of rows: newline-delimited JSON (JSONEachRow unless `format` says otherwise) or RowBinary. */
  insertLines(table: string, body: Buffer, options?: InsertOptions): Promise<void>
  /**
   * The embedded engine only: insert rows straight from files (`FROM INFILE`), RowBinary unless
   * `format` says otherwise, without reading them into Node.
   */
  insertFiles?(table: string, files: string[], options?: InsertOptions): Promise<void>
  close(): Promise<void>
}

export interface InsertOptions {
  /** Makes a retried insert of the same batch a no-op, in the table and every view it feeds. */
  token?: string
  format?: 'JSONEachRow' | 'JSONCompactEachRow' | 'RowBinary'
  /** The columns each row's values are for (JSONCompactEachRow, RowBinary), in order. */
  columns?: readonly string[]
}

/** The oldest ClickHouse server twinspan supports (the floor of @clickhouse/client). */
export const MIN_SERVER_VERSION: [number, number] = [24, 8]

/** Settings that make `insert_deduplication_token` hold through the materialized views. */
export function insertSettings(token: string | undefined, cluster?: string): Record<string, string | number> {
  const settings: Record<string, string | number> = {
    // The collector batches itself; the server's async-insert buffering (on by default in chDB) would
    // only add a flush delay to every insert.
    async_insert: 0,
    // chDB runs one query at a time, so an insert has to use both cores by itself: parse the batch in
    // 1 MiB chunks in parallel (the default 10 MiB is a whole batch) and push the block through the
    // materialized views in parallel. Measured in docs/decisions/0003-spool-and-batching.md.
    min_chunk_bytes_for_parallel_parsing: 1024 * 1024,
    parallel_view_processing: 1,
  }
  // A Distributed table forwards in the background by default: wait until the shard has the rows.
  if (cluster) settings.insert_distributed_sync = 1
  if (token) {
    settings.insert_deduplication_token = token
    settings.deduplicate_blocks_in_dependent_materialized_views = 1
  }
  return settings
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
      async insertLines(table, body, { token, format = 'JSONEachRow', columns } = {}) {
        // Neither JSON lines nor RowBinary are a "raw" format for client.insert; exec streams the body as it is.
        const columnList = columnListOf(columns)
        const result = await client.exec({
          query: `INSERT INTO ${table}${columnList} FORMAT ${format}`,
          values: Readable.from([body]),
          clickhouse_settings: insertSettings(token, options.cluster),
        })
        result.stream.resume()
      },
      close: () => client.close(),
    }
  }
  const dataDir = resolve(options.dataDir)
  mkdirSync(dataDir, { recursive: true })
  const connection = createChdbConnection({ path: dataDir })
  const client = createClient({
    // chdb declares the Connection interface from its own copy of @clickhouse/client-common; the
    // runtime contract is the same one @clickhouse/client uses, only the declaration files differ.
    connection: connection as unknown as ClientConnection,
    clickhouse_settings: { date_time_input_format: 'best_effort' },
  })
  const insertFiles: NonNullable<Store['insertFiles']> = async (
    table,
    files,
    { token, format = 'RowBinary', columns } = {},
  ) => {
    const settings = Object.entries(insertSettings(token))
      .map(([name, value]) => `${name} = ${typeof value === 'number' ? value : sqlString(value)}`)
      .join(', ')
    await client.command({
      query: `INSERT INTO ${table}${columnListOf(columns)} FROM INFILE ${sqlString(infilePattern(files, token))} SETTINGS ${settings} FORMAT ${format}`,
    })
  }
  return {
    client,
    database: options.database,
    embedded: true,
    location: dataDir,
    insertFiles,
    async insertLines(table, body, options = {}) {
      const { token, format = 'JSONEachRow', columns } = options
      if (format === 'RowBinary') {
        // Inline data ends at the first empty line in chDB, which binary rows can hold: go through a file.
        const dir = await mkdtemp(join(dataDir, 'tmp-insert-'))
        try {
          const file = join(dir, 'rows.rowbinary')
          await writeFile(file, body)
          await insertFiles(table, [file], options)
        } finally {
          await rm(dir, { recursive: true, force: true })
        }
        return
      }
      // chDB's raw insert hands the buffer to the engine's parser without copying it into a SQL string.
      await connection.chdb.rawInsert({
        table,
        values: body,
        format,
        columns: columns && [...columns],
        settings: insertSettings(token),
      })
    },
    close: () => client.close(),
  }
}

/** ` (a, b)` for an insert's column list, or nothing. */
function columnListOf(columns: readonly string[] | undefined): string {
  return columns ? ` (${columns.map((c) => `\`${c}\``).join(', ')})` : ''
}

/**
 * The `FROM INFILE` name of a batch's files: the file itself; `dir/*-<token>.<ext>` when every name
 * ends with the batch's token, as spool segments do once an insert takes them (a batch can have
 * thousands, too many to list within the engine's query size limit); else `dir/{a,b}`.
 * Glob characters or quotes in the path would change what is read, so they are refused.
 */
export function infilePattern(files: string[], token?: string): string {
  if (files.length === 0) throw new Error('an insert from files needs at least one file')
  for (const file of files) assertInfilePath(file)
  if (files.length === 1) return files[0] as string
  const dir = dirname(files[0] as string)
  const names = files.map((file) => {
    if (dirname(file) !== dir)
      throw new Error(`a batch's files must share one directory: ${file} is not in ${dir}`)
    return basename(file)
  })
  if (token !== undefined && /^[A-Za-z0-9_-]+$/.test(token)) {
    const suffix = `-${token}${extname(names[0] as string)}`
    if (names.every((name) => name.endsWith(suffix))) return `${dir}/*${suffix}`
  }
  return `${dir}/{${names.join(',')}}`
}

/** Refuse a path the engine would read as a glob pattern, or that would end its SQL string. */
export function assertInfilePath(path: string): void {
  if (/[*?{}[\],'\\]/.test(path)) {
    throw new Error(
      `cannot insert from ${JSON.stringify(path)}: the data directory's path must not contain * ? { } [ ] , ' or \\`,
    )
  }
}

/** A ClickHouse string literal. */
function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
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

/** Fail with a clear message when a ClickHouse server is older than {@link MIN_SERVER_VERSION}. */
export async function checkServerVersion(store: Store): Promise<string> {
  const [row] = await queryRows<{ version: string }>(store, 'SELECT version() AS version')
  return assertSupportedVersion(row?.version ?? '', store.location)
}

/** The version, if it is at least {@link MIN_SERVER_VERSION}; otherwise an error naming both. */
export function assertSupportedVersion(version: string, location: string): string {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  const [minMajor, minMinor] = MIN_SERVER_VERSION
  if (!(major > minMajor || (major === minMajor && minor >= minMinor))) {
    throw new Error(
      `ClickHouse ${version || '(unknown version)'} at ${location} is too old: twinspan needs ${minMajor}.${minMinor} or newer`,
    )
  }
  return version
}

/** True when the store answers a trivial query. */
export async function isReachable(store: Store): Promise<boolean> {
  try {
    return (await store.client.ping()).success
  } catch {
    return false
  }
}
