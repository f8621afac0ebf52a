import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { it } from 'vitest'
import { runSkeletonScenario } from './skeleton-scenario.js'

it('carries experiment runs from the SDK through OTLP/protobuf into ClickHouse and out of the API', async () => {
  await runSkeletonScenario((url) => new OTLPTraceExporter({ url }))
}, 60_000)
