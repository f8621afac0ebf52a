import { BadRequestError } from '../analysis/errors.js'
import { parseWindow } from '../analysis/window.js'
import { ConfigError } from './config.js'

/** Cutover thresholds, for a whole experiment or one operation. */
export interface ReadinessThresholds {
  /** Lowest acceptable match / (match + mismatch), 0..1. */
  minMatchRate: number
  /** Fewest runs in the window before any verdict can be `go`. */
  minSamples: number
  /** How much slower the shadow's p95 may be than the primary's, in percent. */
  maxP95DeltaPct: number
  /** Highest acceptable (shadow errors + timeouts) / runs, 0..1. */
  maxShadowErrorRate: number
  /** Most runs with a critical difference allowed; null: not checked. */
  maxCriticalMismatches: number | null
}

/** An experiment's readiness settings, after defaults. */
export interface ReadinessConfig extends ReadinessThresholds {
  /** The look-back window the verdict is judged on, e.g. `7d`. */
  window: string
  /** Per-operation overrides (Zalando kept a target per endpoint); unset keys inherit. */
  operations: Record<string, Partial<ReadinessThresholds>>
}

/** The `experiments.<name>` section. */
export interface ExperimentConfig {
  readiness: ReadinessConfig
}

/** The `experiments` section: settings per experiment name. */
export type ExperimentsConfig = Record<string, ExperimentConfig>

/**
 * Defaults for every experiment: cut over when at most 0.5% of compared runs differ over 7 days,
 * on at least 1,000 runs, with the shadow's p95 at most 10% slower and at most 1% of runs failing.
 */
export const DEFAULT_READINESS: Readonly<Omit<ReadinessConfig, 'operations'>> = Object.freeze({
  minMatchRate: 0.995,
  minSamples: 1000,
  window: '7d',
  maxP95DeltaPct: 10,
  maxShadowErrorRate: 0.01,
  maxCriticalMismatches: null,
})

const THRESHOLD_KEYS = [
  'minMatchRate',
  'minSamples',
  'maxP95DeltaPct',
  'maxShadowErrorRate',
  'maxCriticalMismatches',
] as const

/** An experiment's readiness settings: its configured ones, or the defaults. */
export function readinessFor(experiments: ExperimentsConfig, experiment: string): ReadinessConfig {
  return experiments[experiment]?.readiness ?? { ...DEFAULT_READINESS, operations: {} }
}

/** Validate the `experiments` section; errors name the bad key. */
export function parseExperiments(raw: unknown): ExperimentsConfig {
  const out: ExperimentsConfig = {}
  for (const [name, value] of Object.entries(mapping(raw, 'experiments'))) {
    const key = `experiments.${name}`
    const section = mapping(value, key)
    onlyKeys(section, key, ['readiness'])
    out[name] = { readiness: parseReadiness(section.readiness, `${key}.readiness`) }
  }
  return out
}

function parseReadiness(raw: unknown, key: string): ReadinessConfig {
  const section = mapping(raw, key)
  onlyKeys(section, key, [...THRESHOLD_KEYS, 'window', 'operations'])
  const readiness: ReadinessConfig = {
    ...DEFAULT_READINESS,
    ...parseThresholds(section, key),
    operations: {},
  }
  if (section.window !== undefined) {
    try {
      readiness.window = parseWindow(section.window, `${key}.window`).text
    } catch (error) {
      if (error instanceof BadRequestError) throw new ConfigError(`config: ${error.message}`)
      throw error
    }
  }
  for (const [operation, value] of Object.entries(mapping(section.operations, `${key}.operations`))) {
    const at = `${key}.operations.${operation}`
    const override = mapping(value, at)
    // One window per experiment: every operation is judged over the same runs' time span.
    onlyKeys(override, at, [...THRESHOLD_KEYS])
    readiness.operations[operation] = parseThresholds(override, at)
  }
  return readiness
}

function parseThresholds(section: Record<string, unknown>, key: string): Partial<ReadinessThresholds> {
  const out: Partial<ReadinessThresholds> = {}
  if (section.minMatchRate !== undefined)
    out.minMatchRate = number(section.minMatchRate, `${key}.minMatchRate`, 0, 1)
  if (section.minSamples !== undefined)
    out.minSamples = integer(section.minSamples, `${key}.minSamples`, 0, Number.MAX_SAFE_INTEGER)
  if (section.maxP95DeltaPct !== undefined)
    out.maxP95DeltaPct = number(section.maxP95DeltaPct, `${key}.maxP95DeltaPct`, -100, 1_000_000)
  if (section.maxShadowErrorRate !== undefined)
    out.maxShadowErrorRate = number(section.maxShadowErrorRate, `${key}.maxShadowErrorRate`, 0, 1)
  if (section.maxCriticalMismatches !== undefined) {
    out.maxCriticalMismatches =
      section.maxCriticalMismatches === null
        ? null
        : integer(section.maxCriticalMismatches, `${key}.maxCriticalMismatches`, 0, Number.MAX_SAFE_INTEGER)
  }
  return out
}

function mapping(value: unknown, key: string): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value))
    throw new ConfigError(`config: ${key} must be a mapping`)
  return value as Record<string, unknown>
}

function onlyKeys(section: Record<string, unknown>, key: string, allowed: readonly string[]): void {
  for (const name of Object.keys(section)) {
    if (!allowed.includes(name)) {
      throw new ConfigError(`config: unknown key ${key}.${name} (expected one of: ${allowed.join(', ')})`)
    }
  }
}

function numeric(value: unknown): unknown {
  return typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))
    ? Number(value)
    : value
}

function number(value: unknown, key: string, min: number, max: number): number {
  const n = numeric(value)
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(
      `config: ${key} must be a number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    )
  }
  return n
}

function integer(value: unknown, key: string, min: number, max: number): number {
  const n = numeric(value)
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`
    throw new ConfigError(`config: ${key} must be an integer ${range}, got ${JSON.stringify(value)}`)
  }
  return n
}
