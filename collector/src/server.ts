import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { resolve } from 'node:path'
import express, { type NextFunction, type Request, type Response } from 'express'
import { type Alerting, createAlerting } from './alerts/alerting.js'
import { bearerAuth } from './api/auth.js'
import { createMetrics } from './api/metrics.js'
import { apiRouter } from './api/router.js'
import type { CollectorConfig } from './config/config.js'
import { dashboardRouter } from './dashboard/static.js'
import { Ingest } from './ingest/ingest.js'
import { DEFAULT_PIPELINE_OPTIONS, IngestPipeline } from './ingest/pipeline.js'
import { Spool } from './ingest/spool.js'
import { tracesHandler } from './otlp/receiver.js'
import { assertInfilePath, checkServerVersion, isReachable, openStore, type Store } from './store/client.js'
import { migrate } from './store/migrate.js'
import { applyRetention } from './store/retention.js'
import { insertSpoolBatch } from './store/spans.js'

/** A running collector. */
export interface Collector {
  /** Base URL, e.g. `http://127.0.0.1:4318`. */
  url: string
  port: number
  store: Store
  /** Make everything accepted so far durable (tests, shutdown). */
  flush(): Promise<void>
  /** Stop accepting, finish in-flight requests, make accepted spans durable, close the store. */
  close(): Promise<void>
}

/** Open the store, apply migrations, and serve OTLP, the API and metrics. */
export async function startCollector(config: CollectorConfig): Promise<Collector> {
  // The spool lives in the data directory even when storage is a remote server.
  const spoolDir = resolve(config.storage.dataDir, 'spool')
  // The embedded engine reads spool files by name: refuse a path it would read as a pattern.
  if (!config.storage.clickhouse.url) assertInfilePath(spoolDir)
  const store = openStore({ dataDir: config.storage.dataDir, ...config.storage.clickhouse })
  try {
    if (!store.embedded) await checkServerVersion(store)
    const cluster = config.storage.clickhouse.cluster
    await migrate(store, { retentionDays: config.storage.retentionDays, cluster })
    await applyRetention(store, config.storage.retentionDays, cluster)
  } catch (error) {
    await store.close().catch(() => {})
    throw new Error(`cannot prepare the ClickHouse schema at ${store.location}: ${(error as Error).message}`)
  }

  const spool = new Spool(spoolDir, config.storage.spoolMaxBytes)
  const counters = { received: 0, accepted: 0, rejected: 0, dropped: 0 }
  let pipeline: IngestPipeline | undefined
  // Alert state (active alerts, notification log, outbox, silences) lives in <dataDir>/alerts.
  let alerting: Alerting | undefined
  if (config.alerts.enabled) {
    alerting = await createAlerting({
      config: config.alerts,
      experiments: config.experiments,
      store,
      dataDir: config.storage.dataDir,
    }).catch(async (error: Error) => {
      await store.close().catch(() => {})
      throw new Error(`cannot load the alert state in ${config.storage.dataDir}: ${error.message}`)
    })
  }
  const metrics = createMetrics({
    counters,
    pipeline: () => pipeline,
    spool: () => spool,
    alerts: () => alerting?.metrics(),
  })
  pipeline = new IngestPipeline(
    { insert: (batch) => insertSpoolBatch(store, batch) },
    spool,
    {
      ...DEFAULT_PIPELINE_OPTIONS,
      maxBatchRows: config.storage.batchRows,
      maxBatchAgeMs: config.storage.batchAgeMs,
      maxQueueBytes: config.server.maxQueueBytes,
      // chDB runs one query at a time: a second insert would only queue behind the first and halve
      // the batch that accumulates meanwhile (docs/decisions/0003-spool-and-batching.md).
      maxConcurrentInserts: store.embedded ? 1 : DEFAULT_PIPELINE_OPTIONS.maxConcurrentInserts,
      // The embedded engine reads the spool files itself (insertSpoolBatch): no rows kept in memory.
      holdRows: !store.embedded,
    },
    metrics.observer,
  )
  const ingest = new Ingest(
    pipeline,
    { keepAllSpans: config.storage.keepAllSpans, onRuns: alerting && ((runs) => alerting.onRuns(runs)) },
    counters,
  )
  pipeline.start()

  const app = express()
  app.disable('x-powered-by')
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })
  app.get('/readyz', async (_req, res) => {
    const reachable = await isReachable(store)
    res.status(reachable ? 200 : 503).json({
      status: reachable ? 'ready' : 'store unreachable',
      store: store.location,
      spooledBatches: spool.size,
    })
  })
  // The dashboard's page and bundle hold no data; its API calls carry the token.
  app.use(dashboardRouter())
  if (config.server.authToken) app.use(bearerAuth(config.server.authToken))
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
  app.all(
    '/v1/traces',
    tracesHandler(ingest, {
      maxBodyBytes: config.server.maxBodyBytes,
      maxConcurrentRequests: config.server.maxConcurrentRequests,
      onResponse: metrics.response,
    }),
  )
  app.use('/api', apiRouter(store, { experiments: config.experiments, alerts: alerting }))
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' })
  })
  app.use((error: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: error.message })
  })

  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.server.port, config.server.host, () => resolve(listening))
    listening.once('error', reject)
  }).catch(async (error: Error) => {
    await pipeline.close()
    await alerting?.close()
    await store.close().catch(() => {})
    throw new Error(`cannot listen on ${config.server.host}:${config.server.port}: ${error.message}`)
  })
  const { port } = server.address() as AddressInfo
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host
  alerting?.start(`http://${host}:${port}`)

  let closing: Promise<void> | undefined
  return {
    url: `http://${host}:${port}`,
    port,
    store,
    flush: () => pipeline.flush(),
    close() {
      closing ??= (async () => {
        // Stop accepting; requests already in flight finish and are answered after their spans are durable.
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
        server.closeIdleConnections()
        await stopped
        await pipeline.close()
        // After the pipeline: the last runs are routed; undelivered notifications stay in the outbox.
        await alerting?.close()
        await store.close()
      })()
      return closing
    },
  }
}
