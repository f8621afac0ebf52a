import { type NextFunction, type Request, type Response, Router } from 'express'
import type { Alerting } from '../alerts/alerting.js'
import { BadRequestError, NotFoundError } from '../analysis/errors.js'
import type { ExperimentsConfig } from '../config/experiments.js'
import type { Store } from '../store/client.js'
import { alertsRouter } from './alerts.js'
import {
  type ExperimentRoutesContext,
  listRoute,
  mismatchesRoute,
  parityRoute,
  readinessRoute,
} from './experiment-routes.js'

/** What the API needs besides the store. */
export interface ApiOptions {
  /** The `experiments` config section (readiness thresholds); unconfigured experiments use defaults. */
  experiments?: ExperimentsConfig
  /** The clock windows end at (ms since the epoch); tests pin it. */
  now?: () => number
  /** The alert engine, when alerting is on: `/alerts` and `/silences`. */
  alerts?: Alerting | undefined
}

/** The JSON HTTP API (`/api/...`). */
export function apiRouter(store: Store, options: ApiOptions = {}): Router {
  const context: ExperimentRoutesContext = {
    store,
    experiments: options.experiments ?? {},
    now: options.now ?? Date.now,
  }
  const router = Router()
  router.get('/experiments', listRoute(context))
  router.get('/experiments/:name/parity', parityRoute(context))
  router.get('/experiments/:name/mismatches', mismatchesRoute(context))
  router.get('/experiments/:name/readiness', readinessRoute(context))
  if (options.alerts) router.use(alertsRouter(options.alerts))
  router.use((error: Error, _req: Request, res: Response, next: NextFunction) => {
    if (error instanceof BadRequestError || error instanceof NotFoundError) {
      res.status(error.status).json({ error: error.message })
      return
    }
    next(error)
  })
  return router
}
