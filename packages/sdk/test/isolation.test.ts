import http, { request as namedRequest } from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { ATTR_ERROR_TYPE, ATTR_OUTCOME } from '@twinspan/conventions'
import { experiment, isShadow, SideEffectBlockedError } from '@twinspan/sdk'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { exporter, shadowSpans, tick, tracer } from './support.js'

let server: http.Server
let base: string
const received: string[] = []

beforeAll(async () => {
  server = http.createServer((req, res) => {
    received.push(`${req.method} ${req.url}`)
    req.resume()
    req.on('end', () => res.end('ok'))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})
beforeEach(() => {
  exporter.reset()
  received.length = 0
})

/** An http.request as a promise of the response body. */
function httpCall(request: typeof http.request, url: string, method: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let body = ''
      res.on('data', (chunk) => {
        body += chunk
      })
      res.on('end', () => resolve(body))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('isShadow()', () => {
  it('is true on the shadow path only, across awaits', async () => {
    const seen: Record<string, boolean> = {}
    const exp = experiment({
      name: 'who-am-i',
      tracer,
      primary: async () => {
        seen.primary = isShadow()
        await tick()
        seen.primaryAfterAwait = isShadow()
        return 1
      },
      shadow: async () => {
        seen.shadow = isShadow()
        await tick()
        await new Promise((r) => setTimeout(r, 1))
        seen.shadowAfterAwait = isShadow()
        return 1
      },
    })
    seen.caller = isShadow()
    await exp.run()
    await exp.flush()
    seen.callerAfter = isShadow()
    expect(seen).toEqual({
      caller: false,
      primary: false,
      primaryAfterAwait: false,
      shadow: true,
      shadowAfterAwait: true,
      callerAfter: false,
    })
  })
})

describe('blockSideEffects against a real local HTTP server', () => {
  const attempt = async (call: () => Promise<unknown>) => {
    try {
      return { value: await call() }
    } catch (error) {
      return { error }
    }
  }

  it("blocks a shadow's fetch POST before it reaches the server; GET passes; the primary's POST passes", async () => {
    const outcomes: Record<string, unknown> = {}
    const exp = experiment({
      name: 'egress',
      tracer,
      blockSideEffects: true,
      primary: async () => (await fetch(`${base}/orders`, { method: 'POST', body: '{}' })).text(),
      shadow: async () => {
        const started = performance.now()
        outcomes.post = await attempt(() =>
          fetch(`${base}/orders?customer=ann`, { method: 'POST', body: '{}' }),
        )
        outcomes.postMs = performance.now() - started
        outcomes.get = await attempt(async () => (await fetch(`${base}/orders/1`)).text())
        outcomes.head = await attempt(
          async () => (await fetch(`${base}/orders/1`, { method: 'HEAD' })).status,
        )
        outcomes.deleteRequest = await attempt(() =>
          fetch(new Request(`${base}/orders/1`, { method: 'DELETE' })),
        )
        outcomes.put = await attempt(() => fetch(`${base}/orders/1`, { method: 'put', body: '{}' }))
        return 'ok'
      },
    })
    expect(await exp.run()).toBe('ok')
    await exp.flush()

    const blocked = (outcomes.post as { error: SideEffectBlockedError }).error
    expect(blocked).toBeInstanceOf(SideEffectBlockedError)
    expect(blocked.code).toBe('ERR_TWINSPAN_SIDE_EFFECT_BLOCKED')
    expect(blocked.message).toContain(
      `blocked POST ${base}/orders from candidate 'shadow' of experiment 'egress'`,
    )
    expect(blocked.message).not.toContain('customer=ann') // query strings may carry personal data
    expect(outcomes.postMs).toBeLessThan(50)
    expect(outcomes.get).toEqual({ value: 'ok' })
    expect(outcomes.head).toEqual({ value: 200 })
    expect((outcomes.deleteRequest as { error: unknown }).error).toBeInstanceOf(SideEffectBlockedError)
    expect((outcomes.put as { error: unknown }).error).toBeInstanceOf(SideEffectBlockedError)
    expect(received.sort()).toEqual(['GET /orders/1', 'HEAD /orders/1', 'POST /orders'])
  })

  it('blocks node:http and node:https requests (default and named imports); GET passes', async () => {
    const outcomes: Record<string, unknown> = {}
    const exp = experiment({
      name: 'egress-http',
      tracer,
      blockSideEffects: true,
      primary: () => 'ok',
      shadow: async () => {
        outcomes.post = await attempt(() => httpCall(http.request, `${base}/payments`, 'POST'))
        outcomes.named = await attempt(() => httpCall(namedRequest, `${base}/payments`, 'PATCH'))
        outcomes.https = await attempt(() => httpCall(https.request, 'https://127.0.0.1:1/refunds', 'DELETE'))
        outcomes.get = await attempt(() => httpCall(http.request, `${base}/payments/1`, 'GET'))
        outcomes.getHelper = await attempt(
          () =>
            new Promise((resolve, reject) =>
              http.get(`${base}/payments/2`, (res) => resolve(res.resume().statusCode)).on('error', reject),
            ),
        )
        return 'ok'
      },
    })
    await exp.run()
    await exp.flush()
    for (const key of ['post', 'named', 'https'])
      expect((outcomes[key] as { error: unknown }).error, key).toBeInstanceOf(SideEffectBlockedError)
    expect(outcomes.get).toEqual({ value: 'ok' })
    expect(outcomes.getHelper).toEqual({ value: 200 })
    expect(received.sort()).toEqual(['GET /payments/1', 'GET /payments/2'])
  })

  it('an unguarded shadow fails as shadow_error carrying the error type', async () => {
    const exp = experiment({
      name: 'egress-error',
      tracer,
      blockSideEffects: true,
      primary: () => 'ok',
      shadow: async () => (await fetch(`${base}/emails`, { method: 'POST' })).text(),
    })
    expect(await exp.run()).toBe('ok')
    await exp.flush()
    const [span] = shadowSpans()
    expect(span?.attributes[ATTR_OUTCOME]).toBe('shadow_error')
    expect(span?.attributes[ATTR_ERROR_TYPE]).toBe('SideEffectBlockedError')
    expect(received).toEqual([])
  })

  it('is a no-op outside shadows and in shadows of experiments without the option', async () => {
    const open = experiment({
      name: 'egress-allowed',
      tracer,
      primary: () => 'ok',
      shadow: async () => httpCall(http.request, `${base}/audit`, 'POST'),
    })
    await open.run()
    await open.flush()
    await fetch(`${base}/outside`, { method: 'DELETE' })
    await httpCall(http.request, `${base}/outside`, 'PUT')
    expect(received.sort()).toEqual(['DELETE /outside', 'POST /audit', 'PUT /outside'])
    expect(shadowSpans()[0]?.attributes[ATTR_OUTCOME]).toBe('match')
  })
})
