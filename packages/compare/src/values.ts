/** What kind of value something is, and equality of the values that have no children. */

import type { DifferenceKind } from './types.js'

// Container tags for non-array objects. Class instances and exotic objects count as OBJECT:
// their own enumerable properties are their data.
export const OBJECT = 0
export const DATE = 1
export const MAP = 2
export const SET = 3
export const REGEXP = 4
export const BYTES = 5
export const ERROR = 6

/** The container tag of a non-null, non-array object. */
export function tagOf(value: object): number {
  const proto = Object.getPrototypeOf(value)
  if (proto === Object.prototype || proto === null) return OBJECT
  if (value instanceof Date) return DATE
  if (value instanceof Map) return MAP
  if (value instanceof Set) return SET
  if (value instanceof RegExp) return REGEXP
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return BYTES
  if (value instanceof Error) return ERROR
  return OBJECT
}

/** Whether a value is a non-null object (arrays included). */
export function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null
}

/** Whether a value can be matched by identity in a Map: a primitive other than a symbol. */
export function countable(value: unknown): boolean {
  return (
    (typeof value !== 'object' || value === null) && typeof value !== 'function' && typeof value !== 'symbol'
  )
}

/**
 * How two values that are not both objects differ, or null when they are equal. NaN equals NaN,
 * 0 equals -0, and symbols compare by description (two implementations cannot share one symbol).
 */
export function leafKind(primary: unknown, shadow: unknown): DifferenceKind | null {
  if (primary === shadow) return null
  const type = typeof primary
  if (type !== typeof shadow || primary === null || shadow === null) return 'type'
  if (type === 'number') return Number.isNaN(primary) && Number.isNaN(shadow) ? null : 'changed'
  if (type === 'symbol') return String(primary) === String(shadow) ? null : 'changed'
  return 'changed'
}

/** The bytes of a typed array, DataView or ArrayBuffer. */
export function bytesOf(value: object): Uint8Array {
  if (value instanceof ArrayBuffer) return new Uint8Array(value)
  const view = value as ArrayBufferView
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength)
}

/** The first byte offset where two byte sequences differ, or -1 when they are equal. */
export function firstByteDifference(primary: Uint8Array, shadow: Uint8Array): number {
  const length = Math.min(primary.length, shadow.length)
  for (let i = 0; i < length; i++) if (primary[i] !== shadow[i]) return i
  return primary.length === shadow.length ? -1 : length
}

/** The `[object Float64Array]` style tag, which tells binary kinds apart. */
export function builtinTag(value: object): string {
  return Object.prototype.toString.call(value)
}

/** An error's class name: its constructor's name, else its `name` property. */
export function errorClass(error: Error): string {
  const ctor = (error as { constructor?: { name?: unknown } }).constructor
  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : String(error.name)
}

/** Whether a thrown value is the engine's stack overflow (which guarded callbacks pass on). */
export function isStackOverflow(thrown: unknown): boolean {
  return thrown instanceof RangeError && thrown.message.includes('call stack')
}

/** A short, never-throwing description of a thrown value, for notes. */
export function describeThrown(thrown: unknown): string {
  try {
    if (thrown instanceof Error) return `${errorClass(thrown)}: ${thrown.message}`
    return String(thrown)
  } catch {
    return 'an unprintable value'
  }
}

/** A short, never-throwing rendering of a value, for labels and notes. */
export function preview(value: unknown, max = 40): string {
  let text: string
  try {
    if (typeof value === 'string') text = JSON.stringify(value)
    else if (typeof value === 'bigint') text = `${value}n`
    else if (typeof value === 'function') text = `[function ${value.name || 'anonymous'}]`
    else if (typeof value === 'symbol' || value === undefined) text = String(value)
    else text = JSON.stringify(value) ?? String(value)
  } catch {
    text = Array.isArray(value) ? '[…]' : '{…}'
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** An error's data as a plain record: its class, message and own enumerable properties. */
export function errorFields(error: Error): Record<string, unknown> {
  const fields: Record<string, unknown> = Object.create(null)
  fields.name = errorClass(error)
  fields.message = error.message
  for (const key of Object.keys(error)) {
    if (key !== 'name' && key !== 'message') fields[key] = (error as unknown as Record<string, unknown>)[key]
  }
  return fields
}
