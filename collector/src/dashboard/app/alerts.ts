/** Alerts: what is firing, who was told and when, the receivers, and silences (create and expire). */
import { ApiError, apiPath, optional, request } from './api.js'
import { h, routeHref, table } from './dom.js'
import { ago, count, plural, utc } from './format.js'
import { alertTitle, byUrgency, type PageContext, severityBadge, severityOf, suppression } from './page.js'
import { splitMatchers } from './silence-matchers.js'
import type {
  AlertsStatus,
  AlertView,
  NotificationView,
  ReceiverView,
  SilenceList,
  SilenceView,
} from './types.js'

const DURATIONS = ['1h', '4h', '24h', '7d'] as const

/** The alerts page; without alerting on the collector (404) it says so instead of failing. */
export async function alertsPage(ctx: PageContext): Promise<HTMLElement> {
  const [alerts, silences] = await Promise.all([
    optional<AlertsStatus>(apiPath(['alerts'])),
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
        'Alerting is not configured on this collector (GET /api/alerts answered 404: alerts.enabled is false). ',
        'Enable the alerts section of the collector’s config to route critical differences to PagerDuty, major ones to Slack.',
      ),
    )
    return page
  }
  page.append(
    h('h2', null, 'Active alerts'),
    activeAlerts(alerts.alerts, ctx.now),
    alerts.droppedAlerts > 0
      ? h(
          'p',
          { class: 'notice' },
          `${plural(alerts.droppedAlerts, 'alert')} dropped: alerts.maxActiveAlerts were already held.`,
        )
      : '',
    h('h2', null, 'Receivers'),
    receiverTable(alerts.receivers),
    h('h2', null, 'Silences'),
    silences === null
      ? h('p', { class: 'notice' }, 'This collector does not offer silences.')
      : silenceTable(silences.silences, ctx),
    silences === null ? '' : silenceForm(ctx),
  )
  return page
}

function activeAlerts(alerts: readonly AlertView[], now: number): HTMLElement {
  if (alerts.length === 0) return h('p', { class: 'empty', 'data-alerts': '0' }, 'Nothing is firing.')
  return table(
    `${plural(alerts.length, 'firing alert')}, those still notifying and most severe first`,
    ['Severity', 'Experiment', 'Alert', 'Since', 'Receivers', 'Last notification', 'State'],
    [...alerts]
      .sort(byUrgency)
      .map((alert) => [
        severityBadge(severityOf(alert)),
        alert.labels.experiment
          ? h('a', { href: routeHref('experiments', alert.labels.experiment) }, alert.labels.experiment)
          : '—',
        h('span', null, alertTitle(alert), h('br'), h('small', { class: 'labels' }, labelText(alert.labels))),
        h('span', { title: utc(alert.startsAt) }, ago(alert.startsAt, now)),
        alert.receivers.map((r) => `${r.name} (${r.kind})${r.pending ? ', sending' : ''}`).join('; ') || '—',
        notificationText(alert.lastNotification, now),
        alert.state === 'active' ? 'active' : `suppressed: ${suppression(alert)}`,
      ]),
  )
}

function labelText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(', ')
}

function notificationText(last: NotificationView | null, now: number): string {
  if (last === null) return 'not notified yet'
  return `${ago(last.at, now)} to ${last.receiver}: ${last.action} (${last.reason})`
}

function receiverTable(receivers: readonly ReceiverView[]): HTMLElement {
  if (receivers.length === 0) return h('p', { class: 'empty' }, 'No receivers configured.')
  return table(
    'Receivers and their delivery queues',
    ['Receiver', 'Kind', 'Sent', 'Retries', 'Failed', 'Dropped', 'Queued'],
    receivers.map((r) => [
      r.name,
      r.kind,
      count(r.sent),
      count(r.retries),
      count(r.failed),
      count(r.dropped),
      count(r.queued),
    ]),
  )
}

function silenceTable(silences: readonly SilenceView[], ctx: PageContext): HTMLElement {
  const current = silences.filter((silence) => silence.status.state !== 'expired')
  const expired = silences.length - current.length
  if (current.length === 0) {
    return h(
      'p',
      { class: 'empty', 'data-silences': '0' },
      `No active silences${expired ? ` (${count(expired)} expired)` : ''}.`,
    )
  }
  return table(
    `${plural(current.length, 'silence')}${expired ? ` (and ${count(expired)} expired, not shown)` : ''}`,
    ['Matchers', 'Created by', 'Comment', 'Ends', 'State', ''],
    current.map((silence) => [
      h('code', null, silence.matchers.map((matcher) => matcher.text).join(', ')),
      silence.createdBy,
      silence.comment,
      `${utc(silence.endsAt)}`,
      silence.status.state,
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
        'aria-describedby': 'silence-matchers-help',
      }),
    ),
    h(
      'p',
      { id: 'silence-matchers-help', class: 'note' },
      'Label matchers as in Alertmanager: name="value", name!="value", name=~"regex", separated by commas.',
    ),
    field(
      'silence-duration',
      'For',
      h(
        'select',
        { id: 'silence-duration', name: 'duration' },
        DURATIONS.map((label) => h('option', { value: label, selected: label === '4h' }, label)),
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
    status.textContent = 'Creating…'
    try {
      await request(apiPath(['silences']), {
        method: 'POST',
        body: {
          matchers: splitMatchers(text('matchers')),
          createdBy: text('createdBy'),
          comment: text('comment'),
          // A duration, not an end time: the collector's clock decides, whatever this browser's says.
          duration: text('duration'),
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
