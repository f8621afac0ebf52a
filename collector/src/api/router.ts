import { Router } from 'express'
import { listExperiments } from '../analysis/experiments.js'
import type { Store } from '../store/client.js'

/** The JSON HTTP API (`/api/...`). */
export function apiRouter(store: Store): Router {
  const router = Router()
  router.get('/experiments', async (_req, res) => {
    res.json({ experiments: await listExperiments(store) })
  })
  return router
}
