/**
 * `pnpm start`: the collector on embedded ClickHouse (defaults: port 4318, data in `.twinspan/`),
 * plus the shipping-cost demo sending real parallel-run spans to it through the OpenTelemetry
 * Node SDK and the OTLP/protobuf exporter. Ctrl-C stops both.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node'
import { defaultConfig, startCollector } from '@twinspan/collector'
import { experiment } from '@twinspan/sdk'
import { legacyShippingCost, modernShippingCost, shipments } from './shipping.js'

const config = defaultConfig()
if (process.env.TWINSPAN_PORT) config.server.port = Number(process.env.TWINSPAN_PORT)
if (process.env.TWINSPAN_DATA_DIR) config.storage.dataDir = process.env.TWINSPAN_DATA_DIR

const collector = await startCollector(config).catch((error: Error) => {
  process.stderr.write(`twinspan: ${error.message}\n`)
  process.exit(1)
})
process.stdout.write(`twinspan collector listening on ${collector.url} (embedded ClickHouse in ${collector.store.location})
demo: sending the shipping-cost experiment (legacy vs modern calculator) — about 20 runs a second

  dashboard:    ${collector.url}/
  experiments:  ${collector.url}/api/experiments
  parity:       node collector/bin/twinspan.js parity shipping-cost --url ${collector.url}
  readiness:    node collector/bin/twinspan.js readiness shipping-cost --url ${collector.url}
  OTLP/HTTP:    ${collector.url}/v1/traces   (point your own OTLP exporter here)

Ctrl-C to stop.
`)

const provider = new NodeTracerProvider({
  spanProcessors: [
    new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collector.url}/v1/traces` }), {
      scheduledDelayMillis: 500,
    }),
  ],
})
const shipping = experiment({
  name: 'shipping-cost',
  primary: legacyShippingCost,
  shadow: modernShippingCost,
  tracer: provider.getTracer('twinspan-demo'),
})

const stream = shipments(Date.now() % 100_000)
const traffic = setInterval(() => {
  void shipping.run(stream.next().value)
}, 50)
const report = setInterval(async () => {
  try {
    const body = (await (await fetch(`${collector.url}/api/experiments`)).json()) as {
      experiments: { name: string; runs: number; matchRate: number | null; mismatches: number }[]
    }
    for (const e of body.experiments) {
      const rate = e.matchRate === null ? '-' : `${(e.matchRate * 100).toFixed(1)}%`
      process.stdout.write(`${e.name}: ${e.runs} runs, match rate ${rate}, ${e.mismatches} mismatches\n`)
    }
  } catch (error) {
    process.stderr.write(`demo: cannot read the API: ${(error as Error).message}\n`)
  }
}, 5000)

let stopping = false
async function stop(): Promise<void> {
  if (stopping) return
  stopping = true
  clearInterval(traffic)
  clearInterval(report)
  await shipping.flush()
  await provider.shutdown()
  await collector.close()
  process.exit(0)
}
process.once('SIGINT', stop)
process.once('SIGTERM', stop)
