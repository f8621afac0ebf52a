/** Matcher text as typed into the silence form. Pure (no DOM), unit-tested without a browser. */

/** `a="1", b=~"x,y"` → `['a="1"', 'b=~"x,y"']`: commas outside quotes separate; the collector parses each. */
export function splitMatchers(text: string): string[] {
  const body = text.trim().replace(/^\{([\s\S]*)\}$/, '$1')
  const parts: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < body.length; i++) {
    const char = body[i] as string
    if (quoted && char === '\\') {
      current += char + (body[i + 1] ?? '')
      i++
    } else if (char === ',' && !quoted) {
      parts.push(current.trim())
      current = ''
    } else {
      if (char === '"') quoted = !quoted
      current += char
    }
  }
  parts.push(current.trim())
  return parts.filter((part) => part !== '')
}
