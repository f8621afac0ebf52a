import { DEFAULT_PORT } from '../config/config.js'

export interface ClientOptions {
  url?: string | undefined
  token?: string | undefined
}

/** The collector's base URL: `--url`, else `TWINSPAN_URL`, else the local default. */
export function collectorUrl(options: ClientOptions): string {
  return (options.url ?? process.env.TWINSPAN_URL ?? `http://127.0.0.1:${DEFAULT_PORT}`).replace(/\/+$/, '')
}

/** An API path with its query string; undefined values are left out. */
export function apiPath(path: string, query: Record<string, string | undefined> = {}): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) if (value !== undefined) search.set(key, value)
  const text = search.toString()
  return text === '' ? path : `${path}?${text}`
}

/** GET a collector API path as JSON, with a clear error when the collector is unreachable or refuses. */
export async function fetchJson(path: string, options: ClientOptions): Promise<unknown> {
  const base = collectorUrl(options)
  const token = options.token ?? process.env.TWINSPAN_TOKEN
  let response: Response
  try {
    response = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
  } catch (error) {
    throw new Error(
      `cannot reach the collector at ${base} (${(error as Error).message}); is \`twinspan serve\` running?`,
    )
  }
  const text = await response.text()
  if (!response.ok) {
    let message = text
    try {
      message = (JSON.parse(text) as { error?: string }).error ?? text
    } catch {}
    throw new Error(`${base}${path} answered ${response.status}: ${message}`)
  }
  return JSON.parse(text)
}
