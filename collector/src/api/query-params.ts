import { BadRequestError } from '../analysis/errors.js'

/** Express's parsed query string: a value may be a string, repeated (an array) or nested. */
export type Query = Record<string, unknown>

const MAX_VALUE_CHARS = 1000

/** A single optional string parameter; repeating it or nesting it is a 400. */
export function optionalString(query: Query, name: string): string | undefined {
  const value = query[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new BadRequestError(`${name} must be given once, as a plain value`)
  if (value.length > MAX_VALUE_CHARS)
    throw new BadRequestError(`${name} is longer than ${MAX_VALUE_CHARS} characters`)
  return value
}

/** An optional integer parameter within bounds, else `fallback`. */
export function integerParam(query: Query, name: string, fallback: number, min: number, max: number): number {
  const text = optionalString(query, name)
  if (text === undefined) return fallback
  const value = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadRequestError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(text)}`)
  }
  return value
}

/** An optional parameter that must be one of `options`. */
export function oneOf<T extends string>(query: Query, name: string, options: readonly T[]): T | undefined {
  const value = optionalString(query, name)
  if (value === undefined) return undefined
  if (!(options as readonly string[]).includes(value)) {
    throw new BadRequestError(`${name} must be one of ${options.join(', ')}, got ${JSON.stringify(value)}`)
  }
  return value as T
}
