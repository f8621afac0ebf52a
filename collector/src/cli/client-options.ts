/** The options every command that talks to a running collector takes. */
export const CLIENT_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const

/** The one experiment name a command takes. */
export function experimentName(command: string, positionals: string[]): string {
  const [name] = positionals
  if (positionals.length !== 1 || name === undefined || name === '') {
    throw new Error(`usage: twinspan ${command} <experiment> [options] (see twinspan --help)`)
  }
  return name
}

/** Print a body as indented JSON. */
export function printJson(body: unknown): void {
  process.stdout.write(`${JSON.stringify(body, null, 2)}\n`)
}
