import { readFileSync } from 'node:fs'
import { parse as parseYaml } from 'yaml'
import { type AlertsConfig, defaultAlertsConfig, parseAlerts } from './alerts.js'
import { type ExperimentsConfig, parseExperiments } from './experiments.js'

/** The collector's settings, after defaults. The YAML shape is documented in collector/README.md. */
export interface CollectorConfig {
  server: {
    host: string
    port: number
    authToken?: string
    maxBodyBytes: number
    maxQueueBytes: number
    /** OTLP requests in progress at once; more are answered 429 before their body is read. */
    maxConcurrentRequests: number
  }
  storage: {
    dataDir: string
    retentionDays: number
    keepAllSpans: boolean
    /** Seal an insert batch at this many rows or this age, whichever comes first. */
    batchRows: number
    batchAgeMs: number
    /** Bound of the on-disk spool that holds batches while ClickHouse is unavailable. */
    spoolMaxBytes: number
    clickhouse: { url?: string; username: string; password: string; database: string; cluster?: string }
  }
  /** Per-experiment settings (readiness thresholds), validated in experiments.ts. */
  experiments: ExperimentsConfig
  /** Alert receivers, routes, inhibition and rules, validated in alerts.ts. */
  alerts: AlertsConfig
}

/** A config problem, naming the bad key and what would fix it. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

export const DEFAULT_PORT = 4318
const MiB = 1024 * 1024

export function defaultConfig(): CollectorConfig {
  return {
    server: {
      host: '127.0.0.1',
      port: DEFAULT_PORT,
      maxBodyBytes: 64 * MiB,
      maxQueueBytes: 128 * MiB,
      maxConcurrentRequests: 64,
    },
    storage: {
      dataDir: '.twinspan',
      retentionDays: 30,
      keepAllSpans: false,
      batchRows: 100_000,
      batchAgeMs: 1000,
      spoolMaxBytes: 1024 * MiB,
      clickhouse: { username: 'default', password: '', database: 'twinspan' },
    },
    experiments: {},
    alerts: defaultAlertsConfig(),
  }
}

/** Replace `${NAME}` (and `${NAME:-default}`) with environment variables; a missing one is an error. */
export function interpolateEnv(text: string, env: NodeJS.ProcessEnv = process.env): string {
  return text.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g,
    (_match, name: string, fallback?: string) => {
      const value = env[name]
      if (value !== undefined && value !== '') return value
      if (fallback !== undefined) return fallback
      throw new ConfigError(`config: environment variable ${name} is not set (referenced as \${${name}})`)
    },
  )
}

/** Read, interpolate and validate a YAML config file. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`config: cannot read ${path}: ${(error as Error).message}`)
  }
  let raw: unknown
  try {
    raw = parseYaml(interpolateEnv(text, env))
  } catch (error) {
    if (error instanceof ConfigError) throw error
    throw new ConfigError(`config: ${path} is not valid YAML: ${(error as Error).message}`)
  }
  return parseConfig(raw ?? {})
}

type Raw = Record<string, unknown>

/** Validate a parsed config object and fill in defaults. */
export function parseConfig(raw: unknown): CollectorConfig {
  const config = defaultConfig()
  const root = section(raw, '(top level)')
  onlyKeys(root, '', ['server', 'storage', 'experiments', 'alerts'])

  const server = section(root.server, 'server')
  onlyKeys(server, 'server', [
    'host',
    'port',
    'authToken',
    'maxBodyBytes',
    'maxQueueBytes',
    'maxConcurrentRequests',
  ])
  if (server.maxConcurrentRequests !== undefined) {
    config.server.maxConcurrentRequests = integer(
      server.maxConcurrentRequests,
      'server.maxConcurrentRequests',
      1,
      100_000,
    )
  }
  if (server.host !== undefined) config.server.host = nonEmptyString(server.host, 'server.host')
  if (server.port !== undefined) config.server.port = integer(server.port, 'server.port', 0, 65535)
  if (server.authToken !== undefined)
    config.server.authToken = nonEmptyString(server.authToken, 'server.authToken')
  if (server.maxBodyBytes !== undefined) {
    config.server.maxBodyBytes = integer(server.maxBodyBytes, 'server.maxBodyBytes', 1024, 2 ** 31)
  }

  if (server.maxQueueBytes !== undefined) {
    config.server.maxQueueBytes = integer(server.maxQueueBytes, 'server.maxQueueBytes', MiB, 2 ** 40)
  }

  const storage = section(root.storage, 'storage')
  onlyKeys(storage, 'storage', [
    'dataDir',
    'retentionDays',
    'keepAllSpans',
    'batchRows',
    'batchAgeMs',
    'spoolMaxBytes',
    'clickhouse',
  ])
  if (storage.batchRows !== undefined)
    config.storage.batchRows = integer(storage.batchRows, 'storage.batchRows', 1, 1_000_000)
  if (storage.batchAgeMs !== undefined)
    config.storage.batchAgeMs = integer(storage.batchAgeMs, 'storage.batchAgeMs', 1, 60_000)
  if (storage.spoolMaxBytes !== undefined) {
    config.storage.spoolMaxBytes = integer(storage.spoolMaxBytes, 'storage.spoolMaxBytes', MiB, 2 ** 50)
  }
  if (storage.dataDir !== undefined)
    config.storage.dataDir = nonEmptyString(storage.dataDir, 'storage.dataDir')
  if (storage.retentionDays !== undefined) {
    config.storage.retentionDays = integer(storage.retentionDays, 'storage.retentionDays', 1, 3650)
  }
  if (storage.keepAllSpans !== undefined) {
    if (typeof storage.keepAllSpans !== 'boolean')
      throw new ConfigError('config: storage.keepAllSpans must be true or false')
    config.storage.keepAllSpans = storage.keepAllSpans
  }
  const clickhouse = section(storage.clickhouse, 'storage.clickhouse')
  onlyKeys(clickhouse, 'storage.clickhouse', ['url', 'username', 'password', 'database', 'cluster'])
  if (clickhouse.url !== undefined)
    config.storage.clickhouse.url = url(clickhouse.url, 'storage.clickhouse.url')
  if (clickhouse.username !== undefined) {
    config.storage.clickhouse.username = nonEmptyString(clickhouse.username, 'storage.clickhouse.username')
  }
  if (clickhouse.password !== undefined)
    config.storage.clickhouse.password = String(clickhouse.password ?? '')
  if (clickhouse.cluster !== undefined) {
    const cluster = nonEmptyString(clickhouse.cluster, 'storage.clickhouse.cluster')
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(cluster)) {
      throw new ConfigError(
        'config: storage.clickhouse.cluster must be a cluster name (letters, digits, _ and -)',
      )
    }
    if (clickhouse.url === undefined) {
      throw new ConfigError(
        'config: storage.clickhouse.cluster needs storage.clickhouse.url (a cluster is a server setup)',
      )
    }
    config.storage.clickhouse.cluster = cluster
  }
  if (clickhouse.database !== undefined) {
    const database = nonEmptyString(clickhouse.database, 'storage.clickhouse.database')
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
      throw new ConfigError(
        'config: storage.clickhouse.database must be a plain identifier (letters, digits, _)',
      )
    }
    config.storage.clickhouse.database = database
  }

  config.experiments = parseExperiments(section(root.experiments, 'experiments'))
  config.alerts = parseAlerts(root.alerts)
  return config
}

function section(value: unknown, key: string): Raw {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`config: ${key} must be a mapping`)
  return value as Raw
}

function onlyKeys(value: Raw, prefix: string, allowed: string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const at = prefix ? `${prefix}.${key}` : key
      throw new ConfigError(`config: unknown key ${at} (expected one of: ${allowed.join(', ')})`)
    }
  }
}

function nonEmptyString(value: unknown, key: string): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new ConfigError(`config: ${key} must be a non-empty string`)
  return value
}

function integer(value: unknown, key: string, min: number, max: number): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(
      `config: ${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
    )
  }
  return n
}

function url(value: unknown, key: string): string {
  const text = nonEmptyString(value, key)
  try {
    const parsed = new URL(text)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)')
  } catch {
    throw new ConfigError(
      `config: ${key} must be an http(s) URL such as http://clickhouse:8123, got "${text}"`,
    )
  }
  return text
}
