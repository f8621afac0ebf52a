import { summaryOf } from '../describe.js'
import type { Notification } from '../notification.js'
import { contentOf } from './content.js'
import { experimentLink, truncate } from './links.js'

/** A Slack incoming-webhook message: `text` (the notification fallback) plus Block Kit `blocks`. */
export interface SlackMessage {
  text: string
  blocks: SlackBlock[]
}

export type SlackBlock =
  | { type: 'header'; text: { type: 'plain_text'; text: string; emoji: boolean } }
  | { type: 'section'; text?: { type: 'mrkdwn'; text: string }; fields?: { type: 'mrkdwn'; text: string }[] }
  | { type: 'context'; elements: { type: 'mrkdwn'; text: string }[] }
  | { type: 'divider' }

// Block Kit limits: header 150 characters, section text 3000, a field 2000, at most 10 fields.
const HEADER_CHARS = 150
const SECTION_CHARS = 3000
const FIELD_CHARS = 2000
const LISTED_ALERTS = 10

/** The Slack message for a notification. */
export function slackMessage(notification: Notification, dashboardUrl: string): SlackMessage {
  const content = contentOf(notification)
  const firing = notification.status === 'firing'
  const mark = firing
    ? content.severity === 'critical'
      ? ':red_circle:'
      : ':large_orange_circle:'
    : ':white_check_mark:'
  const state = firing ? 'FIRING' : 'RESOLVED'
  const alerts = firing ? notification.firing : notification.resolved
  const count = firing ? notification.firingFingerprints.length : notification.resolvedFingerprints.length
  const lines = alerts.slice(0, LISTED_ALERTS).map((alert) => `• ${escapeMrkdwn(summaryOf(alert))}`)
  if (count > lines.length) lines.push(`…and ${count - lines.length} more`)
  if (firing && notification.resolvedFingerprints.length > 0)
    lines.push(`_${notification.resolvedFingerprints.length} resolved since the last message_`)

  const fields = [
    field('Severity', content.severity),
    field('Alerts', String(count)),
    ...(content.runs > 0 ? [field('Mismatched runs', String(content.runs))] : []),
    ...(content.paths.length > 0
      ? [
          field(
            'Top differing paths',
            content.paths
              .slice(0, 5)
              .map((p) => `\`${escapeMrkdwn(p.path)}\` (${p.count})`)
              .join('\n'),
          ),
        ]
      : []),
    ...Object.entries(notification.readiness).map(([experiment, readiness]) =>
      field(
        `Readiness · ${experiment}`,
        `${readiness.verdict}${readiness.reasons.length > 0 ? `: ${readiness.reasons.slice(0, 3).map(escapeMrkdwn).join('; ')}` : ''}`,
      ),
    ),
  ].slice(0, 10)

  const links = content.experiments.map(
    (experiment) =>
      `<${experimentLink(dashboardUrl, experiment)}|${escapeMrkdwn(experiment)} on the twinspan dashboard>`,
  )
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncate(
          `${state}: ${content.experiments.join(', ') || 'twinspan'} · ${content.severity}`,
          HEADER_CHARS,
        ),
        emoji: true,
      },
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: truncate(`${mark} ${lines.join('\n')}`, SECTION_CHARS) },
    },
    { type: 'section', fields },
  ]
  if (links.length > 0)
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: truncate(links.join(' · '), SECTION_CHARS) }],
    })
  return { text: truncate(`[${state}] ${content.title}`, SECTION_CHARS), blocks }
}

function field(name: string, value: string): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: truncate(`*${name}*\n${value}`, FIELD_CHARS) }
}

/** Slack's mrkdwn needs &, < and > escaped. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}
