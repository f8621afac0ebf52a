/** Alerts: what is firing, who was told and when, and the silences (create and expire). */
import { ApiError, apiPath, optional, request } from './api.js'
import { h, table } from './dom.js'
import { ago, count, utc } from './format.js'
import { alertTitle, type PageContext, severityBadge, severityOf } from './page.js'
import type {
  ActiveAlert,
  AlertList,
  AlertNotification,
  Silence,
  SilenceList,
  SilenceMatcher,
} from './types.js'

const DURATIONS = [
  ['1h', 3_600_000],
  ['4h', 4 * 3_600_000],
  ['24h', 86_400_000],
  ['7d', 7 * 86_400_000],
] as const

/** The alerts page; without alerting on the collector (404) it says so instead of failing. */
export async function alertsPage(ctx: PageContext): Promise<HTMLElement> {
  const [alerts, silences] = await Promise.all([
    optional<AlertList>(apiPath(['alerts'])),
    optional<SilenceList>(apiPath(['silences'])),
  ])
  const page = h(
    'section',
    { class: 'page alerts', 'aria-labelledby': 'page-title' },
    h('h1', { id: 'page-title' }, 'Alerts'),
  )
  if (alerts === null) {
    page.append(
      h(
        'p',
        { class: 'notice', 'data-alerting': 'absent' },
        'Alerting is not configured on this collector: it has no alert routes (GET /api/alerts answered 404). ',
        'Add an alerts section (receivers and a route) to the collector’s config to page on critical differences.',
      ),
    )
    return page
  }
  page.append(
    h('h2', null, 'Active alerts'),
    activeAlerts(alerts.alerts, ctx.now),
    h('h2', null, 'Receivers'),
    receivers(alerts),
    h('h2', null, 'Silences'),
    silences === null
      ? h('p', { class: 'notice' }, 'This collector does not offer silences.')
      : silenceTable(silences.silences, ctx),
    silences === null ? '' : silenceForm(ctx),
  )
  return page
}

function activeAlerts(alerts: readonly ActiveAlert[], now: number): HTMLElement {
  if (alerts.length === 0) return h('p', { class: 'empty', 'data-alerts': '0' }, 'Nothing is firing.')
  return table(
    `${count(alerts.length)} active alerts`,
    ['Severity', 'Experiment', 'Alert', 'Since', 'Receivers', 'Last notification', 'State'],
    alerts.map((alert) => [
      severityBadge(severityOf(alert)),
      alert.labels.experiment ?? '—',
      h('span', null, alertTitle(alert), h('br'), h('small', { class: 'labels' }, labelText(alert.labels))),
      alert.startsAt ? `${ago(alert.startsAt, now)} (${utc(alert.startsAt)})` : '—',
      receiverNames(alert).join(', ') || '—',
      notificationText(alert, now),
      stateOf(alert),
    ]),
  )
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}="${value}"`)
    .join(', ')
}

function receiverNames(alert: ActiveAlert): string[] {
  const names = (alert.receivers ?? []).map((r) => (typeof r === 'string' ? r : r.name))
  if (alert.receiver && !names.includes(alert.receiver)) names.push(alert.receiver)
  return names
}

function notificationText(alert: ActiveAlert, now: number): string {
  const last: AlertNotification | null | undefined = alert.lastNotification
  const at = last?.at ?? last?.time ?? alert.lastNotifiedAt ?? undefined
  if (!last && !at) return 'not notified yet'
  const parts = [
    at ? ago(at, now) : undefined,
    last?.receiver ? `to ${last.receiver}` : undefined,
    last?.action,
    last?.status,
  ]
  if (last?.error) parts.push(`error: ${last.error}`)
  return parts.filter(Boolean).join(' · ')
}

function stateOf(alert: ActiveAlert): string {
  if (alert.silenced) return 'silenced'
  if (alert.inhibited) return 'inhibited'
  const status = typeof alert.status === 'string' ? alert.status : alert.status?.state
  return alert.state ?? status ?? 'firing'
}

function receivers(alerts: AlertList): HTMLElement {
  const names = new Set<string>()
  for (const r of alerts.receivers ?? []) names.add(typeof r === 'string' ? r : r.name)
  for (const alert of alerts.alerts) for (const name of receiverNames(alert)) names.add(name)
  if (names.size === 0) return h('p', { class: 'empty' }, 'No receivers reported.')
  return h(
    'ul',
    { class: 'receivers' },
    [...names].map((name) => h('li', null, name)),
  )
}

function silenceTable(silences: readonly Silence[], ctx: PageContext): HTMLElement {
  const active = silences.filter((silence) => silenceState(silence) !== 'expired')
  if (active.length === 0) return h('p', { class: 'empty', 'data-silences': '0' }, 'No active silences.')
  return table(
    `${count(active.length)} silences`,
    ['Matchers', 'Created by', 'Comment', 'Ends', 'State', ''],
    active.map((silence) => [
      h('code', null, silence.matchers.map(matcherText).join(', ')),
      silence.createdBy ?? '—',
      silence.comment ?? '—',
      silence.endsAt ? utc(silence.endsAt) : '—',
      silenceState(silence),
      h(
        'button',
        {
          type: 'button',
          'aria-label': `Expire silence ${silence.id}`,
          onclick: async (event: Event) => {
            const button = event.currentTarget as HTMLButtonElement
            button.disabled = true
            try {
              await request(apiPath(['silences', silence.id]), { method: 'DELETE' })
              ctx.refresh()
            } catch (error) {
              button.disabled = false
              button.after(h('span', { class: 'error', role: 'alert' }, ` ${(error as Error).message}`))
            }
          },
        },
        'Expire',
      ),
    ]),
  )
}

function silenceState(silence: Silence): string {
  const status = typeof silence.status === 'string' ? silence.status : silence.status?.state
  return silence.state ?? status ?? 'active'
}

function matcherText(matcher: SilenceMatcher | string): string {
  if (typeof matcher === 'string') return matcher
  const operator = matcher.isRegex
    ? matcher.isEqual === false
      ? '!~'
      : '=~'
    : matcher.isEqual === false
      ? '!='
      : '='
  return `${matcher.name}${operator}${JSON.stringify(matcher.value)}`
}

function silenceForm(ctx: PageContext): HTMLElement {
  const status = h('p', { class: 'form-status', role: 'status' })
  const form = h(
    'form',
    { class: 'silence-form', 'aria-labelledby': 'silence-form-title' },
    h('h3', { id: 'silence-form-title' }, 'New silence'),
    field(
      'silence-matchers',
      'Matchers',
      h('input', {
        id: 'silence-matchers',
        name: 'matchers',
        required: true,
        placeholder: 'experiment="checkout", severity="major"',
        size: 48,
      }),
    ),
    field(
      'silence-duration',
      'For',
      h(
        'select',
        { id: 'silence-duration', name: 'duration' },
        DURATIONS.map(([label]) => h('option', { value: label, selected: label === '4h' }, label)),
      ),
    ),
    field(
      'silence-creator',
      'Created by',
      h('input', { id: 'silence-creator', name: 'createdBy', required: true, autocomplete: 'name' }),
    ),
    field(
      'silence-comment',
      'Comment',
      h('input', { id: 'silence-comment', name: 'comment', required: true, size: 48 }),
    ),
    h('button', { type: 'submit' }, 'Create silence'),
    status,
  )
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const values = new FormData(form)
    const text = (name: string) => String(values.get(name) ?? '').trim()
    const duration = DURATIONS.find(([label]) => label === text('duration'))?.[1] ?? DURATIONS[1][1]
    const startsAt = new Date()
    try {
      await request(apiPath(['silences']), {
        method: 'POST',
        body: {
          matchers: splitMatchers(text('matchers')),
          createdBy: text('createdBy'),
          comment: text('comment'),
          startsAt: startsAt.toISOString(),
          endsAt: new Date(startsAt.getTime() + duration).toISOString(),
        },
      })
      ctx.refresh()
    } catch (error) {
      status.textContent = error instanceof ApiError ? `Not created: ${error.message}` : String(error)
    }
  })
  return form
}

function field(id: string, label: string, control: HTMLElement): HTMLElement {
  return h('p', { class: 'field' }, h('label', { for: id }, label), ' ', control)
}

/** `a="1", b=~"x"` → `['a="1"', 'b=~"x"']`: commas outside quotes separate; the collector parses each. */
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
  if (current.trim() !== '') parts.push(current.trim())
  return parts.filter((part) => part !== '')
}
