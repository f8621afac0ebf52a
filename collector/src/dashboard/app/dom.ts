/**
 * The one way this page makes DOM. Text goes in as text nodes and attributes through setAttribute:
 * values read from spans (paths, operations, differences) may hold HTML and must never be parsed.
 * Nothing here touches innerHTML.
 */

export type Child = Node | string | number | null | undefined | false
type Listener = (event: Event) => void
export type Attributes = Record<string, string | number | boolean | null | undefined | Listener>

/** Create an element: `h('a', { href: '#/' }, 'Overview')`. Strings become text, never markup. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes?: Attributes | null,
  ...children: (Child | readonly Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue
    if (typeof value === 'function') {
      if (!name.startsWith('on')) throw new Error(`h: ${name} is not an event`)
      element.addEventListener(name.slice(2).toLowerCase(), value)
      continue
    }
    // Inline handlers would be markup run as script; events are only ever listeners (above).
    if (name.toLowerCase().startsWith('on')) throw new Error(`h: inline handler ${name} refused`)
    element.setAttribute(name, value === true ? '' : String(value))
  }
  append(element, children)
  return element
}

/** Append children (text or nodes, arrays flattened, empty values skipped). */
export function append(parent: Node, children: readonly (Child | readonly Child[])[]): void {
  for (const child of children) {
    if (Array.isArray(child)) append(parent, child)
    else if (child instanceof Node) parent.appendChild(child)
    else if (child !== null && child !== undefined && child !== false)
      parent.appendChild(document.createTextNode(String(child)))
  }
}

/** A table with a caption, header cells with scope and one row per entry. */
export function table(caption: string, headers: readonly string[], rows: readonly (readonly Child[])[]) {
  return h(
    'table',
    null,
    h('caption', null, caption),
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        headers.map((header) => h('th', { scope: 'col' }, header)),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((cells) =>
        h(
          'tr',
          null,
          cells.map((cell) =>
            cell instanceof HTMLElement && cell.tagName === 'TD' ? cell : h('td', null, cell),
          ),
        ),
      ),
    ),
  )
}

/** An in-page link to a route, e.g. `#/experiments/checkout` (names are URI-encoded). */
export function routeHref(...segments: string[]): string {
  return `#/${segments.map(encodeURIComponent).join('/')}`
}
