/**
 * pnpm bench:decode — decoding OTLP protobuf export requests: the collector's hand-written decoder
 * (straight into its span model) against protobufjs with the same messages declared in a schema,
 * plus the walk protobufjs's output would still need to reach the same model. Same requests, one run.
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import protobuf from 'protobufjs'
import { decodeTraceExportProto } from '../src/otlp/protobuf.js'

const keyValue = { fields: { key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } } }
const schema = {
  nested: {
    otlp: {
      nested: {
        ExportTraceServiceRequest: {
          fields: { resourceSpans: { rule: 'repeated', type: 'ResourceSpans', id: 1 } },
        },
        ResourceSpans: {
          fields: {
            resource: { type: 'Resource', id: 1 },
            scopeSpans: { rule: 'repeated', type: 'ScopeSpans', id: 2 },
            schemaUrl: { type: 'string', id: 3 },
          },
        },
        Resource: { fields: { attributes: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
        ScopeSpans: {
          fields: {
            scope: { type: 'InstrumentationScope', id: 1 },
            spans: { rule: 'repeated', type: 'Span', id: 2 },
          },
        },
        InstrumentationScope: {
          fields: { name: { type: 'string', id: 1 }, version: { type: 'string', id: 2 } },
        },
        Span: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            traceState: { type: 'string', id: 3 },
            parentSpanId: { type: 'bytes', id: 4 },
            name: { type: 'string', id: 5 },
            kind: { type: 'int32', id: 6 },
            startTimeUnixNano: { type: 'fixed64', id: 7 },
            endTimeUnixNano: { type: 'fixed64', id: 8 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 9 },
            events: { rule: 'repeated', type: 'Event', id: 11 },
            links: { rule: 'repeated', type: 'Link', id: 13 },
            status: { type: 'Status', id: 15 },
          },
        },
        Event: {
          fields: {
            timeUnixNano: { type: 'fixed64', id: 1 },
            name: { type: 'string', id: 2 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 3 },
          },
        },
        Link: {
          fields: {
            traceId: { type: 'bytes', id: 1 },
            spanId: { type: 'bytes', id: 2 },
            traceState: { type: 'string', id: 3 },
            attributes: { rule: 'repeated', type: 'KeyValue', id: 4 },
          },
        },
        Status: { fields: { message: { type: 'string', id: 2 }, code: { type: 'int32', id: 3 } } },
        KeyValue: keyValue,
        KeyValueList: { fields: { values: { rule: 'repeated', type: 'KeyValue', id: 1 } } },
        ArrayValue: { fields: { values: { rule: 'repeated', type: 'AnyValue', id: 1 } } },
        AnyValue: {
          oneofs: {
            value: {
              oneof: [
                'stringValue',
                'boolValue',
                'intValue',
                'doubleValue',
                'arrayValue',
                'kvlistValue',
                'bytesValue',
              ],
            },
          },
          fields: {
            stringValue: { type: 'string', id: 1 },
            boolValue: { type: 'bool', id: 2 },
            intValue: { type: 'int64', id: 3 },
            doubleValue: { type: 'double', id: 4 },
            arrayValue: { type: 'ArrayValue', id: 5 },
            kvlistValue: { type: 'KeyValueList', id: 6 },
            bytesValue: { type: 'bytes', id: 7 },
          },
        },
      },
    },
  },
}
const Request = protobuf.Root.fromJSON(schema).lookupType('otlp.ExportTraceServiceRequest')

function request(spans: number): Uint8Array {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const tracer = provider.getTracer('@twinspan/sdk')
  for (let i = 0; i < spans / 2; i++) {
    const primary = tracer.startSpan('shipping-cost', {
      attributes: {
        'parallel_run.experiment': 'shipping-cost',
        'parallel_run.role': 'primary',
        'parallel_run.run_id': `run-${i}`,
      },
    })
    primary.end()
    tracer
      .startSpan('shipping-cost (shadow)', {
        links: [{ context: primary.spanContext() }],
        attributes: {
          'parallel_run.experiment': 'shipping-cost',
          'parallel_run.role': 'shadow',
          'parallel_run.run_id': `run-${i}`,
          'parallel_run.outcome': 'match',
          'parallel_run.diff.count': 0,
          'parallel_run.diff.paths': [],
          'parallel_run.primary.duration_ms': 41.5,
          'parallel_run.shadow.duration_ms': 52.25,
        },
      })
      .end()
  }
  return ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans()) as Uint8Array
}

/** protobufjs output still has to become the collector's model: hex ids, bigint times, attribute maps. */
function protobufjsToModel(body: Uint8Array): number {
  const decoded = Request.toObject(Request.decode(body), { longs: String, bytes: Buffer }) as {
    resourceSpans?: {
      scopeSpans?: {
        spans?: {
          traceId: Buffer
          spanId: Buffer
          startTimeUnixNano: string
          attributes?: { key: string; value: Record<string, unknown> }[]
        }[]
      }[]
    }[]
  }
  let count = 0
  for (const resource of decoded.resourceSpans ?? []) {
    for (const scope of resource.scopeSpans ?? []) {
      for (const span of scope.spans ?? []) {
        const attributes: Record<string, unknown> = {}
        for (const kv of span.attributes ?? []) attributes[kv.key] = Object.values(kv.value)[0]
        const model = {
          traceId: span.traceId.toString('hex'),
          spanId: span.spanId.toString('hex'),
          start: BigInt(span.startTimeUnixNano),
          attributes,
        }
        if (model.traceId) count++
      }
    }
  }
  return count
}

function measure(fn: () => unknown, seconds = 2): number {
  for (let i = 0; i < 50; i++) fn()
  let ops = 0
  const started = performance.now()
  while (performance.now() - started < seconds * 1000) {
    fn()
    ops++
  }
  return ops / ((performance.now() - started) / 1000)
}

const body = request(512)
const ours = decodeTraceExportProto(body)
if (ours.resourceSpans[0]?.scopeSpans[0]?.spans.length !== 512 || protobufjsToModel(body) !== 512)
  throw new Error('decoders disagree')
const rows = []
for (let round = 0; round < 3; round++) {
  const hand = measure(() => decodeTraceExportProto(body))
  const pbjsDecode = measure(() => Request.decode(body))
  const pbjsModel = measure(() => protobufjsToModel(body))
  rows.push({
    round,
    'hand-written (req/s)': Math.round(hand),
    'protobufjs decode only': Math.round(pbjsDecode),
    'protobufjs to model': Math.round(pbjsModel),
    'ratio vs decode only': (hand / pbjsDecode).toFixed(2),
    'ratio vs to model': (hand / pbjsModel).toFixed(2),
  })
}
console.log(`requests of 512 spans (${(body.length / 1024).toFixed(0)} KiB), decodes per second`)
console.table(rows)
