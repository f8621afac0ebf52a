import { NodeSDK } from '@opentelemetry/sdk-node'
import type { SpanExporter } from '@opentelemetry/sdk-trace-base'
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { experiment } from '@twinspan/sdk'
import { expect } from 'vitest'
import {
  isBoundaryWeight,
  legacyShippingCost,
  modernShippingCost,
  type Shipment,
  shipments,
} from '../demo/shipping.js'
import { startCollectorProcess } from '../fixtures/collector-process.js'

/**
 * The walking skeleton end to end: a real collector process on embedded ClickHouse, the real
 * OpenTelemetry Node SDK with the given OTLP exporter, the shipping-cost experiment through
 * @twinspan/sdk, and the exact run and mismatch counts read back from /api/experiments.
 */
export async function runSkeletonScenario(makeExporter: (tracesUrl: string) => SpanExporter): Promise<void> {
  const collector = await startCollectorProcess()
  const sdk = new NodeSDK({
    spanProcessors: [new BatchSpanProcessor(makeExporter(`${collector.url}/v1/traces`))],
  })
  sdk.start()
  try {
    const shipping = experiment({
      name: 'shipping-cost',
      primary: legacyShippingCost,
      shadow: modernShippingCost,
    })
    const runs = 300
    let expectedMismatches = 0
    const stream = shipments(42)
    for (let i = 0; i < runs; i++) {
      const shipment: Shipment = stream.next().value
      if (isBoundaryWeight(shipment.weightKg)) expectedMismatches++
      const served = await shipping.run(shipment)
      expect(served).toEqual(legacyShippingCost(shipment))
      // Requests arrive on I/O turns; background shadows start on the next turn (packages/sdk/README.md,
      // maxInFlight). A loop that never yields would be capped at maxInFlight runs.
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(expectedMismatches).toBeGreaterThan(10) // the fixture really exercises the bug
    await shipping.flush()
    await sdk.shutdown() // flushes the batch processor through the exporter

    // A 200 means the spans are in the collector's spool; they reach ClickHouse within batchAgeMs.
    type Summary = { name: string; runs: number; mismatches: number; matchRate: number }
    let body: { experiments: Summary[] } = { experiments: [] }
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      const response = await fetch(`${collector.url}/api/experiments`)
      expect(response.status).toBe(200)
      body = (await response.json()) as { experiments: Summary[] }
      if ((body.experiments[0]?.runs ?? 0) >= runs) break
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    expect(body.experiments).toHaveLength(1)
    const [summary] = body.experiments
    expect(summary?.name).toBe('shipping-cost')
    expect(summary?.runs).toBe(runs)
    expect(summary?.mismatches).toBe(expectedMismatches)
    expect(summary?.matchRate).toBeCloseTo((runs - expectedMismatches) / runs, 10)
  } finally {
    await sdk.shutdown().catch(() => {})
    expect(await collector.stop()).toBe(0)
  }
}
