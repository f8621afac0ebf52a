/**
 * Comparing HTTP responses on three axes, status, headers and body, as one value
 * `{ status, headers, body }` under the ordinary rules: header names are lower-cased, headers
 * that always differ between two servers are ignored, JSON bodies are parsed and compared
 * structurally, and a different status is critical. Two bodies with the same bytes under the
 * same content type are equal without being parsed: the common case of a parallel run, and
 * parsing is most of the cost.
 */

import { type Comparator, createComparator } from './comparator.js'
import { keySegment } from './paths.js'
import type { CompareOptions, Comparison, Rule, Rules } from './types.js'
import { bytesOf, isObject } from './values.js'

/** Headers as Node, fetch or a test give them: a record, a `Headers` or `Map`, or `[name, value]` pairs. */
export type HeadersLike =
  | Readonly<Record<string, string | number | readonly string[] | undefined | null>>
  | Iterable<readonly [string, string]>

/** A response as `compareHttp` reads it. `body` may be text, bytes (Buffer, Uint8Array, ArrayBuffer) or a parsed value. */
export interface HttpResponseLike {
  status: number | string
  headers?: HeadersLike
  body?: unknown
}

export interface HttpCompareOptions extends CompareOptions {
  /**
   * Header names (any case) never compared; replaces `DEFAULT_IGNORED_HEADERS`. To extend it:
   * `[...DEFAULT_IGNORED_HEADERS, 'x-build']`. Rules on `headers.<name>` work too.
   */
  ignoreHeaders?: readonly string[]
}

/**
 * Headers that differ between two servers answering the same request, or that are derived from
 * the body (which is compared itself): ignored unless `ignoreHeaders` says otherwise.
 */
export const DEFAULT_IGNORED_HEADERS: readonly string[] = Object.freeze([
  'age',
  'alt-svc',
  'cf-ray',
  'connection',
  'content-length',
  'date',
  'etag',
  'keep-alive',
  'nel',
  'report-to',
  'request-id',
  'server',
  'server-timing',
  'set-cookie',
  'traceparent',
  'tracestate',
  'transfer-encoding',
  'via',
  'x-amz-cf-id',
  'x-amzn-requestid',
  'x-amzn-trace-id',
  'x-b3-spanid',
  'x-b3-traceid',
  'x-cache',
  'x-correlation-id',
  'x-powered-by',
  'x-request-id',
  'x-response-time',
  'x-runtime',
  'x-trace-id',
])

const JSON_TYPE = /^[^;]*[/+]json\s*(?:;|$)/i
const TEXT_TYPE =
  /^\s*(?:text\/|[^;]*(?:[/+]xml|javascript|x-www-form-urlencoded|csv|yaml|graphql)\s*(?:;|$))/i

/** A comparator with its options compiled, and the header names they ignore. */
interface HttpComparator {
  readonly compare: Comparator
  readonly ignored: ReadonlySet<string>
}

const comparators = new WeakMap<HttpCompareOptions, HttpComparator>()
let defaultComparator: HttpComparator | undefined

function compiled(options: HttpCompareOptions): HttpComparator {
  return {
    compare: createComparator({ ...options, rules: httpRules(options) }),
    ignored: new Set((options.ignoreHeaders ?? DEFAULT_IGNORED_HEADERS).map((name) => name.toLowerCase())),
  }
}

/** Compare two HTTP responses: status (critical by default), headers (case-insensitive, noise ignored) and body. */
export function compareHttp(
  primary: HttpResponseLike,
  shadow: HttpResponseLike,
  options?: HttpCompareOptions,
): Comparison {
  let http: HttpComparator | undefined
  if (options === undefined) http = defaultComparator ??= compiled({})
  else {
    http = comparators.get(options)
    if (http === undefined) {
      http = compiled(options)
      comparators.set(options, http)
    }
  }
  const comparator = http.compare
  if (!isObject(primary) || !isObject(shadow)) return comparator(comparable(primary), comparable(shadow))
  // the same bytes, status and headers but for ignored ones, told without copying the headers
  if (plainlySame(primary, shadow, http.ignored))
    return { matches: true, severity: 'none', differences: [], truncated: 0 }
  const primaryHeaders = headersOf(primary.headers)
  const shadowHeaders = headersOf(shadow.headers)
  const primaryType = primaryHeaders['content-type'] ?? ''
  const shadowType = shadowHeaders['content-type'] ?? ''
  // the same bytes read as the same type are the same value, whatever the body rules say
  const same = primaryType === shadowType && sameBytes(primary.body, shadow.body)
  const primaryResponse = responseOf(
    primary,
    primaryHeaders,
    same ? undefined : bodyOf(primary.body, primaryType),
  )
  const shadowResponse = responseOf(shadow, shadowHeaders, same ? undefined : bodyOf(shadow.body, shadowType))
  // nothing differs but what is ignored: no rule can find a difference, so the walk is skipped
  if (
    same &&
    primaryResponse.status === shadowResponse.status &&
    sameHeaders(primaryHeaders, shadowHeaders, http.ignored)
  )
    return { matches: true, severity: 'none', differences: [], truncated: 0 }
  return comparator(primaryResponse, shadowResponse)
}

/** Built-in rules (status critical, ignored headers) with the user's rules merged over them. */
function httpRules(options: HttpCompareOptions): Rules {
  const rules: Record<string, Rule | 'ignore'> = Object.create(null)
  rules.status = { severity: 'critical' }
  for (const name of options.ignoreHeaders ?? DEFAULT_IGNORED_HEADERS) {
    rules[`headers${keySegment(name.toLowerCase(), false)}`] = 'ignore'
  }
  for (const [pattern, rule] of Object.entries(options.rules ?? {})) {
    const builtIn = rules[pattern]
    rules[pattern] =
      builtIn === undefined || builtIn === 'ignore' || rule === 'ignore' ? rule : { ...builtIn, ...rule }
  }
  return rules
}

/** The response as one value to compare; anything that is not a response is compared as it is. */
function comparable(response: HttpResponseLike): unknown {
  if (!isObject(response)) return response
  const headers = headersOf(response.headers)
  return responseOf(response, headers, bodyOf(response.body, headers['content-type'] ?? ''))
}

function responseOf(response: HttpResponseLike, headers: Record<string, string>, body: unknown) {
  const status =
    typeof response.status === 'string' && /^\d+$/.test(response.status)
      ? Number(response.status)
      : response.status
  return { status, headers, body }
}

/** Both bodies are text or bytes, and the same text or bytes; a parsed value is never "the same". */
function sameBytes(primary: unknown, shadow: unknown): boolean {
  if (typeof primary === 'string') return primary === shadow
  if (!isRaw(primary) || !isRaw(shadow)) return false
  // Buffers and other Uint8Arrays are compared as they are; other views and ArrayBuffers as bytes
  const a = primary instanceof Uint8Array ? primary : bytesOf(primary)
  const b = shadow instanceof Uint8Array ? shadow : bytesOf(shadow)
  return a.length === b.length && Buffer.compare(a, b) === 0
}

/**
 * True when the two responses are equal in every way a comparison looks at, told from the
 * values as given: number statuses, header records whose names are all lower case and whose
 * values are text (what a server framework and our own readers give), the same content type and
 * the same body bytes. False means "not told here": the full comparison decides.
 */
function plainlySame(
  primary: HttpResponseLike,
  shadow: HttpResponseLike,
  ignored: ReadonlySet<string>,
): boolean {
  if (typeof primary.status !== 'number' || primary.status !== shadow.status) return false
  const a = primary.headers
  const b = shadow.headers
  if (!isObject(a) || !isObject(b) || Symbol.iterator in a || Symbol.iterator in b) return false
  const first = a as Readonly<Record<string, unknown>>
  const second = b as Readonly<Record<string, unknown>>
  if ((first['content-type'] ?? '') !== (second['content-type'] ?? '')) return false
  return (
    lowerTextSubset(first, second, ignored, true) &&
    lowerTextSubset(second, first, ignored, false) &&
    sameBytes(primary.body, shadow.body)
  )
}

/**
 * Every header of `from` not ignored is lower-case text and, with `equal`, has the same value in
 * `to`, else is at least present there. False on anything else (the full comparison decides).
 */
function lowerTextSubset(
  from: Readonly<Record<string, unknown>>,
  to: Readonly<Record<string, unknown>>,
  ignored: ReadonlySet<string>,
  equal: boolean,
): boolean {
  for (const name in from) {
    if (!Object.hasOwn(from, name)) return false
    const value = from[name]
    if (value === undefined || value === null || ignored.has(name)) continue
    if (typeof value !== 'string' || name.toLowerCase() !== name) return false
    const other = to[name]
    if (equal ? value !== other : other === undefined || other === null) return false
  }
  return true
}

/** The same headers, but for those ignored. */
function sameHeaders(
  primary: Record<string, string>,
  shadow: Record<string, string>,
  ignored: ReadonlySet<string>,
): boolean {
  for (const name in primary) if (!ignored.has(name) && primary[name] !== shadow[name]) return false
  for (const name in shadow) if (!ignored.has(name) && !(name in primary)) return false
  return true
}

function isRaw(body: unknown): body is ArrayBufferView | ArrayBuffer {
  return isObject(body) && (ArrayBuffer.isView(body) || body instanceof ArrayBuffer)
}

function headersOf(headers: HeadersLike | undefined): Record<string, string> {
  const result: Record<string, string> = Object.create(null)
  if (!isObject(headers)) return result
  if (Symbol.iterator in headers) {
    for (const [name, value] of headers as Iterable<readonly [string, unknown]>)
      addHeader(result, name, value)
    return result
  }
  // a record (the usual case): its own enumerable names, without an array of entries per call
  const record = headers as Readonly<Record<string, unknown>>
  for (const name in record) if (Object.hasOwn(record, name)) addHeader(result, name, record[name])
  return result
}

function addHeader(result: Record<string, string>, name: string, value: unknown): void {
  if (value === undefined || value === null) return
  const key = String(name).toLowerCase()
  const text =
    typeof value === 'string' ? value : Array.isArray(value) ? value.map(String).join(', ') : String(value)
  const earlier = result[key]
  result[key] = earlier === undefined ? text : `${earlier}, ${text}`
}

// Bodies: empty is absent; bytes are decoded when the type is textual and the bytes are UTF-8,
// else kept as bytes (compared as one value); JSON types are parsed, falling back to text.
function bodyOf(body: unknown, contentType: string): unknown {
  if (body === undefined || body === null) return undefined
  const json = JSON_TYPE.test(contentType)
  let text: string
  if (typeof body === 'string') text = body
  else if (isRaw(body)) {
    const bytes = bytesOf(body)
    if (bytes.length === 0) return undefined
    if (!json && contentType !== '' && !TEXT_TYPE.test(contentType)) return bytes
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch {
      return bytes
    }
  } else return body
  if (text === '') return undefined
  if (!json) return text
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
