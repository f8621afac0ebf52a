import type { Labels } from './labels.js'

/** One label matcher, Alertmanager's `name="value"`, `name!="value"`, `name=~"re"`, `name!~"re"`. */
export interface Matcher {
  name: string
  value: string
  /** `=~` / `!~`: the value is a regular expression anchored at both ends. */
  isRegex: boolean
  /** `=` / `=~` (true) or `!=` / `!~` (false). */
  isEqual: boolean
}

/** A matcher that cannot be parsed; the message says what is wrong with it. */
export class MatcherError extends Error {
  override name = 'MatcherError'
}

const MATCHER = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s

/** Parse one matcher such as `severity="critical"`, `severity=~"major|minor"` or `team!=payments`. */
export function parseMatcher(text: string): Matcher {
  const match = MATCHER.exec(text)
  if (!match) {
    throw new MatcherError(
      `${JSON.stringify(text)} is not a matcher: write name="value" (or !=, =~ for a regex, !~)`,
    )
  }
  const [, name, operator, rawValue] = match as unknown as [string, string, string, string]
  const value = unquote(rawValue, text)
  const matcher = { name, value, isRegex: operator.includes('~'), isEqual: !operator.startsWith('!') }
  if (matcher.isRegex) compile(matcher) // fail early on a bad regex
  return matcher
}

/** Parse `{a="1", b=~"x|y"}` or `a="1", b=~"x|y"`: several matchers, commas outside quotes separate them. */
export function parseMatchers(text: string): Matcher[] {
  let body = text.trim()
  if (body.startsWith('{') && body.endsWith('}')) body = body.slice(1, -1)
  const parts: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < body.length; i++) {
    const char = body[i] as string
    if (quoted && char === '\\') {
      current += char + (body[++i] ?? '')
      continue
    }
    if (char === '"') quoted = !quoted
    if (char === ',' && !quoted) {
      parts.push(current)
      current = ''
      continue
    }
    current += char
  }
  if (current.trim() !== '') parts.push(current)
  return parts.map(parseMatcher)
}

function unquote(raw: string, text: string): string {
  if (!raw.startsWith('"')) {
    if (raw.includes('"'))
      throw new MatcherError(`${JSON.stringify(text)}: a value with quotes must be quoted whole`)
    return raw
  }
  if (raw.length < 2 || !raw.endsWith('"')) {
    throw new MatcherError(`${JSON.stringify(text)}: unterminated quoted value`)
  }
  try {
    return JSON.parse(raw) as string
  } catch {
    throw new MatcherError(`${JSON.stringify(text)}: bad escape in the quoted value`)
  }
}

const compiled = new Map<string, RegExp>()

function compile(matcher: Matcher): RegExp {
  let regex = compiled.get(matcher.value)
  if (regex === undefined) {
    try {
      regex = new RegExp(`^(?:${matcher.value})$`, 's')
    } catch (error) {
      throw new MatcherError(`${matcher.name}=~${JSON.stringify(matcher.value)}: ${(error as Error).message}`)
    }
    if (compiled.size > 1000) compiled.clear()
    compiled.set(matcher.value, regex)
  }
  return regex
}

/** Whether one matcher holds for a label set; an absent label reads as the empty string. */
export function matchesOne(matcher: Matcher, labels: Labels): boolean {
  const value = labels[matcher.name] ?? ''
  const hit = matcher.isRegex ? compile(matcher).test(value) : value === matcher.value
  return hit === matcher.isEqual
}

/** Whether every matcher holds (an empty list matches everything). */
export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  return matchers.every((matcher) => matchesOne(matcher, labels))
}

/** A matcher written back, e.g. `severity=~"major|minor"`. */
export function formatMatcher(matcher: Matcher): string {
  const operator = matcher.isRegex ? (matcher.isEqual ? '=~' : '!~') : matcher.isEqual ? '=' : '!='
  return `${matcher.name}${operator}${JSON.stringify(matcher.value)}`
}
