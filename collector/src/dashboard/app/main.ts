/**
 * The dashboard shell: header (navigation, window, auto-refresh, token), hash routing, and one
 * render at a time. Pages fetch, build their DOM off-document, then replace the main region.
 */
import 'uplot/dist/uPlot.min.css'
import './styles.css'
import { alertsPage } from './alerts.js'
import { Unauthorized } from './api.js'
import { createCharts } from './charts.js'
import { h } from './dom.js'
import { experimentPage } from './experiment.js'
import { overviewPage } from './overview.js'
import type { PageContext } from './page.js'
import { forgetToken, readToken, saveToken } from './token.js'

const WINDOWS = ['15m', '1h', '24h', '7d'] as const
const REFRESH_MS = 30_000
const WINDOW_KEY = 'twinspan.window'

const state = {
  window: savedWindow(),
  autoRefresh: true,
  charts: createCharts(),
  generation: 0,
}

const main = h('main', { id: 'main', tabindex: '-1' })
const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' })
const nav = h(
  'nav',
  { 'aria-label': 'Pages' },
  h('a', { href: '#/', 'data-route': 'overview' }, 'Overview'),
  h('a', { href: '#/alerts', 'data-route': 'alerts' }, 'Alerts'),
)
const tokenButton = h(
  'button',
  {
    type: 'button',
    class: 'token-button',
    onclick: () => {
      forgetToken()
      void render()
    },
  },
  'Forget token',
)

document.body.append(
  h(
    'a',
    {
      class: 'skip',
      href: '#main',
      onclick: (event: Event) => {
        event.preventDefault()
        main.focus()
      },
    },
    'Skip to content',
  ),
  h(
    'header',
    { class: 'top' },
    h('p', { class: 'brand' }, h('a', { href: '#/' }, 'twinspan'), h('span', null, ' parity dashboard')),
    nav,
    h(
      'div',
      { class: 'controls' },
      h('label', { for: 'window' }, 'Window'),
      h(
        'select',
        {
          id: 'window',
          onchange: (event: Event) => {
            state.window = (event.target as HTMLSelectElement).value
            try {
              localStorage.setItem(WINDOW_KEY, state.window)
            } catch {}
            void render()
          },
        },
        WINDOWS.map((w) => h('option', { value: w, selected: w === state.window }, w)),
      ),
      h(
        'label',
        { class: 'check' },
        h('input', {
          type: 'checkbox',
          id: 'auto-refresh',
          checked: true,
          onchange: (event: Event) => {
            state.autoRefresh = (event.target as HTMLInputElement).checked
          },
        }),
        ' Auto-refresh (30 s)',
      ),
      tokenButton,
    ),
  ),
  main,
  h('footer', null, status),
)

window.addEventListener('hashchange', () => void render())
window.addEventListener('resize', () => state.charts.resize())
setInterval(() => {
  // Never pull the page from under someone reading a diff or filling in a form.
  const busy =
    document.querySelector('dialog[open]') !== null || document.activeElement?.closest('form') != null
  if (state.autoRefresh && !busy && document.visibilityState === 'visible') void render(true)
}, REFRESH_MS)
void render()

/** Render the page the hash names; a newer render wins over a slower older one. */
async function render(quiet = false): Promise<void> {
  const generation = ++state.generation
  const { page, name, params } = route()
  for (const link of nav.querySelectorAll('a')) {
    if (link.dataset.route === page) link.setAttribute('aria-current', 'page')
    else link.removeAttribute('aria-current')
  }
  tokenButton.hidden = readToken() === undefined
  main.setAttribute('aria-busy', 'true')
  if (!quiet) status.textContent = 'Loading…'
  const charts = createCharts()
  const ctx: PageContext = { window: state.window, charts, now: Date.now(), refresh: () => void render(true) }
  let content: HTMLElement
  try {
    content =
      page === 'experiment' && name !== undefined
        ? await experimentPage(ctx, name, params)
        : page === 'alerts'
          ? await alertsPage(ctx)
          : await overviewPage(ctx)
  } catch (error) {
    if (generation !== state.generation) return
    content = error instanceof Unauthorized ? tokenForm(error) : failure(error as Error)
  }
  if (generation !== state.generation) return
  state.charts.destroy()
  state.charts = charts
  main.replaceChildren(content)
  main.removeAttribute('aria-busy')
  charts.mount()
  document.title = `${main.querySelector('h1')?.textContent ?? 'twinspan'} · twinspan`
  status.textContent = content.classList.contains('token-form')
    ? 'Waiting for the API token'
    : `Updated ${new Date().toLocaleTimeString()}`
}

function route(): { page: 'overview' | 'experiment' | 'alerts'; name?: string; params: URLSearchParams } {
  const [path = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?', 2)
  const params = new URLSearchParams(query)
  const segments = path.split('/').filter(Boolean).map(safeDecode)
  if (segments[0] === 'experiments' && segments[1] !== undefined)
    return { page: 'experiment', name: segments[1], params }
  if (segments[0] === 'alerts') return { page: 'alerts', params }
  return { page: 'overview', params }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment
  }
}

function tokenForm(error: Unauthorized): HTMLElement {
  const input = h('input', {
    id: 'token',
    type: 'password',
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
  })
  const remember = h('input', { id: 'remember', type: 'checkbox' })
  const form = h(
    'form',
    { class: 'token-form', 'aria-labelledby': 'page-title' },
    h('h1', { id: 'page-title' }, 'API token required'),
    h(
      'p',
      { role: 'alert' },
      error.refused
        ? 'The collector refused the saved token. Enter the current one.'
        : 'This collector requires an API token (server.authToken) for its data.',
    ),
    h('p', { class: 'field' }, h('label', { for: 'token' }, 'API token'), ' ', input),
    h(
      'p',
      { class: 'field' },
      remember,
      ' ',
      h('label', { for: 'remember' }, 'Remember on this device (otherwise for this tab only)'),
    ),
    h('button', { type: 'submit' }, 'Use token'),
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    saveToken(input.value.trim(), remember.checked)
    void render()
  })
  queueMicrotask(() => input.focus())
  return form
}

function failure(error: Error): HTMLElement {
  return h(
    'section',
    { class: 'page failure' },
    h('h1', { id: 'page-title' }, 'Cannot show this page'),
    h('p', { role: 'alert' }, error.message),
    h('p', null, h('a', { href: '#/' }, 'Back to the overview')),
  )
}

function savedWindow(): string {
  try {
    const saved = localStorage.getItem(WINDOW_KEY)
    if (saved && (WINDOWS as readonly string[]).includes(saved)) return saved
  } catch {}
  return '1h'
}
