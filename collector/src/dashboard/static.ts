import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import express, { type Response, Router } from 'express'

/**
 * Where `pnpm build` puts the bundled browser code (`build:assets`). From `dist/dashboard/` it sits
 * beside this module; when the collector runs from `src/` (tsx, tests), it is in `dist/` next door.
 */
const CANDIDATE_DIRS = [
  new URL('./public/', import.meta.url),
  new URL('../../dist/dashboard/public/', import.meta.url),
]

/** The bundled dashboard directory, or undefined when the assets were not built. */
export function findDashboardAssets(): string | undefined {
  for (const url of CANDIDATE_DIRS) {
    const dir = fileURLToPath(url)
    if (existsSync(`${dir}app.js`)) return dir
  }
  return undefined
}

/**
 * No inline script, no third-party origin, no framing. The page builds its DOM with textContent,
 * so this is a second line of defence against HTML carried in span attributes, not the first.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

const SHELL = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>twinspan</title>
<link rel="stylesheet" href="dashboard/app.css">
<script type="module" src="dashboard/app.js"></script>
</head>
<body>
<noscript>The twinspan dashboard needs JavaScript. The same numbers are at /api/experiments.</noscript>
</body>
</html>
`

function secure(res: Response): void {
  res.setHeader('Content-Security-Policy', DASHBOARD_CSP)
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Referrer-Policy', 'no-referrer')
}

/**
 * `GET /` (the page) and `GET /dashboard/*` (its script and styles). Served without the API token:
 * the files hold no data, and the page asks for the token before it calls the API.
 */
export function dashboardRouter(assetsDir: string | undefined = findDashboardAssets()): Router {
  const router = Router()
  router.get('/', (_req, res) => {
    secure(res)
    if (assetsDir === undefined) {
      res
        .status(503)
        .type('text/plain')
        .send(
          'twinspan: the dashboard is not built. Run `pnpm build` (it bundles collector/src/dashboard).\n',
        )
      return
    }
    res.setHeader('Cache-Control', 'no-cache')
    res.type('html').send(SHELL)
  })
  if (assetsDir !== undefined) {
    router.use(
      '/dashboard',
      express.static(assetsDir, {
        index: false,
        fallthrough: true,
        setHeaders: (res) => {
          secure(res as Response)
          // Same file names after an upgrade: revalidate each time (ETag keeps it cheap).
          res.setHeader('Cache-Control', 'no-cache')
        },
      }),
    )
  }
  return router
}
