import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { AlertingMetrics } from '../alerts/alerting.js'
import type { IngestCounters } from '../ingest/ingest.js'
import type { BatchOutcome, IngestPipeline, PipelineObserver } from '../ingest/pipeline.js'
import type { Spool } from '../ingest/spool.js'

/** The collector's Prometheus metrics (one registry per collector, no global state). */
export interface CollectorMetrics {
  registry: Registry
  /** Hooks the ingest pipeline reports batches through. */
  observer: PipelineObserver
  /** Count an OTLP response by HTTP status. */
  response(status: number): void
}

export interface MetricsSources {
  counters: IngestCounters
  pipeline: () => IngestPipeline | undefined
  spool: () => Spool | undefined
  /** The alert engine's counts, when alerting is on. */
  alerts?: () => AlertingMetrics | undefined
}

/** Build the registry; gauges and span counters read their sources when scraped. */
export function createMetrics(sources: MetricsSources): CollectorMetrics {
  const registry = new Registry()
  const spanCounter = (name: string, help: string, read: () => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset()
        this.inc(read())
      },
    })
  spanCounter('twinspan_spans_received_total', 'Spans received over OTLP.', () => sources.counters.received)
  spanCounter(
    'twinspan_spans_accepted_total',
    'Parallel-run spans accepted for storage.',
    () => sources.counters.accepted,
  )
  spanCounter(
    'twinspan_spans_rejected_total',
    'Parallel-run spans rejected for breaking the wire contract (reported in partial_success).',
    () => sources.counters.rejected,
  )
  spanCounter(
    'twinspan_spans_dropped_total',
    'Spans without parallel_run.* attributes, dropped (storage.keepAllSpans is off).',
    () => sources.counters.dropped,
  )
  const batches = new Counter({
    name: 'twinspan_batches_total',
    help: 'Inserts by outcome: inserted, spooled (the insert failed; rows wait in the spool), replayed (a retry stored them), failed (rows could not be spooled; requests refused).',
    labelNames: ['outcome'],
    registers: [registry],
  })
  const batchRows = new Counter({
    name: 'twinspan_batch_rows_total',
    help: 'Rows in batches, by outcome.',
    labelNames: ['outcome'],
    registers: [registry],
  })
  const insertSeconds = new Histogram({
    name: 'twinspan_insert_duration_seconds',
    help: 'Time an insert took (or a failed spool write), by outcome.',
    labelNames: ['outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  })
  const responses = new Counter({
    name: 'twinspan_otlp_responses_total',
    help: 'OTLP export responses by HTTP status code.',
    labelNames: ['code'],
    registers: [registry],
  })
  new Gauge({
    name: 'twinspan_queue_bytes',
    help: 'Bytes of accepted rows held in memory, waiting for ClickHouse.',
    registers: [registry],
    collect() {
      this.set(sources.pipeline()?.queuedBytes ?? 0)
    },
  })
  new Gauge({
    name: 'twinspan_spool_bytes',
    help: 'Bytes of acknowledged rows in the on-disk spool, not yet in ClickHouse.',
    registers: [registry],
    collect() {
      this.set(sources.spool()?.bytes ?? 0)
    },
  })
  new Gauge({
    name: 'twinspan_spool_batches',
    help: 'Segments (group-committed writes) in the on-disk spool, not yet in ClickHouse.',
    registers: [registry],
    collect() {
      this.set(sources.spool()?.size ?? 0)
    },
  })
  new Gauge({
    name: 'twinspan_store_healthy',
    help: '1 while the last insert into ClickHouse succeeded, 0 while it fails and rows wait in the spool.',
    registers: [registry],
    collect() {
      this.set(sources.pipeline()?.healthy === false ? 0 : 1)
    },
  })
  registerAlertMetrics(registry, () => sources.alerts?.())
  return {
    registry,
    observer: {
      batch(outcome: BatchOutcome, rows: number, seconds: number) {
        batches.inc({ outcome })
        batchRows.inc({ outcome }, rows)
        insertSeconds.observe({ outcome }, seconds)
      },
      error(message: string) {
        process.stderr.write(`twinspan: ${message}\n`)
      },
    },
    response(status: number) {
      responses.inc({ code: String(status) })
    },
  }
}

/** Alert metrics, read from the alert engine when scraped. */
function registerAlertMetrics(registry: Registry, read: () => AlertingMetrics | undefined): void {
  const perReceiver = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (counter: Counter, m: AlertingMetrics) => void,
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset()
        const metrics = read()
        if (metrics) fill(this, metrics)
      },
    })
  perReceiver(
    'twinspan_notifications_total',
    'Alert notifications by receiver and result: sent (delivered), failed (given up after retries or a 4xx).',
    ['receiver', 'result'],
    (counter, m) => {
      for (const r of m.receivers) {
        counter.inc({ receiver: r.name, result: 'sent' }, r.sent)
        counter.inc({ receiver: r.name, result: 'failed' }, r.failed)
      }
    },
  )
  perReceiver(
    'twinspan_notification_retries_total',
    'Delivery attempts retried (429, 5xx, network errors), by receiver.',
    ['receiver'],
    (counter, m) => {
      for (const r of m.receivers) counter.inc({ receiver: r.name }, r.retries)
    },
  )
  perReceiver(
    'twinspan_notifications_dropped_total',
    "Notifications dropped because the receiver's queue was full (the group retries at its next interval).",
    ['receiver'],
    (counter, m) => {
      for (const r of m.receivers) counter.inc({ receiver: r.name }, r.dropped)
    },
  )
  perReceiver(
    'twinspan_alerts_dropped_total',
    'Alerts not taken because alerts.maxActiveAlerts were held.',
    [],
    (counter, m) => counter.inc(m.droppedAlerts),
  )
  new Gauge({
    name: 'twinspan_alerts_active',
    help: 'Firing alerts held by the alert engine (silenced and inhibited ones included).',
    registers: [registry],
    collect() {
      this.set(read()?.active ?? 0)
    },
  })
  new Gauge({
    name: 'twinspan_notifications_queued',
    help: 'Notifications waiting for delivery, by receiver.',
    labelNames: ['receiver'],
    registers: [registry],
    collect() {
      this.reset()
      for (const r of read()?.receivers ?? []) this.set({ receiver: r.name }, r.queued)
    },
  })
}
