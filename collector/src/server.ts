import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express, { type NextFunction, type Request, type Response } from 'express'
import { bearerAuth } from './api/auth.js'
import { apiRouter } from './api/router.js'
import type { CollectorConfig } from './config/config.js'
import { Ingest } from './ingest/ingest.js'
import { tracesHandler } from './otlp/receiver.js'
import { openStore, type Store } from './store/client.js'
import { migrate } from './store/migrate.js'

/** A running collector. */
export interface Collector {
  /** Base URL, e.g. `http://127.0.0.1:4318`. */
  url: string
  port: number
  store: Store
  /** Stop accepting, finish in-flight requests, close the store. */
  close(): Promise<void>
}

/** Open the store, apply migrations, and serve OTLP and the API. */
export async function startCollector(config: CollectorConfig): Promise<Collector> {
  const store = openStore({ dataDir: config.storage.dataDir, ...config.storage.clickhouse })
  try {
    await migrate(store, { retentionDays: config.storage.retentionDays })
  } catch (error) {
    await store.close().catch(() => {})
    throw new Error(`cannot prepare the ClickHouse schema at ${store.location}: ${(error as Error).message}`)
  }
  const ingest = new Ingest(store, { keepAllSpans: config.storage.keepAllSpans })

  const app = express()
  app.disable('x-powered-by')
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' })
  })
  if (config.server.authToken) app.use(bearerAuth(config.server.authToken))
  app.all('/v1/traces', tracesHandler(ingest, { maxBodyBytes: config.server.maxBodyBytes }))
  app.use('/api', apiRouter(store))
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
    await store.close().catch(() => {})
    throw new Error(`cannot listen on ${config.server.host}:${config.server.port}: ${error.message}`)
  })
  const { port } = server.address() as AddressInfo
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host

  return {
    url: `http://${host}:${port}`,
    port,
    store,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await store.close()
    },
  }
}
