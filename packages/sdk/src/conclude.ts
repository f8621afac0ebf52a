/**
 * The end of a run, off the caller's path: judge each candidate against the primary as soon as
 * both have finished, end its span, count it, and publish it.
 */
import { diag } from '@opentelemetry/api'
import {
  ATTR_CANDIDATE,
  ATTR_EXPERIMENT,
  ATTR_OPERATION,
  ATTR_OUTCOME,
  ATTR_ROLE,
  type Served,
} from '@twinspan/conventions'
import { judge } from './judge.js'
import type { Observation } from './observe.js'
import type { AnyFunction, RunResult } from './options.js'
import { publish } from './publish.js'
import { endShadowSpan } from './record.js'
import type { RunState, ShadowSide } from './run.js'

/** Judge and record every candidate as soon as it and the primary have finished. Never rejects. */
export function recordAll<F extends AnyFunction>(
  state: RunState<F>,
  primary: Promise<Observation>,
  sides: Promise<ShadowSide[]>,
  served: Promise<Observation | undefined>,
): Promise<RunResult[]> {
  const whoServed: Promise<Served> = served.then((shadow) =>
    shadow !== undefined && succeeded(shadow) ? 'shadow' : 'primary',
  )
  return sides
    .then((list) =>
      Promise.all(
        list.map((side) =>
          Promise.all([primary, side.observation, whoServed]).then(([p, s, by]) =>
            record(state, p, side, s, by),
          ),
        ),
      ),
    )
    .catch((error: unknown) => {
      diag.error(`twinspan: experiment '${state.identity.experiment}': recording failed`, error)
      return []
    })
}

/** Judge one candidate, end its span, count it, publish it. */
function record<F extends AnyFunction>(
  state: RunState<F>,
  primary: Observation,
  side: ShadowSide,
  shadow: Observation,
  served: Served,
): RunResult {
  const { options, redaction } = state.settings
  const judgement = judge(primary, shadow, options.compare, state.report)
  endShadowSpan(side.span, { primary, shadow, judgement, served, redaction })
  const attributes = sideAttributes(state, 'shadow', side.candidate)
  state.instruments.duration.record(shadow.durationMs / 1000, attributes)
  state.instruments.runs.add(1, runAttributes(state, side.candidate, judgement.outcome))
  try {
    return publish(
      state.settings,
      state.identity,
      side.candidate,
      primary,
      shadow,
      judgement,
      served,
      state.report,
    )
  } catch (error) {
    // a value hostile to inspection (a throwing getter, a revoked proxy) costs the published copy only
    diag.error(`twinspan: experiment '${state.identity.experiment}': could not publish a result`, error)
    const { experiment, runId } = state.identity
    const { outcome, comparison } = judgement
    return {
      experiment,
      runId,
      candidate: side.candidate,
      outcome,
      severity: comparison.severity,
      differences: [],
      served,
      primary: { durationMs: primary.durationMs },
      shadow: { durationMs: shadow.durationMs },
    }
  }
}

export function sideAttributes<F extends AnyFunction>(
  state: RunState<F>,
  role: 'primary' | 'shadow',
  candidate?: string,
): Record<string, string> {
  const attributes: Record<string, string> = {
    [ATTR_EXPERIMENT]: state.identity.experiment,
    [ATTR_ROLE]: role,
  }
  if (state.identity.operation !== undefined) attributes[ATTR_OPERATION] = state.identity.operation
  if (candidate !== undefined) attributes[ATTR_CANDIDATE] = candidate
  return attributes
}

function runAttributes<F extends AnyFunction>(state: RunState<F>, candidate: string, outcome: string) {
  const attributes: Record<string, string> = {
    [ATTR_EXPERIMENT]: state.identity.experiment,
    [ATTR_CANDIDATE]: candidate,
    [ATTR_OUTCOME]: outcome,
  }
  if (state.identity.operation !== undefined) attributes[ATTR_OPERATION] = state.identity.operation
  return attributes
}

/** The side finished with a value, in time. */
export function succeeded(observation: Observation): boolean {
  return !observation.threw && !observation.timedOut
}
