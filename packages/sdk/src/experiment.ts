/**
 * `experiment()`: the factory. It freezes the settings, keeps the in-flight count that `flush`
 * and `maxInFlight` rely on, and gives `run` exactly the primary's parameter and value types.
 */
import { diag } from '@opentelemetry/api'
import { ATTR_CALLBACK, ATTR_EXPERIMENT, ATTR_SKIP_REASON } from '@twinspan/conventions'
import { MismatchError } from './errors.js'
import { type Report, reporter } from './guard.js'
import { instrumentsFor } from './metrics.js'
import type { AnyFunction, Experiment, ExperimentChanges, ExperimentOptions, Value } from './options.js'
import { plan } from './plan.js'
import { execute, prepare, type RunState } from './run.js'
import { freezeSettings, reconfigure, type Settings } from './settings.js'
import { installSideEffectGuard } from './side-effects.js'

/** Define a parallel-run experiment: `run` serves the primary and compares the shadow. */
export function experiment<F extends AnyFunction>(options: ExperimentOptions<F>): Experiment<F> {
  const instruments = instrumentsFor(options.meter)
  let settings: Settings<F>
  let report: Report
  const apply = (next: Settings<F>) => {
    if (next.options.blockSideEffects) installSideEffectGuard()
    settings = next
    report = reporter(next.options.name, next.options.onError, (callback) =>
      instruments().callbackErrors.add(1, {
        [ATTR_EXPERIMENT]: next.options.name,
        [ATTR_CALLBACK]: callback,
      }),
    )
  }
  apply(freezeSettings(options))
  const name = options.name
  const inFlightAttributes = Object.freeze({ [ATTR_EXPERIMENT]: name })

  let inFlight = 0
  let idle: (() => void)[] = []
  const release = () => {
    inFlight--
    instruments().inFlight.add(-1, inFlightAttributes)
    if (inFlight === 0 && idle.length > 0) {
      const waiting = idle
      idle = []
      for (const resolve of waiting) resolve()
    }
  }

  async function run(...args: Parameters<F>): Promise<Value<F>> {
    const current = settings
    const currentReport = report
    const decision = plan(current, args, inFlight, currentReport)
    if (typeof decision === 'string') {
      instruments().skips.add(1, { [ATTR_EXPERIMENT]: name, [ATTR_SKIP_REASON]: decision })
      return current.options.primary(...args) as Value<F>
    }
    inFlight++
    const meters = instruments()
    meters.inFlight.add(1, inFlightAttributes)
    let state: RunState<F>
    try {
      state = prepare(current, args, decision, currentReport, meters)
    } catch (error) {
      release()
      diag.error(`twinspan: experiment '${name}': could not start the run; calling the primary alone`, error)
      return current.options.primary(...args) as Value<F>
    }
    const { answer, recorded } = execute(state)
    void recorded.then(release)
    if (current.options.throwOnMismatch) {
      const results = await recorded
      if (results.some((result) => result.outcome !== 'match')) throw new MismatchError(results)
    }
    const served = await answer
    if (served.threw) throw served.error
    return served.value as Value<F>
  }

  function flush(): Promise<void> {
    if (inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => idle.push(resolve))
  }

  function configure(changes: ExperimentChanges<F>): void {
    apply(reconfigure(settings, changes))
  }

  return Object.freeze({
    name,
    run,
    flush,
    configure,
    get settings() {
      return settings.options
    },
    get inFlight() {
      return inFlight
    },
  })
}
