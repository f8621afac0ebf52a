import { hostname } from 'node:os'
import { join } from 'node:path'
import type { AlertsConfig } from '../config/alerts.js'
import type { ExperimentsConfig } from '../config/experiments.js'
import type { IngestedRun } from '../ingest/runs.js'
import type { Store } from '../store/client.js'
import { isFiring } from './alert.js'
import { DeliveryQueue } from './delivery/queue.js'
import { Dispatcher } from './dispatcher.js'
import { evaluateRules } from './evaluator.js'
import type { Notification } from './notification.js'
import { senderFor } from './receivers/send.js'
import { READINESS_ALERT_NAME } from './rule-alerts.js'
import { runAlerts } from './run-alerts.js'
import { expireSilence, newSilence, SilenceError, silenceState } from './silences.js'
import { StateFile } from './state-file.js'
import { type AlertsStatus, alertsStatus, type SilenceView, silenceView } from './status.js'

export interface AlertingOptions {
  config: AlertsConfig
  experiments: ExperimentsConfig
  store: Store
  /** The collector's data directory: the alert state lives in `<dataDir>/alerts/state.json`. */
  dataDir: string
  now?: () => number
  /** The `log` receiver's output; stdout by default. */
  writeLog?: (line: string) => void
  /** Problems (a receiver failing, a rule evaluation failing); stderr by default. */
  report?: (message: string) => void
  random?: () => number
}

/** Counts for /metrics. */
export interface AlertingMetrics {
  receivers: {
    name: string
    sent: number
    failed: number
    dropped: number
    retries: number
    queued: number
  }[]
  /** Firing alerts held. */
  active: number
  droppedAlerts: number
}

/** The alert engine of a collector: run alerts from ingest, rule alerts from the store, notifications out. */
export interface Alerting {
  /** Ingest's `onRuns`: compared runs, once durable. */
  onRuns(runs: IngestedRun[]): void
  /** Start the timers, the rule evaluator, and re-send what the outbox held at the last stop. */
  start(collectorUrl: string): void
  /** Evaluate the rules now (the evaluator also does this every `alerts.rules.evaluateEvery`). */
  evaluate(): Promise<void>
  status(): AlertsStatus
  silences(): SilenceView[]
  /** Throws {@link SilenceError} on a bad request. */
  createSilence(body: unknown): Promise<SilenceView>
  /** undefined when there is no such silence. */
  expireSilence(id: string): Promise<SilenceView | undefined>
  metrics(): AlertingMetrics
  /** Stop timers and deliveries and write the state; what was not delivered goes after the next start. */
  close(): Promise<void>
}

/** Most silences held (expired ones are kept a day). */
export const MAX_SILENCES = 1000
/**
 * Alert updates (counts, new alerts, rule results) reach the disk at most this often; decided
 * notifications (the outbox), deliveries and silences are written at once.
 */
export const ALERT_SAVE_INTERVAL_MS = 1000

/** Load the alert state from the data directory and build the engine; {@link Alerting.start} runs it. */
export async function createAlerting(options: AlertingOptions): Promise<Alerting> {
  const { config, store } = options
  const now = options.now ?? Date.now
  const report =
    options.report ?? ((message: string) => process.stderr.write(`twinspan: alerts: ${message}\n`))
  const dispatcher = new Dispatcher(config)
  const state = new StateFile(join(options.dataDir, 'alerts', 'state.json'), () => dispatcher.snapshot())
  const saved = await state.load(report)
  if (saved) dispatcher.restore(saved, now())

  let dashboardUrl = config.dashboardUrl ?? 'http://127.0.0.1'
  const context = {
    dashboardUrl: () => dashboardUrl,
    source: `twinspan@${hostname()}`,
    timeoutMs: config.delivery.timeoutMs,
    writeLog: options.writeLog ?? ((line: string) => process.stdout.write(`${line}\n`)),
    now,
  }
  const lastErrors = new Map<string, string>()
  const queues = new Map(
    config.receivers.map((receiver) => [
      receiver.name,
      new DeliveryQueue(
        receiver.name,
        senderFor(receiver, context),
        {
          capacity: config.delivery.queueSize,
          maxAttempts: config.delivery.maxAttempts,
          initialBackoffMs: config.delivery.initialBackoffMs,
          maxBackoffMs: config.delivery.maxBackoffMs,
          minIntervalMs: receiver.kind === 'slack' ? receiver.minIntervalMs : 0,
          random: options.random,
          now,
        },
        {
          delivered(notification) {
            lastErrors.delete(notification.receiver)
            dispatcher.delivered(notification, now())
            persist()
            schedule()
          },
          failed(notification, error, attempts) {
            dispatcher.abandoned(notification.id)
            report(
              `receiver ${notification.receiver}: gave up after ${attempts} attempt(s): ${error}; the group retries at its next interval`,
            )
            persist()
          },
          retrying(notification, error, delayMs) {
            const key = `${notification.receiver}: ${error}`
            if (lastErrors.get(notification.receiver) !== key)
              report(`receiver ${key}; retrying in ${delayMs} ms`)
            lastErrors.set(notification.receiver, key)
          },
        },
      ),
    ]),
  )

  let closed = false
  let started = false
  let flushTimer: NodeJS.Timeout | undefined
  let evaluateTimer: NodeJS.Timeout | undefined
  let ticking: Promise<void> | undefined
  let tickAgain = false
  let evaluating: Promise<void> | undefined
  let lastEvaluationError = ''
  let saveTimer: NodeJS.Timeout | undefined

  function persist(): void {
    clearTimeout(saveTimer)
    saveTimer = undefined
    state.save().catch((error: Error) => report(`cannot write ${state.path}: ${error.message}`))
  }

  /** Save within {@link ALERT_SAVE_INTERVAL_MS}: a mismatch storm costs one write a second, not one per request. */
  function persistSoon(): void {
    if (saveTimer !== undefined || closed) return
    saveTimer = setTimeout(persist, ALERT_SAVE_INTERVAL_MS)
    saveTimer.unref()
  }

  function enqueue(notification: Notification): void {
    const queue = queues.get(notification.receiver)
    if (!queue?.push(notification)) {
      dispatcher.abandoned(notification.id)
      report(
        `receiver ${notification.receiver}: queue full (${config.delivery.queueSize}); dropped a notification`,
      )
    }
  }

  function schedule(): void {
    if (closed || !started) return
    clearTimeout(flushTimer)
    const next = dispatcher.nextFlushAt()
    if (next === undefined) return
    flushTimer = setTimeout(tick, Math.max(0, next - now()))
    flushTimer.unref()
  }

  function tick(): void {
    if (ticking) {
      tickAgain = true
      return
    }
    ticking = (async () => {
      do {
        tickAgain = false
        const at = now()
        const notifications = dispatcher.flush(at)
        dispatcher.prune(at)
        if (notifications.length === 0) continue
        // In the outbox on disk before anything is sent: a crash now re-sends rather than loses them.
        await state.save().catch((error: Error) => report(`cannot write ${state.path}: ${error.message}`))
        if (closed) return
        for (const notification of notifications) enqueue(notification)
      } while (tickAgain && !closed)
    })()
      .catch((error: Error) => report(`dispatch failed: ${error.message}`))
      .finally(() => {
        ticking = undefined
        schedule()
      })
  }

  async function evaluate(): Promise<void> {
    if (closed) return
    evaluating ??= (async () => {
      try {
        const firing = new Set<string>()
        for (const alert of dispatcher.alerts.values()) {
          if (
            alert.labels.alertname === READINESS_ALERT_NAME &&
            isFiring(alert, now()) &&
            alert.labels.experiment
          )
            firing.add(alert.labels.experiment)
        }
        const result = await evaluateRules(
          store,
          config.rules,
          options.experiments,
          { verdicts: dispatcher.verdicts, firing },
          now(),
        )
        if (closed) return
        dispatcher.setRuleAlerts(result.alerts, now())
        for (const [experiment, summary] of result.readiness) dispatcher.readiness.set(experiment, summary)
        for (const [experiment, verdict] of result.verdicts) dispatcher.verdicts.set(experiment, verdict)
        lastEvaluationError = ''
        persistSoon()
        schedule()
      } catch (error) {
        // The store may be down for a while: say so once, keep the alerts as they are.
        const message = (error as Error).message
        if (message !== lastEvaluationError) report(`rule evaluation failed: ${message}`)
        lastEvaluationError = message
      }
    })().finally(() => {
      evaluating = undefined
    })
    return evaluating
  }

  function evaluateLoop(): void {
    evaluate().finally(() => {
      if (closed) return
      evaluateTimer = setTimeout(evaluateLoop, config.rules.evaluateEveryMs)
      evaluateTimer.unref()
    })
  }

  return {
    onRuns(runs) {
      if (closed) return
      const inputs = runAlerts(runs, config.runs, now())
      if (inputs.length === 0) return
      const dropped = dispatcher.receive(inputs, now())
      if (dropped > 0)
        report(`${dropped} alert(s) dropped: ${config.maxActiveAlerts} alerts held (alerts.maxActiveAlerts)`)
      persist()
      schedule()
    },
    start(collectorUrl) {
      if (started) return
      started = true
      dashboardUrl = config.dashboardUrl ?? collectorUrl
      // What the last run decided and could not deliver goes first.
      const pending = [...dispatcher.outbox.values()].sort((a, b) => a.createdAt - b.createdAt)
      for (const notification of pending) enqueue(notification)
      schedule()
      evaluateLoop()
    },
    evaluate,
    status: () => alertsStatus(dispatcher, config.receivers, queues, now()),
    silences() {
      const at = now()
      return [...dispatcher.silences.values()]
        .sort((a, b) => b.startsAt - a.startsAt)
        .map((silence) => silenceView(silence, at))
    },
    async createSilence(body) {
      const at = now()
      const live = [...dispatcher.silences.values()].filter((s) => silenceState(s, at) !== 'expired').length
      if (live >= MAX_SILENCES)
        throw new SilenceError(`${MAX_SILENCES} silences are active or pending; expire some first`)
      const silence = newSilence(body, at)
      dispatcher.silences.set(silence.id, silence)
      await state.save()
      return silenceView(silence, at)
    },
    async expireSilence(id) {
      const silence = dispatcher.silences.get(id)
      if (silence === undefined) return undefined
      const at = now()
      const expired = expireSilence(silence, at)
      dispatcher.silences.set(id, expired)
      await state.save()
      return silenceView(expired, at)
    },
    metrics() {
      const at = now()
      let active = 0
      for (const alert of dispatcher.alerts.values()) if (isFiring(alert, at)) active++
      return {
        receivers: [...queues.values()].map((queue) => ({
          name: queue.receiver,
          queued: queue.size,
          ...queue.stats,
        })),
        active,
        droppedAlerts: dispatcher.droppedAlerts,
      }
    },
    async close() {
      if (closed) return
      closed = true
      clearTimeout(flushTimer)
      clearTimeout(evaluateTimer)
      clearTimeout(saveTimer)
      await evaluating
      await ticking
      await Promise.all([...queues.values()].map((queue) => queue.close()))
      await state.save()
    },
  }
}
