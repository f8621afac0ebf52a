/** The collector's JSON API, called relative to the page so a reverse-proxy prefix keeps working. */
import { readToken } from './token.js'

/** An API answer other than 2xx, with the collector's own message. */
export class ApiError extends Error {
  override name = 'ApiError'
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** A 401: the collector wants a (different) token. */
export class Unauthorized extends ApiError {
  override name = 'Unauthorized'
  /** Whether a token was sent and refused, rather than missing. */
  readonly refused = readToken() !== undefined
}

/** Path and query of an API route, e.g. `api('experiments', name, 'parity', { window: '1h' })`. */
export function apiPath(segments: readonly string[], query: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, value)
  const text = search.toString()
  return `api/${segments.map(encodeURIComponent).join('/')}${text ? `?${text}` : ''}`
}

/** Call the API; JSON in and out. Throws {@link Unauthorized} on 401 and {@link ApiError} otherwise. */
export async function request<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  const token = readToken()
  if (token !== undefined) headers.authorization = `Bearer ${token}`
  if (init.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? null : JSON.stringify(init.body),
    cache: 'no-store',
  })
  const text = await response.text()
  if (response.status === 401) throw new Unauthorized(401, messageOf(text) ?? 'an API token is required')
  if (!response.ok)
    throw new ApiError(response.status, messageOf(text) ?? `${response.status} ${response.statusText}`)
  return (text === '' ? undefined : JSON.parse(text)) as T
}

/** GET a route; a 404 is `null` (used for optional features such as alerting). */
export async function optional<T>(path: string): Promise<T | null> {
  try {
    return await request<T>(path)
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null
    throw error
  }
}

function messageOf(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown }
    return typeof body.error === 'string' ? body.error : undefined
  } catch {
    return undefined
  }
}
