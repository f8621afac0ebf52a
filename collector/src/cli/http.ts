import { DEFAULT_PORT } from '../config/config.js'

export interface ClientOptions {
  url?: string | undefined
  token?: string | undefined
}

/** GET a collector API path as JSON, with a clear error when the collector is unreachable or refuses. */
export async function fetchJson(path: string, options: ClientOptions): Promise<unknown> {
  const base = (options.url ?? process.env.TWINSPAN_URL ?? `http://127.0.0.1:${DEFAULT_PORT}`).replace(
    /\/+$/,
    '',
  )
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

/** Render rows as an aligned text table. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return `${[line(header), ...rows.map(line)].join('\n')}\n`
}
