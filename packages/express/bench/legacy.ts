/**
 * The benchmark's legacy orders service (a child process), with or without `parallelRun()` in
 * front of its routes. `GET /orders/:id` waits `WAIT_MS` (a database query) and renders an order.
 * With the middleware, spans go through a real OTel SDK (BatchSpanProcessor, an exporter that
 * counts the runs' outcomes from the shadow spans and discards them): building and batching them
 * is part of the cost measured. No `onResult`: the middleware runs as configured by default.
 *
 * `WORK_US` of CPU stands for what a real handler computes (mapping rows, validation, rendering).
 *
 * Environment: MIRROR=1 to mount the middleware, CANDIDATE=url, WAIT_MS and WORK_US (default 0),
 * SAMPLE_RATE (default 1).
 */
import type { AddressInfo } from 'node:net'
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base'
import { ATTR_OUTCOME } from '@twinspan/conventions'
import { parallelRun } from '@twinspan/express'
import express from 'express'
import { benchOrder } from './orders.js'

const waitMs = Number(process.env.WAIT_MS ?? 0)
const workMs = Number(process.env.WORK_US ?? 0) / 1000
const app = express()
let runs: ReturnType<typeof parallelRun> | undefined
if (process.env.MIRROR === '1') {
  let outcomes = 0
  let matches = 0
  const discard: SpanExporter = {
    export: (spans, done) => {
      for (const span of spans) {
        const outcome = span.attributes[ATTR_OUTCOME]
        if (outcome === undefined) continue
        outcomes++
        if (outcome === 'match') matches++
      }
      done({ code: 0 })
    },
    shutdown: async () => {},
  }
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(discard)] })
  runs = parallelRun({
    candidate: String(process.env.CANDIDATE),
    name: 'orders-v2',
    sampleRate: Number(process.env.SAMPLE_RATE ?? 1),
    maxInFlight: 1024,
    tracer: provider.getTracer('bench'),
  })
  app.use(runs)
  process.on('message', (message) => {
    if (message !== 'stats') return
    // spans still in the batch processor's buffer are counted too
    void provider.forceFlush().then(() => process.send?.({ outcomes, matches, inFlight: runs?.inFlight }))
  })
}
// CPU this process has spent so far (user + system, µs), for bench/cost.ts
process.on('message', (message) => {
  if (message !== 'cpu') return
  const used = process.cpuUsage()
  process.send?.({ cpuUs: used.user + used.system })
})
app.get('/orders/:id', async (req, res) => {
  if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs))
  const until = performance.now() + workMs
  while (performance.now() < until) {
    // CPU the handler spends on the order
  }
  res.json(benchOrder(req.params.id))
})
const server = app.listen(0, '127.0.0.1', () =>
  process.send?.({ port: (server.address() as AddressInfo).port }),
)
server.keepAliveTimeout = 60_000
process.on('SIGINT', () => process.exit(0))
