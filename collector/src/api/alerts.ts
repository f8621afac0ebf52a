import express, { type NextFunction, type Request, type Response, Router } from 'express'
import type { Alerting } from '../alerts/alerting.js'
import { SilenceError } from '../alerts/silences.js'

/** `GET /api/alerts`, `GET|POST /api/silences`, `DELETE /api/silences/:id`. */
export function alertsRouter(alerting: Alerting): Router {
  const router = Router()
  router.get('/alerts', (_req, res) => {
    res.json(alerting.status())
  })
  router.get('/silences', (_req, res) => {
    res.json({ silences: alerting.silences() })
  })
  router.post('/silences', express.json({ limit: '64kb' }), async (req: Request, res: Response) => {
    const silence = await alerting.createSilence(req.body)
    res.status(201).location(`${req.baseUrl}/silences/${silence.id}`).json(silence)
  })
  router.delete('/silences/:id', async (req: Request, res: Response) => {
    const silence = await alerting.expireSilence(String(req.params.id))
    if (silence === undefined) {
      res
        .status(404)
        .json({ error: `no silence with id ${JSON.stringify(req.params.id)} (see GET /api/silences)` })
      return
    }
    res.json(silence)
  })
  router.use(
    (error: Error & { status?: number; type?: string }, _req: Request, res: Response, next: NextFunction) => {
      if (error instanceof SilenceError) {
        res.status(400).json({ error: error.message })
        return
      }
      // express.json(): unreadable JSON, a body over the limit, a wrong charset.
      if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
        res.status(error.status).json({ error: `silence body: ${error.message}` })
        return
      }
      next(error)
    },
  )
  return router
}
