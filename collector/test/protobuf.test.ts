import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import { decodeTraceExportJson } from '../src/otlp/json.js'
import { OtlpDecodeError } from '../src/otlp/model.js'
import {
  decodeTraceExportProto,
  encodeStatusProto,
  encodeTraceExportResponseProto,
  narrowInt,
} from '../src/otlp/protobuf.js'
import { ProtoReader } from '../src/otlp/protobuf-reader.js'

/** Spans made by the real OTel SDK, with every attribute type, an event, a link and an error status. */
function sdkSpans() {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'pricing', 'deployment.environment': 'prod' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const tracer = provider.getTracer('@twinspan/sdk', '1.2.3')
  const primary = tracer.startSpan('shipping-cost', { kind: SpanKind.SERVER })
  primary.setAttributes({ 'parallel_run.role': 'primary', big: 2 ** 40, negative: -7, ratio: 0.25, ok: true })
  primary.end()
  const shadow = tracer.startSpan('shipping-cost (shadow)', {
    links: [{ context: primary.spanContext(), attributes: { why: 'shadow-of' } }],
  })
  shadow.setAttributes({
    'parallel_run.diff.paths': ['cost', 'items[0].price'],
    'parallel_run.primary.duration_ms': 12.5,
    flags: [true, false],
    counts: [1, 2, 3],
  })
  shadow.addEvent('compared', { differences: 2 })
  shadow.setStatus({ code: SpanStatusCode.ERROR, message: 'shadow failed' })
  shadow.end()
  return exporter.getFinishedSpans()
}

/** A length-delimited protobuf field, for bodies built by hand. */
const field = (number: number, payload: number[]): number[] => [
  (number << 3) | 2,
  ...lengthPrefix(payload.length),
  ...payload,
]
const lengthPrefix = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...lengthPrefix(n >>> 7)])

describe('OTLP decoding', () => {
  const spans = sdkSpans()
  const proto = ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array
  const json = JsonTraceSerializer.serializeRequest(spans) as Uint8Array

  it('decodes what the official serializers produce, the same from protobuf and JSON', () => {
    const fromProto = decodeTraceExportProto(proto)
    const fromJson = decodeTraceExportJson(json)
    expect(fromProto).toEqual(fromJson)
    const [resource] = fromProto.resourceSpans
    expect(resource?.resource['service.name']).toBe('pricing')
    const [scope] = resource?.scopeSpans ?? []
    expect(scope?.scope).toEqual({ name: '@twinspan/sdk', version: '1.2.3' })
    const [primary, shadow] = scope?.spans ?? []
    expect(primary?.traceId).toBe(spans[0]?.spanContext().traceId)
    expect(primary?.spanId).toBe(spans[0]?.spanContext().spanId)
    expect(primary?.kind).toBe(2) // SERVER
    expect(primary?.attributes).toMatchObject({ big: 2 ** 40, negative: -7, ratio: 0.25, ok: true })
    expect(primary?.endTimeUnixNano).toBeGreaterThanOrEqual(primary?.startTimeUnixNano ?? 0n)
    expect(shadow?.links).toEqual([
      {
        traceId: primary?.traceId,
        spanId: primary?.spanId,
        traceState: '',
        attributes: { why: 'shadow-of' },
      },
    ])
    expect(shadow?.attributes['parallel_run.diff.paths']).toEqual(['cost', 'items[0].price'])
    expect(shadow?.attributes.flags).toEqual([true, false])
    expect(shadow?.events.map((e) => [e.name, e.attributes])).toEqual([['compared', { differences: 2 }]])
    expect(shadow?.status).toEqual({ code: 2, message: 'shadow failed' })
  })

  it('reads JSON quirks: upper-case hex ids, integer strings, unknown fields', () => {
    const body = Buffer.from(
      JSON.stringify({
        unknownTopLevel: 1,
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: 'ABCDEF0123456789ABCDEF0123456789',
                    spanId: 'ABCDEF0123456789',
                    startTimeUnixNano: '1700000000000000001',
                    endTimeUnixNano: 1700000000000000,
                    kind: 3,
                    someFutureField: { nested: true },
                    attributes: [{ key: 'n', value: { intValue: '-9007199254740993' } }],
                  },
                ],
              },
            ],
          },
        ],
      }),
    )
    const span = decodeTraceExportJson(body).resourceSpans[0]?.scopeSpans[0]?.spans[0]
    expect(span?.traceId).toBe('abcdef0123456789abcdef0123456789')
    expect(span?.spanId).toBe('abcdef0123456789')
    expect(span?.startTimeUnixNano).toBe(1700000000000000001n)
    expect(span?.kind).toBe(3)
    expect(span?.attributes.n).toBe(-9007199254740993n) // beyond 2^53: kept exact as bigint
  })

  it('rejects malformed bodies with a decode error, never a crash or an out-of-range read', () => {
    for (let cut = 1; cut < proto.length; cut += Math.ceil(proto.length / 40)) {
      const truncated = proto.subarray(0, cut)
      try {
        decodeTraceExportProto(truncated)
      } catch (error) {
        expect(error).toBeInstanceOf(OtlpDecodeError)
      }
    }
    expect(() => decodeTraceExportProto(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]))).toThrow(
      OtlpDecodeError,
    )
    expect(() => decodeTraceExportProto(Uint8Array.from([0x0b]))).toThrow(/wire type|field/)
    expect(() => decodeTraceExportJson(Buffer.from('{"resourceSpans": 5}'))).toThrow(
      /resourceSpans must be an array/,
    )
    expect(() => decodeTraceExportJson(Buffer.from('not json'))).toThrow(OtlpDecodeError)
    expect(() =>
      decodeTraceExportJson(
        Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz","spanId":"00"}]}]}]}'),
      ),
    ).toThrow(/traceId must be hex/)
  })

  it('decodes attribute keys the same way when it has seen them before, for more keys than it remembers', () => {
    const exporter = new InMemorySpanExporter()
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    const tracer = provider.getTracer('keys')
    // 6,000 distinct keys (the decoder remembers 4,096), multi-byte ones among them, each sent twice.
    for (let round = 0; round < 2; round++) {
      for (let s = 0; s < 60; s++) {
        const attributes: Record<string, string> = {}
        for (let k = 0; k < 100; k++) attributes[k % 7 === 0 ? `ключ.${s}.${k}` : `key.${s}.${k}`] = `v${k}`
        tracer.startSpan(`span ${s}`, { attributes }).end()
      }
    }
    const finished = exporter.getFinishedSpans()
    const fromProto = decodeTraceExportProto(ProtobufTraceSerializer.serializeRequest(finished) as Uint8Array)
    expect(fromProto).toEqual(
      decodeTraceExportJson(JsonTraceSerializer.serializeRequest(finished) as Uint8Array),
    )
    const decoded = fromProto.resourceSpans[0]?.scopeSpans[0]?.spans ?? []
    expect(decoded).toHaveLength(120)
    expect(Object.keys(decoded[119]?.attributes ?? {})).toContain('ключ.59.98')
  })

  it('fails attribute values nested deeper than it allows with a decode error, not a stack overflow', () => {
    let value = field(1, [0x61]) // AnyValue{string_value: "a"}
    for (let i = 0; i < 5000; i++) value = field(5, field(1, value)) // AnyValue{array_value{values: [value]}}
    const span = field(9, [...field(1, [0x6b]), ...field(2, value)]) // attribute "k"
    const proto = Uint8Array.from(field(1, field(2, field(2, span))))
    expect(() => decodeTraceExportProto(proto)).toThrow(/nest deeper than 32 levels/)
    let json = '{"stringValue":"a"}'
    for (let i = 0; i < 5000; i++) json = `{"arrayValue":{"values":[${json}]}}`
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":${json}}]}]}]}]}`
    expect(() => decodeTraceExportJson(Buffer.from(body))).toThrow(/nests deeper than 32 levels/)
    // 32 levels are fine.
    let ok = field(1, [0x61])
    for (let i = 0; i < 32; i++) ok = field(5, field(1, ok))
    const shallow = Uint8Array.from(
      field(1, field(2, field(2, field(9, [...field(1, [0x6b]), ...field(2, ok)])))),
    )
    expect(
      decodeTraceExportProto(shallow).resourceSpans[0]?.scopeSpans[0]?.spans[0]?.attributes.k,
    ).toBeDefined()
  })

  it('keeps an attribute named __proto__ as an attribute, from protobuf and JSON', () => {
    // Built by hand: the OTel JS SDK itself cannot carry such a key, other SDKs can.
    const bytes = (text: string) => [...Buffer.from(text)]
    const attribute = (key: string, value: string) =>
      field(9, [...field(1, bytes(key)), ...field(2, field(1, bytes(value)))])
    const proto = Uint8Array.from(
      field(1, field(2, field(2, [...attribute('__proto__', 'x'), ...attribute('normal', 'y')]))),
    )
    const json = JSON.stringify({
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  attributes: [
                    { key: '__proto__', value: { stringValue: 'x' } },
                    { key: 'normal', value: { stringValue: 'y' } },
                  ],
                },
              ],
            },
          ],
        },
      ],
    })
    for (const decoded of [decodeTraceExportProto(proto), decodeTraceExportJson(Buffer.from(json))]) {
      const attributes = decoded.resourceSpans[0]?.scopeSpans[0]?.spans[0]?.attributes ?? {}
      expect(Object.getPrototypeOf(attributes)).toBe(Object.prototype)
      expect(Object.keys(attributes)).toEqual(['__proto__', 'normal'])
      expect(JSON.stringify(attributes)).toBe('{"__proto__":"x","normal":"y"}')
    }
  })

  it('skips unknown protobuf fields of every wire type', () => {
    // field 9 (unknown) as varint, fixed64, bytes and fixed32, then one empty ResourceSpans (field 1)
    const body = Uint8Array.from([
      0x48, 0x01, 0x49, 1, 2, 3, 4, 5, 6, 7, 8, 0x4a, 0x02, 0xaa, 0xbb, 0x4d, 1, 2, 3, 4, 0x0a, 0x00,
    ])
    expect(decodeTraceExportProto(body)).toEqual({ resourceSpans: [{ resource: {}, scopeSpans: [] }] })
  })

  it('encodes responses the official client can read', () => {
    expect(encodeTraceExportResponseProto(0, '')).toEqual(new Uint8Array(0))
    const partial = ProtobufTraceSerializer.deserializeResponse(
      encodeTraceExportResponseProto(3, 'span x: bad'),
    )
    expect(partial.partialSuccess?.errorMessage).toBe('span x: bad')
    expect(Number(partial.partialSuccess?.rejectedSpans)).toBe(3)
    const status = new ProtoReader(encodeStatusProto(3, 'bad body'))
    expect(status.tag()).toBe((1 << 3) | 0)
    expect(status.varint32()).toBe(3)
    expect(status.tag()).toBe((2 << 3) | 2)
    expect(status.string()).toBe('bad body')
  })
})

describe('ProtoReader.int64', () => {
  const varint = (n: number | bigint) => {
    let v = BigInt.asUintN(64, BigInt(n))
    const out: number[] = []
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80)
      v >>= 7n
    }
    out.push(Number(v))
    return Uint8Array.from(out)
  }

  it('reads small values as numbers without BigInt, and agrees with the BigInt path everywhere', () => {
    const values = [0, 1, 127, 128, 300, 2 ** 40, 2 ** 49 - 1, 2 ** 49, 2 ** 53 - 1, 2n ** 53n, -1, -42]
    for (const value of [...values, -(2 ** 53) + 1, -(2n ** 63n), 2n ** 63n - 1n]) {
      const bytes = varint(value)
      const reader = new ProtoReader(bytes)
      const read = reader.int64()
      expect(read).toBe(narrowInt(new ProtoReader(bytes).varint64()))
      expect(reader.pos).toBe(bytes.length)
    }
    expect(new ProtoReader(varint(300)).int64()).toBe(300)
    expect(new ProtoReader(varint(2n ** 53n)).int64()).toBe(2n ** 53n)
  })
})
