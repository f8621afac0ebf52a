import type { ReceiverConfig } from '../../config/alerts.js'
import type { Notification } from '../notification.js'
import { alertmanagerAlerts } from './alertmanager.js'
import { logLine } from './log.js'
import { pagerDutyEvent } from './pagerduty.js'
import { slackMessage } from './slack.js'

/** How one delivery attempt went. */
export type SendResult =
  | { ok: true }
  | { ok: false; retryable: boolean; error: string; retryAfterMs?: number | undefined }

/** Deliver one notification once (no retries: the queue retries). */
export type Sender = (notification: Notification, signal: AbortSignal) => Promise<SendResult>

/** What senders need besides the receiver's own settings. */
export interface SendContext {
  dashboardUrl: () => string
  /** PagerDuty `payload.source` unless the receiver sets one. */
  source: string
  timeoutMs: number
  /** The `log` receiver's output (stdout by default). */
  writeLog: (line: string) => void
  now: () => number
}

/** The sender for a configured receiver. */
export function senderFor(receiver: ReceiverConfig, context: SendContext): Sender {
  switch (receiver.kind) {
    case 'pagerduty':
      return (notification, signal) =>
        postJson(
          receiver.url,
          pagerDutyEvent(notification, {
            routingKey: receiver.routingKey,
            source: receiver.source ?? context.source,
            dashboardUrl: context.dashboardUrl(),
          }),
          context.timeoutMs,
          signal,
          (status) => status >= 200 && status < 300, // 202 Accepted
        )
    case 'slack':
      return (notification, signal) =>
        postJson(
          receiver.webhookUrl,
          slackMessage(notification, context.dashboardUrl()),
          context.timeoutMs,
          signal,
          // Slack answers 200 with the body `ok`; anything else is an error message.
          (status, body) => status === 200 && body.trim() === 'ok',
        )
    case 'alertmanager':
      return (notification, signal) =>
        postJson(
          `${receiver.url}/api/v2/alerts`,
          alertmanagerAlerts(notification, context.dashboardUrl()),
          context.timeoutMs,
          signal,
          (status) => status >= 200 && status < 300,
        )
    case 'log':
      return async (notification) => {
        context.writeLog(logLine(notification, context.now()))
        return { ok: true }
      }
  }
}

/** POST a JSON body once and classify the answer. */
export async function postJson(
  url: string,
  body: unknown,
  timeoutMs: number,
  signal: AbortSignal,
  success: (status: number, body: string) => boolean,
): Promise<SendResult> {
  let response: Response
  let text: string
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'twinspan-collector' },
      body: JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
    })
    text = await response.text()
  } catch (error) {
    // Network errors and timeouts are worth another try; a shutdown is not, but the outbox keeps it.
    return { ok: false, retryable: !signal.aborted, error: `${url}: ${(error as Error).message}` }
  }
  return classifyResponse(response.status, text, response.headers.get('retry-after'), success, Date.now())
}

/** Success, or whether to retry: 429 and 5xx are retried (honouring `Retry-After`), other 4xx never. */
export function classifyResponse(
  status: number,
  body: string,
  retryAfter: string | null,
  success: (status: number, body: string) => boolean,
  now: number,
): SendResult {
  if (success(status, body)) return { ok: true }
  const error = `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`
  if (status === 429 || status >= 500)
    return { ok: false, retryable: true, error, retryAfterMs: parseRetryAfter(retryAfter, now) }
  return { ok: false, retryable: false, error }
}

/** `Retry-After` in ms: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined
  const text = value.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  const at = Date.parse(text)
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined
}
