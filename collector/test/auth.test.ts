import { afterAll, beforeAll, expect, it } from 'vitest'
import { exportJson, postTraces, runSpans, startTestCollector } from './ingest-support.js'

let collector: Awaited<ReturnType<typeof startTestCollector>>
beforeAll(async () => {
  collector = await startTestCollector((config) => {
    config.server.authToken = 's3cret'
  })
})
afterAll(() => collector.dispose())

const body = () => exportJson(runSpans([{ runId: `auth-${Math.random()}` }]))

it('requires the bearer token on ingest, API and metrics, but not on /healthz', async () => {
  const missing = await postTraces(collector.url, body())
  expect(missing.status).toBe(401)
  expect(missing.headers.get('www-authenticate')).toContain('Bearer')
  expect(
    (
      await postTraces(collector.url, body(), {
        'content-type': 'application/json',
        authorization: 'Bearer nope',
      })
    ).status,
  ).toBe(401)
  expect(
    (
      await postTraces(collector.url, body(), {
        'content-type': 'application/json',
        authorization: 'Bearer s3cret',
      })
    ).status,
  ).toBe(200)
  expect((await fetch(`${collector.url}/api/experiments`)).status).toBe(401)
  expect((await fetch(`${collector.url}/metrics`)).status).toBe(401)
  expect(
    (await fetch(`${collector.url}/api/experiments`, { headers: { authorization: 'Bearer s3cret' } })).status,
  ).toBe(200)
  expect((await fetch(`${collector.url}/healthz`)).status).toBe(200)
})
