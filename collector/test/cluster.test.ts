import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStore, type Store } from '../src/store/client.js'
import { clusterStatements, formatDdl } from '../src/store/cluster.js'

const here = dirname(fileURLToPath(import.meta.url))
const bin = resolve(here, '../bin/twinspan.js')
const statements = clusterStatements('twinspan', 'twinspan', { retentionDays: 30, cluster: 'twinspan' })
let store: Store
let dataDir: string

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'cluster-ddl-'))
  store = openStore({ dataDir, database: 'twinspan' })
})
afterAll(async () => {
  await store.close()
  rmSync(dataDir, { recursive: true, force: true })
})

describe('cluster DDL (twinspan migrate --cluster)', () => {
  it('parses in ClickHouse, statement by statement (EXPLAIN AST in the embedded engine)', async () => {
    expect(statements.length).toBeGreaterThan(15)
    for (const statement of statements) {
      const result = await store.client.query({
        query: `EXPLAIN AST ${statement}`,
        format: 'TabSeparatedRaw',
      })
      expect((await result.text()).length, statement.slice(0, 80)).toBeGreaterThan(0)
    }
  })

  it('runs every statement ON CLUSTER, replicates every table and puts a Distributed table over it', () => {
    for (const statement of statements) expect(statement).toContain('ON CLUSTER `twinspan`')
    const tables = statements.filter((s) => /CREATE TABLE IF NOT EXISTS `twinspan`\.\w+_local /.test(s))
    const distributed = statements.filter((s) => s.includes('ENGINE = Distributed('))
    expect(tables.length).toBeGreaterThanOrEqual(7)
    expect(distributed.length).toBe(tables.length)
    for (const table of tables)
      expect(table).toMatch(/ENGINE = Replicated\w*MergeTree\('\/clickhouse\/tables\/\{shard\}/)
    for (const table of tables) expect(table).not.toContain('non_replicated_deduplication_window')
    expect(statements.find((s) => s.includes('otel_traces_local, cityHash64(TraceId)'))).toBeDefined()
  })

  it('makes views read and write local tables only', () => {
    const views = statements.filter((s) => s.includes('CREATE MATERIALIZED VIEW'))
    expect(views.length).toBeGreaterThanOrEqual(5)
    for (const view of views) {
      const tables = [...view.matchAll(/`twinspan`\.(\w+)/g)].map((m) => m[1] as string)
      expect(
        tables.slice(1).every((name) => name.endsWith('_local')),
        view.slice(0, 120),
      ).toBe(true)
    }
  })

  it('matches the committed deploy/clickhouse/cluster.sql', () => {
    const committed = readFileSync(resolve(here, '../../deploy/clickhouse/cluster.sql'), 'utf8')
    expect(committed).toBe(formatDdl(statements))
    expect(
      execFileSync(process.execPath, [bin, 'migrate', '--cluster', 'twinspan', '--print']).toString(),
    ).toBe(committed)
  })

  it('refuses to migrate without a server, naming the fix', () => {
    const result = spawnSync(process.execPath, [bin, 'migrate'], { encoding: 'utf8' })
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('--clickhouse-url')
  })
})

describe('server version floor', () => {
  it('accepts 24.8 and newer, refuses older servers with a message naming both versions', async () => {
    const { assertSupportedVersion } = await import('../src/store/client.js')
    expect(assertSupportedVersion('24.8.1.1', 'http://ch:8123')).toBe('24.8.1.1')
    expect(assertSupportedVersion('26.7.2.1', 'x')).toBe('26.7.2.1')
    expect(assertSupportedVersion('25.1', 'x')).toBe('25.1')
    expect(() => assertSupportedVersion('24.3.5.1', 'http://ch:8123')).toThrow(
      'ClickHouse 24.3.5.1 at http://ch:8123 is too old: twinspan needs 24.8 or newer',
    )
    expect(() => assertSupportedVersion('18.16.1', 'x')).toThrow(/too old/)
    expect(() => assertSupportedVersion('', 'x')).toThrow(/unknown version/)
  })

  it('the embedded engine itself is new enough', async () => {
    const { checkServerVersion } = await import('../src/store/client.js')
    expect(await checkServerVersion(store)).toMatch(/^\d+\.\d+/)
  })
})
