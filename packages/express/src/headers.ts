/**
 * Headers on both legs: what the candidate is sent (the client's headers minus those that belong to
 * one connection, plus the mirror marker) and what is compared (each response's headers minus the
 * same connection-level ones, so both sides are read alike).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'

/** Marks every mirrored request, so the candidate can recognise (and, say, not bill) mirrored traffic. */
export const SHADOW_HEADER = 'x-twinspan-shadow'

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1, and the older ones still seen) describe one connection, not
 * the message: never forwarded, never compared. `expect` is dropped too: the mirrored body is sent
 * at once, so there is nothing to wait for.
 */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
])

/** Headers the mirrored request computes for itself. */
const COMPUTED: ReadonlySet<string> = new Set(['host', 'content-length', 'expect'])

const NONE: readonly string[] = Object.freeze([])

/** Headers a `Connection` header names as hop-by-hop for this message (`Connection: close, x-foo`). */
function connectionListed(connection: string | string[] | undefined): readonly string[] {
  // the usual values name no header to drop: skip the parsing
  if (connection === undefined || connection === 'keep-alive' || connection === 'close') return NONE
  const text = Array.isArray(connection) ? connection.join(',') : connection
  return text
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== '')
}

/**
 * The headers the candidate gets: the client's, minus hop-by-hop ones and those computed for the
 * new message (`host`, `content-length`, `expect`), plus `x-forwarded-host` (the client's host,
 * unless already set) and `x-twinspan-shadow: 1`.
 */
export function mirroredHeaders(
  incoming: IncomingHttpHeaders,
  candidateHost: string,
  drop: readonly string[] = [],
): OutgoingHttpHeaders {
  const listed = connectionListed(incoming.connection)
  const headers: OutgoingHttpHeaders = {}
  for (const name in incoming) {
    const value = incoming[name]
    if (value === undefined || HOP_BY_HOP.has(name) || COMPUTED.has(name)) continue
    if (listed.includes(name) || drop.includes(name)) continue
    headers[name] = value
  }
  if (incoming.host !== undefined && headers['x-forwarded-host'] === undefined)
    headers['x-forwarded-host'] = incoming.host
  headers.host = candidateHost
  headers[SHADOW_HEADER] = '1'
  return headers
}

/** Marks a value that cannot be written on one header line (a line break or NUL in it). */
const LINE_BREAK = /[\r\n\0]/

/**
 * The same headers as {@link mirroredHeaders}, written out as the request's header lines
 * (`name: value\r\n`, one per value of a list), without building the object first. `extra`
 * (the trace context a propagator injected) replaces a header of the same name. A value holding
 * a line break is left out.
 */
export function mirroredHeaderLines(
  incoming: IncomingHttpHeaders,
  candidateHost: string,
  drop: readonly string[],
  extra: Readonly<Record<string, string>>,
): string {
  const listed = connectionListed(incoming.connection)
  let lines = ''
  let forwarded = false
  for (const name in incoming) {
    const value = incoming[name]
    if (value === undefined || HOP_BY_HOP.has(name) || COMPUTED.has(name) || name === SHADOW_HEADER) continue
    if (listed.includes(name) || drop.includes(name) || extra[name] !== undefined) continue
    if (name === 'x-forwarded-host') forwarded = true
    lines += headerLines(name, value)
  }
  if (!forwarded && incoming.host !== undefined && extra['x-forwarded-host'] === undefined)
    lines += headerLines('x-forwarded-host', incoming.host)
  if (extra.host === undefined) lines += headerLines('host', candidateHost)
  if (extra[SHADOW_HEADER] === undefined) lines += `${SHADOW_HEADER}: 1\r\n`
  for (const name in extra) lines += headerLines(name, extra[name] as string)
  return lines
}

function headerLines(name: string, value: string | readonly string[]): string {
  if (typeof value === 'string') return LINE_BREAK.test(value) ? '' : `${name}: ${value}\r\n`
  let lines = ''
  for (const item of value) if (!LINE_BREAK.test(item)) lines += `${name}: ${item}\r\n`
  return lines
}

/** Response headers as compared: lower-case names, text values, connection-level headers removed. */
export function comparableHeaders(
  headers: Readonly<Record<string, string | number | readonly string[] | undefined>>,
): Record<string, string | string[]> {
  const listed = connectionListed(textOf(headers.connection))
  const result: Record<string, string | string[]> = {}
  for (const rawName in headers) {
    const value = headers[rawName]
    const name = rawName.toLowerCase()
    if (value === undefined || HOP_BY_HOP.has(name) || listed.includes(name)) continue
    result[name] = Array.isArray(value) ? value.map(String) : String(value)
  }
  return result
}

function textOf(value: string | number | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(',') : String(value)
}
