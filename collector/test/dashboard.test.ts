/**
 * The dashboard in headless Chromium against a real collector (bearer token on) seeded through
 * POST /v1/traces: numbers and verdicts, charts, the diff view, untrusted HTML, the token flow.
 * Screenshots go to test-results/dashboard/ (gitignored).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Collector, parseConfig, startCollector } from '@twinspan/collector'
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { checkoutRuns } from './support/datasets.js'
import { type SyntheticRun, sendRuns, uniform, waitForRuns } from './support/synthetic-runs.js'

const SHOTS = join(import.meta.dirname, '..', '..', 'test-results', 'dashboard')
const MINUTE = 60_000

/** Untrusted text as it could arrive in span attributes: it must show as text and run nothing. */
const IMG_XSS = '<img src=x onerror="window.__xss=1">'
const SCRIPT_XSS = '<script>window.__xss=2</script>'

/** shipping-cost: 200 runs in the last hour, all match, shadow 4% slower: GO on a 1h window, 100 samples. */
function shippingRuns(t0: number): SyntheticRun[] {
  return Array.from({ length: 200 }, (_, i) => ({
    experiment: 'shipping-cost',
    timeMs: t0 - 2 * MINUTE - (i % 50) * MINUTE,
    operation: i % 2 === 0 ? 'ups' : 'dhl',
    outcome: 'match' as const,
    primaryMs: uniform(20, 30, i, 200, 7),
    shadowMs: uniform(20.8, 31.2, i, 200, 7),
  }))
}

/**
 * search-ranking: 20 runs in the last hour: 14 match, 4 mismatch, 2 timeouts; the shadow is 30%
 * slower. Four experiment-wide checks fail (samples, match rate, p95, shadow failures).
 */
function rankingRuns(t0: number): SyntheticRun[] {
  return Array.from({ length: 20 }, (_, i): SyntheticRun => {
    const outcome = i < 14 ? 'match' : i < 18 ? 'mismatch' : 'timeout'
    return {
      experiment: 'search-ranking',
      runId: `ranking-${i}`,
      timeMs: t0 - 3 * MINUTE - i * MINUTE,
      operation: 'GET /search',
      outcome,
      primaryMs: 100,
      shadowMs: 130,
      ...(outcome === 'mismatch'
        ? {
            differences: [
              {
                path: 'results[0].id',
                kind: 'changed',
                primary: 'sku-1',
                shadow: 'sku-9',
                severity: 'major',
              },
              { path: 'results[3].score', kind: 'changed', primary: 0.82, shadow: 0.79, severity: 'minor' },
            ],
          }
        : {}),
    }
  })
}

/** untrusted-html: 5 runs whose operation and differences carry HTML (sent by the XSS test). */
function untrustedRuns(t0: number): SyntheticRun[] {
  return Array.from({ length: 5 }, (_, i): SyntheticRun => {
    const outcome = i < 3 ? 'match' : 'mismatch'
    return {
      experiment: 'untrusted-html',
      runId: `untrusted-${i}`,
      timeMs: t0 - 2 * MINUTE - i * MINUTE,
      operation: `GET /search ${IMG_XSS}`,
      outcome,
      primaryMs: 10,
      shadowMs: 11,
      ...(outcome === 'mismatch'
        ? {
            differences: [
              {
                path: `results[0].title${IMG_XSS}`,
                kind: 'changed',
                primary: IMG_XSS,
                shadow: SCRIPT_XSS,
                severity: 'major',
              },
              { path: 'results[1].id', kind: 'removed', primary: 'sku-1', severity: 'minor' },
            ],
          }
        : {}),
    }
  })
}

const TOKEN = 'dashboard-test-token'
let collector: Collector & { token: string }
let dataDir: string
let browser: Browser
let context: BrowserContext
let page: Page
const pageErrors: string[] = []

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'twinspan-dashboard-'))
  const started = await startCollector(
    parseConfig({
      server: { port: 0, authToken: TOKEN },
      storage: { dataDir, batchAgeMs: 50 },
      experiments: { 'shipping-cost': { readiness: { window: '1h', minSamples: 100 } } },
      // The implicit log receiver, told at once: the alerts page shows a last notification quickly.
      alerts: { route: { receiver: 'log', groupWait: '0s', groupInterval: '1s' } },
    }),
  )
  collector = Object.assign(started, { token: TOKEN })
  const t0 = Date.now()
  await sendRuns(collector, [...checkoutRuns(t0), ...shippingRuns(t0), ...rankingRuns(t0)])
  await waitForRuns(collector, 'checkout', 1650)
  await waitForRuns(collector, 'shipping-cost', 200)
  await waitForRuns(collector, 'search-ranking', 20)
  mkdirSync(SHOTS, { recursive: true })
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
  context = await browser.newContext({ viewport: { width: 1360, height: 900 } })
  page = await context.newPage()
  page.setDefaultTimeout(10_000)
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => {
    // Answers the page handles: 401 (token flow), 404 (alerting absent), 400 (a refused silence).
    if (message.type() === 'error' && !/status of (400|401|404)/.test(message.text()))
      pageErrors.push(`${message.text()} (${message.location().url})`)
  })
}, 90_000)

afterAll(async () => {
  await browser?.close()
  await collector?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

const shot = (name: string, fullPage = true) =>
  page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage })
/** Wait until the page finished rendering (the shell marks main busy while it fetches). */
const settled = () => page.locator('main:not([aria-busy])').waitFor()
/** Load the dashboard at a route, from scratch (a hash change alone would render asynchronously). */
async function open(route: string): Promise<void> {
  await page.goto('about:blank')
  await page.goto(`${collector.url}/${route}`)
  await settled()
}
const card = (name: string) => page.locator(`article.card[data-experiment="${name}"]`)

/** Painted pixels of the canvases under `selector` (uPlot draws lines and bars on canvas). */
async function paintedPixels(selector: string): Promise<number> {
  return page.locator(selector).evaluate((root) => {
    let painted = 0
    for (const canvas of root.querySelectorAll('canvas')) {
      const pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? []
      for (let i = 3; i < pixels.length; i += 4) if ((pixels[i] ?? 0) > 0) painted++
    }
    return painted
  })
}

describe('the dashboard', () => {
  it('serves its page and bundle without the token, with a content security policy', async () => {
    const shell = await fetch(`${collector.url}/`)
    expect(shell.status).toBe(200)
    expect(shell.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await shell.text()).toContain('dashboard/app.js')
    const script = await fetch(`${collector.url}/dashboard/app.js`)
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toMatch(/javascript/)
    expect((await fetch(`${collector.url}/api/experiments`)).status).toBe(401)
  })

  it('asks for the API token on 401, says when one is refused, and keeps it for the tab', async () => {
    await open('')
    await expect.poll(() => page.locator('h1').textContent()).toBe('API token required')
    expect(await page.getByRole('alert').textContent()).toContain('requires an API token')
    await page.getByLabel('API token', { exact: true }).fill('wrong-token')
    await page.getByRole('button', { name: 'Use token' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('refused the saved token')
    await shot('token')
    await page.getByLabel('API token', { exact: true }).fill(collector.token)
    await page.getByRole('button', { name: 'Use token' }).click()
    await expect.poll(() => page.locator('h1').textContent()).toBe('Experiments')
    expect(await page.evaluate("sessionStorage.getItem('twinspan.token')")).toBe(collector.token)
    expect(await page.evaluate("localStorage.getItem('twinspan.token')")).toBeNull()
    await page.reload()
    await settled()
    await expect.poll(() => page.locator('h1').textContent()).toBe('Experiments')
  })

  it('shows one card per experiment with the right numbers, verdicts in words, most in need first', async () => {
    await open('#/')
    await page.locator('article.card').nth(2).waitFor()
    expect(
      await page
        .locator('article.card')
        .evaluateAll((cards) => cards.map((c) => c.getAttribute('data-experiment'))),
    ).toEqual(['checkout', 'search-ranking', 'shipping-cost'])
    const stat = (name: string, key: string) => card(name).locator(`dd[data-stat="${key}"]`).textContent()
    // checkout over the last hour (support/datasets.ts): 1200 runs, 1100 match / 60 mismatch, 40 failed.
    expect(await stat('checkout', 'runs')).toBe('1,200')
    expect(await stat('checkout', 'matchRate')).toBe('94.83%')
    expect(await stat('checkout', 'failed')).toBe('40 (20 errors, 20 timeouts)')
    // t-digest estimates: p95 about 59 ms primary, 69 ms shadow (support/datasets.ts).
    expect(await stat('checkout', 'p95Delta')).toMatch(/^\+(9\.\d+|10(\.\d+)?) ms \(\+1[67](\.\d+)?%\)$/)
    // Readiness is judged over the default 7 days: 1100 / (1100 + 360) compared runs match.
    const checkoutVerdict = card('checkout').locator('.verdict')
    expect(await checkoutVerdict.getAttribute('data-verdict')).toBe('no-go')
    expect(await checkoutVerdict.locator('.verdict-title').textContent()).toContain(
      'NO-GO — not ready for cutover',
    )
    const reasons = await checkoutVerdict.locator('li').allTextContents()
    expect(reasons).toContain('Match rate 75.342% is below the 99.5% target')
    expect(
      reasons.some((r) => /^Shadow p95 is \+1\d(\.\d+)?% vs primary, over the \+10% limit$/.test(r)),
    ).toBe(true)
    expect(reasons).toContain('Shadow failed 8.75% of runs (errors and timeouts), over the 1% limit')

    expect(await stat('shipping-cost', 'runs')).toBe('200')
    expect(await stat('shipping-cost', 'matchRate')).toBe('100%')
    expect(await stat('shipping-cost', 'failed')).toBe('0')
    const go = card('shipping-cost').locator('.verdict')
    expect(await go.getAttribute('data-verdict')).toBe('go')
    expect(await go.locator('.verdict-title').textContent()).toContain('GO — ready for cutover')
    expect(await go.locator('li').count()).toBe(0)

    expect(await stat('search-ranking', 'matchRate')).toBe('77.78%')
    expect(await card('search-ranking').locator('.verdict li').first().textContent()).toBe(
      'Only 20 runs; at least 1,000 needed',
    )
    for (const name of ['checkout', 'shipping-cost', 'search-ranking']) {
      expect(await paintedPixels(`article.card[data-experiment="${name}"] .spark`), name).toBeGreaterThan(50)
    }
    await shot('overview')
    // The README's picture: TWINSPAN_DOCS_SCREENSHOT=1 npx vitest run collector/test/dashboard.test.ts
    if (process.env.TWINSPAN_DOCS_SCREENSHOT === '1') {
      await page.screenshot({
        path: join(import.meta.dirname, '..', '..', 'docs', 'dashboard.png'),
        fullPage: true,
      })
    }
  })

  it('follows the window selector', async () => {
    await page.getByLabel('Window').selectOption('24h')
    await expect.poll(() => card('checkout').locator('dd[data-stat="runs"]').textContent()).toBe('1,500')
    expect(await page.evaluate("localStorage.getItem('twinspan.window')")).toBe('24h')
    await page.getByLabel('Window').selectOption('1h')
    await expect.poll(() => card('checkout').locator('dd[data-stat="runs"]').textContent()).toBe('1,200')
  })

  it('draws the experiment page: latency and outcome charts, operations with readiness, paths, runs', async () => {
    await card('checkout').getByRole('link', { name: 'checkout' }).click()
    await settled()
    await page.locator('[data-chart="latency"] canvas').waitFor()
    expect(await page.locator('h1').textContent()).toBe('checkout')
    expect(await paintedPixels('[data-chart="latency"]')).toBeGreaterThan(500)
    expect(await paintedPixels('[data-chart="outcomes"]')).toBeGreaterThan(500)
    expect(await page.locator('[data-chart="latency"] .u-legend').textContent()).toContain('shadow p99')

    const operations = page.locator('table', { has: page.locator('caption', { hasText: 'Operations' }) })
    const rows = await operations
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].slice(0, 3).map((td) => td.textContent)),
      )
    expect(rows).toEqual([
      ['GET /orders/:id', '800', '94.87%'],
      ['POST /quote', '400', '94.74%'],
    ])
    expect(await operations.locator('tbody tr').first().locator('td').nth(5).textContent()).toBe('NO-GO')

    const paths = page.locator('table', { has: page.locator('caption', { hasText: 'Paths that differed' }) })
    expect(await paths.locator('tbody tr td:first-child').allTextContents()).toEqual([
      'total',
      'items[0].price',
    ])
    const runs = page.locator('table', { has: page.locator('caption', { hasText: 'Mismatches' }) })
    expect(await runs.locator('tbody tr').count()).toBe(50)
    await shot('experiment')
    await shot('experiment-top', false)
  })

  it('opens a mismatch in a side-by-side, field-level diff view with run id and trace id', async () => {
    await page
      .getByRole('button', { name: /^View differences of run checkout-/ })
      .first()
      .click()
    const dialog = page.getByRole('dialog')
    await dialog.waitFor()
    const runId = await dialog.locator('dd[data-stat="runId"]').textContent()
    expect(runId).toMatch(/^checkout-\d+$/)
    expect(await dialog.locator('dd[data-stat="traceId"]').textContent()).toMatch(/^[0-9a-f]{32}$/)
    const total = dialog.locator('tbody tr', { hasText: 'total' })
    expect(await total.locator('pre.value-primary').textContent()).toBe('100')
    expect(await total.locator('pre.value-shadow').textContent()).toBe('101')
    await shot('diff')
    await dialog.getByRole('button', { name: 'Close' }).click()
    expect(await page.getByRole('dialog').count()).toBe(0)
  })

  it('filters runs by a differing path and by outcome', async () => {
    const paths = page.locator('table', { has: page.locator('caption', { hasText: 'Paths that differed' }) })
    await paths
      .locator('tbody tr', { hasText: 'items[0].price' })
      .getByRole('link', { name: 'Show runs' })
      .click()
    await expect
      .poll(() => page.locator('caption', { hasText: 'where items[0].price differed' }).count())
      .toBe(1)
    expect(await page.locator('caption', { hasText: 'where items[0].price differed' }).textContent()).toMatch(
      /^Mismatches where/,
    )
    await page.getByLabel('Show', { exact: true }).selectOption('timeout')
    await expect
      .poll(() => page.locator('main p.empty').last().textContent())
      .toMatch(/^Timeouts where items\[0\]\.price differed, .*: none in the window\.$/)
    await page.getByRole('link', { name: 'all paths' }).click()
    const timeouts = page.locator('table', {
      has: page.locator('caption', { hasText: /^Timeouts, newest first/ }),
    })
    await timeouts.waitFor()
    expect(await timeouts.locator('tbody tr').count()).toBe(20)
  })

  it('renders HTML from spans as text and runs none of it', async () => {
    await sendRuns(collector, untrustedRuns(Date.now()))
    await waitForRuns(collector, 'untrusted-html', 5)
    // The card lists the run alert, whose labels carry the operation and the differing path.
    await expect
      .poll(async () => {
        await open('#/')
        return card('untrusted-html').locator('.card-alerts').textContent()
      })
      .toContain(IMG_XSS)
    expect(await page.locator('img').count()).toBe(0)
    await open('#/experiments/untrusted-html')
    const runs = page.locator('table', { has: page.locator('caption', { hasText: 'Mismatches' }) })
    await runs.locator('tbody tr').first().waitFor()
    expect(await runs.locator('tbody tr').first().textContent()).toContain(`GET /search ${IMG_XSS}`)
    expect(await page.locator('table', { hasText: 'Operations' }).first().textContent()).toContain(IMG_XSS)
    await runs.getByRole('button', { name: 'View differences of run untrusted-4' }).click()
    const dialog = page.getByRole('dialog')
    const row = dialog.locator('tbody tr').first()
    expect(await row.locator('code').textContent()).toBe(`results[0].title${IMG_XSS}`)
    expect(await row.locator('pre.value-primary').textContent()).toBe(JSON.stringify(IMG_XSS))
    expect(await row.locator('pre.value-shadow').textContent()).toBe(JSON.stringify(SCRIPT_XSS))
    expect(await dialog.locator('tbody tr').nth(1).locator('pre.value-shadow').textContent()).toBe('(absent)')
    await shot('xss-as-text')
    await page.waitForTimeout(200) // an injected <img src=x> would have failed to load and fired by now
    expect(await page.evaluate('typeof window.__xss')).toBe('undefined')
    expect(await page.locator('img').count()).toBe(0)
    expect(await page.locator('main script, dialog script').count()).toBe(0)
    await dialog.getByRole('button', { name: 'Close' }).click()
  })

  it('lists active alerts with their receivers and last notification, labels as text', async () => {
    await open('#/alerts')
    await expect.poll(() => page.locator('h1').textContent()).toBe('Alerts')
    const alerts = page.locator('table', { has: page.locator('caption', { hasText: 'firing alert' }) })
    const critical = alerts
      .locator('tbody tr', { hasText: 'checkout' })
      .filter({ hasText: 'critical' })
      .first()
    await critical.waitFor()
    expect(await critical.textContent()).toContain('log (log)')
    // Default inhibition: checkout's critical alert mutes its major and minor ones.
    const major = alerts.locator('tbody tr', { hasText: 'checkout' }).filter({ hasText: 'major' }).first()
    expect(await major.locator('td').last().textContent()).toBe('suppressed: inhibited')
    await expect
      .poll(async () => {
        await page.reload()
        await settled()
        return critical.locator('td').nth(5).textContent()
      })
      .toMatch(/ to log: trigger \(new\)$/)
    const untrusted = alerts.locator('tbody tr', { hasText: 'untrusted-html' }).first()
    expect(await untrusted.textContent()).toContain(`results[*].title${IMG_XSS}`)
    const receivers = page.locator('table', { has: page.locator('caption', { hasText: 'Receivers' }) })
    expect(await receivers.locator('tbody tr td:first-child').allTextContents()).toContain('log')
    expect(await page.evaluate('typeof window.__xss')).toBe('undefined')
    expect(await page.locator('img').count()).toBe(0)
    await shot('alerts')
  })

  it('shows active alerts on the overview cards', async () => {
    await open('#/')
    const heading = card('checkout').locator('.card-alerts h3')
    await heading.waitFor()
    expect(await heading.textContent()).toMatch(/^\d+ active alerts? \(\d+ silenced or inhibited\)$/)
    expect(await card('shipping-cost').locator('.card-alerts h3').textContent()).toBe('No active alerts')
  })

  it('creates a silence, shows what it mutes, and expires it', async () => {
    await open('#/alerts')
    await page.getByLabel('Matchers').fill('experiment=')
    await page.getByLabel('Created by').fill('dashboard test')
    await page.getByLabel('Comment').fill('known ranking change')
    await page.getByRole('button', { name: 'Create silence' }).click()
    await expect.poll(() => page.locator('.form-status').textContent()).toContain('Not created: matchers')

    await page.getByLabel('Matchers').fill('experiment="search-ranking", severity=~"major|minor"')
    await page.getByLabel('For').selectOption('1h')
    await page.getByRole('button', { name: 'Create silence' }).click()
    const silences = page.locator('table', { has: page.locator('caption', { hasText: /^1 silence\b/ }) })
    await silences.waitFor()
    expect(await silences.locator('tbody td code').textContent()).toBe(
      'experiment="search-ranking", severity=~"major|minor"',
    )
    expect(await silences.locator('tbody td').nth(4).textContent()).toBe('active')
    const ranking = page.locator('tbody tr', { hasText: 'search-ranking' }).first()
    expect(await ranking.locator('td').last().textContent()).toBe('suppressed: silenced')
    await shot('silence')

    await silences.getByRole('button', { name: /^Expire silence / }).click()
    await expect
      .poll(() => page.locator('[data-silences="0"]').textContent())
      .toBe('No active silences (1 expired).')
    expect(
      await page
        .locator('tbody tr', { hasText: 'search-ranking' })
        .first()
        .locator('td')
        .last()
        .textContent(),
    ).toBe('active')
  })

  it('says when alerting is not configured (404) instead of failing', async () => {
    const notFound = { status: 404, contentType: 'application/json', body: '{"error":"not found"}' }
    await page.route(/\/api\/(alerts|silences)$/, (route) => route.fulfill(notFound))
    try {
      await open('#/')
      await card('checkout').waitFor()
      expect(await page.locator('main .note').first().textContent()).toBe(
        'Alerting is not configured on this collector.',
      )
      expect(await page.locator('.card-alerts').count()).toBe(0)
      await page.getByRole('link', { name: 'Alerts' }).click()
      const notice = page.locator('[data-alerting="absent"]')
      await notice.waitFor()
      expect(await notice.textContent()).toContain('Alerting is not configured')
      await shot('alerts-absent')
    } finally {
      await page.unroute(/\/api\/(alerts|silences)$/)
    }
  })

  it('refreshes every 30 seconds, but not while a diff view is open', async () => {
    await page.clock.install()
    await open('#/experiments/checkout')
    const calls: string[] = []
    const listen = (request: { url(): string }) => {
      if (request.url().includes('/api/experiments/checkout/parity')) calls.push(request.url())
    }
    page.on('request', listen)
    try {
      await page.clock.runFor(31_000)
      await expect.poll(() => calls.length).toBe(1)
      await settled()
      await page
        .getByRole('button', { name: /^View differences of run checkout-/ })
        .first()
        .click()
      await page.getByRole('dialog').waitFor()
      await page.clock.runFor(61_000)
      expect(calls.length).toBe(1)
      await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click()
      await page.getByLabel('Auto-refresh (30 s)').uncheck()
      await page.clock.runFor(61_000)
      expect(calls.length).toBe(1)
    } finally {
      page.off('request', listen)
    }
  })

  it('threw no script errors and broke no content security policy rule', () => {
    expect(pageErrors).toEqual([])
  })
})
