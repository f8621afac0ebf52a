import { SEVERITIES } from '@twinspan/conventions'
import type { Request, Response } from 'express'
import { listExperiments, requireExperiment } from '../analysis/experiments.js'
import {
  DEFAULT_MISMATCH_LIMIT,
  DRILL_OUTCOMES,
  MAX_MISMATCH_LIMIT,
  mismatches,
} from '../analysis/mismatches.js'
import { parity } from '../analysis/parity.js'
import { readiness } from '../analysis/readiness.js'
import { parseWindow } from '../analysis/window.js'
import { type ExperimentsConfig, readinessFor } from '../config/experiments.js'
import type { Store } from '../store/client.js'
import { integerParam, oneOf, optionalString } from './query-params.js'

/** What the experiment routes read: the store, the experiments' settings and a clock. */
export interface ExperimentRoutesContext {
  store: Store
  experiments: ExperimentsConfig
  now: () => number
}

export const DEFAULT_PARITY_WINDOW = '1h'
export const DEFAULT_MISMATCH_WINDOW = '7d'

/** `GET /api/experiments[?window=24h]`: every experiment with its headline numbers. */
export function listRoute(context: ExperimentRoutesContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const text = optionalString(req.query, 'window')
    const window = text === undefined ? undefined : parseWindow(text)
    res.json({ experiments: await listExperiments(context.store, { window, now: context.now() }) })
  }
}

/** `GET /api/experiments/:name/parity?window=1h[&operation=…][&candidate=…][&paths=10]`. */
export function parityRoute(context: ExperimentRoutesContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const experiment = await known(context, req)
    const window = parseWindow(optionalString(req.query, 'window') ?? DEFAULT_PARITY_WINDOW)
    res.json(
      await parity(context.store, {
        experiment,
        window,
        now: context.now(),
        operation: optionalString(req.query, 'operation'),
        candidate: optionalString(req.query, 'candidate'),
        topPaths: integerParam(req.query, 'paths', 10, 1, 100),
      }),
    )
  }
}

/** `GET /api/experiments/:name/mismatches?limit=50[&window=7d][&outcome=…][&operation=…][&candidate=…][&severity=…][&path=…]`. */
export function mismatchesRoute(context: ExperimentRoutesContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const experiment = await known(context, req)
    res.json(
      await mismatches(context.store, {
        experiment,
        window: parseWindow(optionalString(req.query, 'window') ?? DEFAULT_MISMATCH_WINDOW),
        now: context.now(),
        limit: integerParam(req.query, 'limit', DEFAULT_MISMATCH_LIMIT, 1, MAX_MISMATCH_LIMIT),
        outcome: oneOf(req.query, 'outcome', DRILL_OUTCOMES),
        operation: optionalString(req.query, 'operation'),
        candidate: optionalString(req.query, 'candidate'),
        severity: oneOf(req.query, 'severity', SEVERITIES),
        path: optionalString(req.query, 'path'),
      }),
    )
  }
}

/** `GET /api/experiments/:name/readiness[?window=7d][&candidate=…]`: go / no-go with every check. */
export function readinessRoute(context: ExperimentRoutesContext) {
  return async (req: Request, res: Response): Promise<void> => {
    const experiment = await known(context, req)
    const text = optionalString(req.query, 'window')
    res.json(
      await readiness(context.store, {
        experiment,
        config: readinessFor(context.experiments, experiment),
        now: context.now(),
        window: text === undefined ? undefined : parseWindow(text),
        candidate: optionalString(req.query, 'candidate'),
      }),
    )
  }
}

/** The experiment named in the path; 404 unless it has runs or is configured. */
async function known(context: ExperimentRoutesContext, req: Request): Promise<string> {
  const name = String(req.params.name)
  if (!Object.hasOwn(context.experiments, name)) await requireExperiment(context.store, name)
  return name
}
