/** Comparing the legacy app's responses with a candidate's, per endpoint, recorded as SDK spans. */
import {
  ATTR_DIFF,
  ATTR_DIFF_PATHS,
  ATTR_EXPERIMENT,
  ATTR_OPERATION,
  ATTR_OUTCOME,
  ATTR_PRIMARY_DURATION_MS,
  ATTR_RUN_ID,
  ATTR_SERVED,
  ATTR_SEVERITY,
  ATTR_SHADOW_DURATION_MS,
} from '@twinspan/conventions'
import { type HttpRunResult, parallelRun } from '@twinspan/express'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  candidateServer,
  exporter,
  get,
  legacyApp,
  order,
  primarySpans,
  type Running,
  serve,
  shadowSpans,
  theShadowSpan,
  tracer,
  twinCandidate,
} from './support.js'

const open: Running[] = []
beforeEach(() => exporter.reset())
afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()))
})

/** A legacy app behind the middleware, mirroring to `candidate`. */
async function mirrored(candidate: string, options: Partial<Parameters<typeof parallelRun>[0]> = {}) {
  const middleware = parallelRun({ candidate, name: 'orders-v2', tracer, ...options })
  const legacy = await serve(legacyApp([middleware]))
  open.push(legacy)
  return { middleware, legacy }
}

describe('comparison', () => {
  it('identical endpoints match, with the wire contract on both linked spans', async () => {
    const candidate = await twinCandidate()
    open.push(candidate)
    const results: HttpRunResult[] = []
    const { middleware, legacy } = await mirrored(candidate.url, { onResult: (r) => void results.push(r) })

    const response = await get(`${legacy.url}/orders/17?expand=items`)
    expect(JSON.parse(response.text)).toEqual(order('17'))
    await middleware.flush()

    const shadow = theShadowSpan()
    const [primary] = primarySpans()
    expect(shadow.attributes[ATTR_OUTCOME]).toBe('match')
    expect(shadow.attributes[ATTR_SEVERITY]).toBe('none')
    expect(shadow.attributes[ATTR_SERVED]).toBe('primary')
    expect(shadow.attributes[ATTR_EXPERIMENT]).toBe('orders-v2')
    expect(shadow.attributes[ATTR_OPERATION]).toBe('GET /orders/:id')
    expect(primary?.attributes[ATTR_OPERATION]).toBe('GET /orders/:id')
    expect(primary?.attributes[ATTR_RUN_ID]).toBe(shadow.attributes[ATTR_RUN_ID])
    expect(shadow.links[0]?.context.spanId).toBe(primary?.spanContext().spanId)
    expect(shadow.attributes[ATTR_PRIMARY_DURATION_MS]).toBeGreaterThan(0)
    expect(shadow.attributes[ATTR_SHADOW_DURATION_MS]).toBeGreaterThan(0)
    // the candidate got the same path and query
    expect(candidate.seen.map((r) => r.url)).toEqual(['/orders/17?expand=items'])
    expect(results).toHaveLength(1)
    expect(results[0]).toMatchObject({
      outcome: 'match',
      operation: 'GET /orders/:id',
      request: { method: 'GET', url: '/orders/17?expand=items' },
    })
    expect(middleware.inFlight).toBe(0)
  })

  it('finds a changed JSON field (major by default, critical by a body rule)', async () => {
    const candidate = await candidateServer((req, res) => {
      const id = req.url.split('/')[2] ?? ''
      res.setHeader('content-type', 'application/json; charset=utf-8')
      res.end(JSON.stringify({ ...order(id), total: 45 }))
    })
    open.push(candidate)
    const plain = await mirrored(candidate.url)
    await get(`${plain.legacy.url}/orders/1`)
    await plain.middleware.flush()
    const shadow = theShadowSpan()
    expect(shadow.attributes[ATTR_OUTCOME]).toBe('mismatch')
    expect(shadow.attributes[ATTR_SEVERITY]).toBe('major')
    expect(shadow.attributes[ATTR_DIFF_PATHS]).toEqual(['body.total'])
    expect(JSON.parse(String(shadow.attributes[ATTR_DIFF]))).toEqual([
      { path: 'body.total', kind: 'changed', severity: 'major', primary: 42.5, shadow: 45 },
    ])

    exporter.reset()
    const ruled = await mirrored(candidate.url, {
      compare: { rules: { 'body.total': { tolerance: 0.01, severity: 'critical' } } },
    })
    await get(`${ruled.legacy.url}/orders/1`)
    await ruled.middleware.flush()
    expect(theShadowSpan().attributes[ATTR_SEVERITY]).toBe('critical')
  })

  it('finds a changed status (critical) and an extra header (major)', async () => {
    const candidate = await candidateServer((req, res) => {
      const id = req.url.split('/')[2] ?? ''
      res.setHeader('content-type', 'application/json; charset=utf-8')
      if (id === 'gone') res.statusCode = 404
      else res.setHeader('x-served-by', 'orders-v2')
      res.end(JSON.stringify(order(id)))
    })
    open.push(candidate)
    const { middleware, legacy } = await mirrored(candidate.url)

    await get(`${legacy.url}/orders/gone`)
    await get(`${legacy.url}/orders/2`)
    await middleware.flush()
    const byUrl = new Map(
      shadowSpans().map((s) => [String(JSON.parse(String(s.attributes[ATTR_DIFF]))[0]?.path), s]),
    )
    const status = byUrl.get('status')
    expect(status?.attributes[ATTR_OUTCOME]).toBe('mismatch')
    expect(status?.attributes[ATTR_SEVERITY]).toBe('critical')
    expect(JSON.parse(String(status?.attributes[ATTR_DIFF]))[0]).toMatchObject({ primary: 200, shadow: 404 })
    const header = byUrl.get('headers.x-served-by')
    expect(header?.attributes[ATTR_SEVERITY]).toBe('major')
    expect(JSON.parse(String(header?.attributes[ATTR_DIFF]))).toEqual([
      { path: 'headers.x-served-by', kind: 'added', severity: 'major', shadow: 'orders-v2' },
    ])
  })

  it('attributes each run to its operation: route template under its router, else the path', async () => {
    const candidate = await twinCandidate()
    open.push(candidate)
    const { middleware, legacy } = await mirrored(candidate.url)
    await get(`${legacy.url}/orders/1`)
    await get(`${legacy.url}/orders/2`)
    await get(`${legacy.url}/api/customers/c-7`)
    await get(`${legacy.url}/nowhere?x=1`)
    await middleware.flush()
    const operations = shadowSpans()
      .map((s) => s.attributes[ATTR_OPERATION])
      .sort()
    expect(operations).toEqual([
      'GET /api/customers/:customerId',
      'GET /nowhere',
      'GET /orders/:id',
      'GET /orders/:id',
    ])
    expect(
      primarySpans()
        .map((s) => s.attributes[ATTR_OPERATION])
        .sort(),
    ).toEqual(operations)
    // a 404 from both is a match
    expect(shadowSpans().every((s) => s.attributes[ATTR_OUTCOME] === 'match')).toBe(true)
  })

  it('takes the operation from an option: a fixed string, or a function of req and res', async () => {
    const candidate = await twinCandidate()
    open.push(candidate)
    const fixed = await mirrored(candidate.url, { operation: 'orders' })
    await get(`${fixed.legacy.url}/orders/1`)
    await fixed.middleware.flush()
    expect(theShadowSpan().attributes[ATTR_OPERATION]).toBe('orders')

    exporter.reset()
    const errors: unknown[] = []
    const computed = await mirrored(candidate.url, {
      operation: (req, res) => {
        if (req.originalUrl.startsWith('/api')) throw new Error('bug in operation')
        return `${res.statusCode} ${req.path.split('/')[1]}`
      },
      onError: (error) => void errors.push(error),
    })
    await get(`${computed.legacy.url}/orders/1`)
    await get(`${computed.legacy.url}/api/customers/9`)
    await computed.middleware.flush()
    expect(
      shadowSpans()
        .map((s) => s.attributes[ATTR_OPERATION])
        .sort(),
    ).toEqual(['200 orders', 'GET /api/customers/:customerId'])
    expect(errors).toHaveLength(1)
  })
})
