import { compareHttp, DEFAULT_IGNORED_HEADERS } from '@twinspan/compare'
import { afterEach, describe, expect, it, vi } from 'vitest'

const json = { 'content-type': 'application/json; charset=utf-8' }

describe('compareHttp', () => {
  it('matches identical responses', () => {
    const response = { status: 200, headers: json, body: '{"id":1}' }
    expect(compareHttp(response, { ...response })).toMatchObject({
      matches: true,
      severity: 'none',
      differences: [],
    })
  })

  it('makes a status difference critical by default', () => {
    const result = compareHttp({ status: 200, body: 'ok' }, { status: 500, body: 'ok' })
    expect(result.severity).toBe('critical')
    expect(result.differences).toEqual([
      { path: 'status', kind: 'changed', primary: 200, shadow: 500, severity: 'critical' },
    ])
  })

  it('reads a numeric status given as a string', () => {
    expect(compareHttp({ status: '200' }, { status: 200 }).matches).toBe(true)
  })

  it('lets a rule on status change its severity', () => {
    const result = compareHttp({ status: 200 }, { status: 201 }, { rules: { status: { severity: 'minor' } } })
    expect(result.severity).toBe('minor')
  })

  it('compares header names case-insensitively and values as text', () => {
    const result = compareHttp(
      { status: 200, headers: { 'Cache-Control': 'no-store', 'X-Count': 2 } },
      {
        status: 200,
        headers: new Map([
          ['cache-control', 'no-store'],
          ['x-count', '2'],
        ]),
      },
    )
    expect(result.matches).toBe(true)
    const changed = compareHttp(
      { status: 200, headers: { 'Cache-Control': 'no-store' } },
      { status: 200, headers: [['cache-control', 'max-age=60']] },
    )
    expect(changed.differences).toMatchObject([{ path: 'headers.cache-control', kind: 'changed' }])
  })

  it('accepts a fetch Headers object and joins repeated headers', () => {
    const headers = new Headers([
      ['Vary', 'accept'],
      ['vary', 'origin'],
    ])
    expect(
      compareHttp({ status: 200, headers }, { status: 200, headers: { vary: ['accept', 'origin'] } }).matches,
    ).toBe(true)
  })

  it('ignores the default noisy headers', () => {
    expect(DEFAULT_IGNORED_HEADERS).toEqual(expect.arrayContaining(['date', 'x-request-id', 'server']))
    const result = compareHttp(
      {
        status: 200,
        headers: { Date: 'Mon, 01 Jan 2024 00:00:00 GMT', 'X-Request-Id': 'a', Server: 'nginx' },
      },
      {
        status: 200,
        headers: { date: 'Tue, 02 Jan 2024 00:00:00 GMT', 'x-request-id': 'b', server: 'envoy' },
      },
    )
    expect(result.matches).toBe(true)
  })

  it('lets ignoreHeaders replace the default list', () => {
    const primary = { status: 200, headers: { date: 'a', 'x-build': '1' } }
    const shadow = { status: 200, headers: { date: 'b', 'x-build': '2' } }
    const result = compareHttp(primary, shadow, { ignoreHeaders: ['X-Build'] })
    expect(result.differences.map((d) => d.path)).toEqual(['headers.date'])
    const extended = compareHttp(primary, shadow, { ignoreHeaders: [...DEFAULT_IGNORED_HEADERS, 'x-build'] })
    expect(extended.matches).toBe(true)
  })

  it('parses JSON bodies by content type and compares them with the rules', () => {
    const primary = { status: 200, headers: json, body: '{"total": 10.00, "items": [1, 2]}' }
    const shadow = {
      status: 200,
      headers: { 'content-type': 'application/problem+json' },
      body: Buffer.from('{"items":[1,3],"total":10.004}'),
    }
    const result = compareHttp(primary, shadow, { rules: { 'body.total': { tolerance: 0.01 } } })
    expect(result.differences.map((d) => [d.path, d.primary, d.shadow])).toEqual([
      ['headers.content-type', 'application/json; charset=utf-8', 'application/problem+json'],
      ['body.items[1]', 2, 3],
    ])
  })

  it('accepts bodies as string, Buffer, Uint8Array, ArrayBuffer or an already parsed value', () => {
    const text = '{"a":[1,{"b":2}]}'
    const bodies = [
      text,
      Buffer.from(text),
      new TextEncoder().encode(text),
      new TextEncoder().encode(text).buffer,
      { a: [1, { b: 2 }] },
    ]
    for (const body of bodies) {
      expect(
        compareHttp({ status: 200, headers: json, body: text }, { status: 200, headers: json, body }).matches,
      ).toBe(true)
    }
  })

  it('compares other bodies as text', () => {
    const result = compareHttp(
      { status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from('hello') },
      { status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello!' },
    )
    expect(result.differences).toEqual([
      { path: 'body', kind: 'changed', primary: 'hello', shadow: 'hello!', severity: 'major' },
    ])
    // whitespace inside JSON does not matter, inside text it does
    const spaced = compareHttp(
      { status: 200, headers: json, body: '{"a": 1}' },
      { status: 200, headers: json, body: '{"a":1}' },
    )
    expect(spaced.matches).toBe(true)
  })

  it('compares a body that claims JSON but does not parse as text', () => {
    const result = compareHttp(
      { status: 200, headers: json, body: '{oops' },
      { status: 200, headers: json, body: '{oops' },
    )
    expect(result.matches).toBe(true)
    const differs = compareHttp(
      { status: 200, headers: json, body: '{oops' },
      { status: 200, headers: json, body: '{"a":1}' },
    )
    expect(differs.differences[0]).toMatchObject({ path: 'body', kind: 'type' })
  })

  it('compares binary bodies as bytes in one difference', () => {
    const png = { 'content-type': 'image/png' }
    const result = compareHttp(
      { status: 200, headers: png, body: new Uint8Array([137, 80, 78, 71]) },
      { status: 200, headers: png, body: new Uint8Array([137, 80, 78, 72]) },
    )
    expect(result.differences).toMatchObject([
      { path: 'body', note: '4 bytes vs 4 bytes, first difference at byte 3' },
    ])
  })

  it('treats an empty body as no body', () => {
    expect(compareHttp({ status: 204, body: '' }, { status: 204 }).matches).toBe(true)
    expect(compareHttp({ status: 204, body: Buffer.alloc(0) }, { status: 204, body: null }).matches).toBe(
      true,
    )
  })

  it('ignores headers and body paths through rules', () => {
    const result = compareHttp(
      { status: 200, headers: { etag: 'a', 'x-version': '1', ...json }, body: '{"id":1,"generatedAt":"x"}' },
      { status: 200, headers: { etag: 'b', 'x-version': '2', ...json }, body: '{"id":1,"generatedAt":"y"}' },
      { rules: { 'headers.x-version': 'ignore', 'body.generatedAt': 'ignore' } },
    )
    expect(result.matches).toBe(true)
  })

  it('treats JSON __proto__ keys in bodies as data', () => {
    const result = compareHttp(
      { status: 200, headers: json, body: '{"__proto__":{"polluted":1}}' },
      { status: 200, headers: json, body: '{"__proto__":{"polluted":2}}' },
    )
    expect(result.differences.map((d) => d.path)).toEqual(['body.__proto__.polluted'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('compareHttp: bodies with the same bytes', () => {
  afterEach(() => vi.restoreAllMocks())
  const order = '{"id":"4711","total":129.85,"items":[{"sku":"A","qty":1}]}'

  it('are equal without being parsed, as text or as bytes of any kind', () => {
    const parse = vi.spyOn(JSON, 'parse')
    const bytes = Buffer.from(order)
    for (const [primary, shadow] of [
      [order, `${order}`],
      [bytes, Buffer.from(order)],
      [new Uint8Array(bytes), bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)],
    ]) {
      const result = compareHttp(
        { status: 200, headers: json, body: primary },
        { status: 200, headers: { 'Content-Type': json['content-type'] }, body: shadow },
        { rules: { 'body.total': { tolerance: 0.01, severity: 'critical' } } },
      )
      expect(result).toMatchObject({ matches: true, severity: 'none', differences: [] })
    }
    expect(parse).not.toHaveBeenCalled()
  })

  it('still see a status or header difference', () => {
    const result = compareHttp(
      { status: 200, headers: { ...json, 'cache-control': 'no-store' }, body: order },
      { status: 201, headers: { ...json, 'cache-control': 'max-age=60' }, body: Buffer.from(order) },
    )
    expect(result.differences.map((d) => [d.path, d.severity])).toEqual([
      ['status', 'critical'],
      ['headers.cache-control', 'major'],
    ])
  })

  it('under different content types are read as each type says', () => {
    const result = compareHttp(
      { status: 200, headers: json, body: order },
      { status: 200, headers: { 'content-type': 'text/plain' }, body: order },
      { ignoreHeaders: ['content-type'] },
    )
    expect(result.differences).toMatchObject([{ path: 'body', kind: 'type' }])
  })

  it('match when nothing but ignored headers differs, and not when those headers are compared', () => {
    const primary = {
      status: 200,
      headers: { ...json, date: 'Mon', etag: 'W/"a"', 'x-powered-by': 'Express' },
      body: order,
    }
    const shadow = {
      status: '200',
      headers: { ...json, date: 'Tue', server: 'v2' },
      body: Buffer.from(order),
    }
    expect(compareHttp(primary, shadow)).toEqual({
      matches: true,
      severity: 'none',
      differences: [],
      truncated: 0,
    })
    const strict = compareHttp(primary, shadow, { ignoreHeaders: [] })
    expect(strict.differences.map((d) => d.path)).toEqual([
      'headers.date',
      'headers.etag',
      'headers.x-powered-by',
      'headers.server',
    ])
  })

  it('are told equal from lower-case header records as given, and anything else is fully compared', () => {
    const headers = { ...json, vary: 'accept', date: 'Mon', 'set-cookie': ['a=1'] }
    const same = compareHttp(
      { status: 200, headers, body: Buffer.from(order) },
      { status: 200, headers: { ...headers, date: 'Tue', 'set-cookie': ['b=2'] }, body: Buffer.from(order) },
    )
    expect(same).toEqual({ matches: true, severity: 'none', differences: [], truncated: 0 })
    type Headers = Record<string, string | number | string[] | undefined>
    const cases: [Headers, Headers, string[]][] = [
      [{ ...json, vary: 'accept' }, { ...json, vary: 'origin' }, ['headers.vary']], // a value
      [{ ...json }, { ...json, vary: 'origin' }, ['headers.vary']], // only on the shadow
      [{ ...json, vary: 'accept' }, { ...json }, ['headers.vary']], // only on the primary
      [{ ...json, vary: undefined }, { ...json, vary: 'origin' }, ['headers.vary']], // absent as undefined
      [{ ...json, Vary: 'accept' }, { ...json, vary: 'accept' }, []], // names in any case
      [{ ...json, vary: ['accept', 'origin'] }, { ...json, vary: 'accept, origin' }, []], // a list as text
      [{ ...json, 'x-n': 1 }, { ...json, 'x-n': '1' }, []], // values as text
      [{ ...json, 'x-n': 1 }, { ...json, 'x-n': '2' }, ['headers.x-n']],
    ]
    for (const [primary, shadow, paths] of cases) {
      const result = compareHttp(
        { status: 200, headers: primary, body: order },
        { status: 200, headers: shadow, body: order },
      )
      expect(result.differences.map((d) => d.path)).toEqual(paths)
      expect(result.matches).toBe(paths.length === 0)
    }
  })

  it('different bytes of the same JSON still match, parsed', () => {
    const parse = vi.spyOn(JSON, 'parse')
    const reordered = '{ "items": [ { "qty": 1, "sku": "A" } ], "total": 129.85, "id": "4711" }'
    const result = compareHttp(
      { status: 200, headers: json, body: Buffer.from(order) },
      { status: 200, headers: json, body: Buffer.from(reordered) },
    )
    expect(result).toMatchObject({ matches: true, severity: 'none', differences: [] })
    expect(parse).toHaveBeenCalledTimes(2)
  })

  it('different bytes that differ in meaning are found', () => {
    const changed = order.replace('"qty":1', '"qty":2')
    const result = compareHttp(
      { status: 200, headers: json, body: Buffer.from(order) },
      { status: 200, headers: json, body: Buffer.from(changed) },
    )
    expect(result.matches).toBe(false)
    expect(result.differences).toEqual([
      { path: 'body.items[0].qty', kind: 'changed', primary: 1, shadow: 2, severity: 'major' },
    ])
  })
})
