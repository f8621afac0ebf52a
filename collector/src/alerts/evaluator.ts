import { listExperiments } from '../analysis/experiments.js'
import { readiness } from '../analysis/readiness.js'
import type { Verdict } from '../analysis/readiness-checks.js'
import { parseWindow } from '../analysis/window.js'
import type { AlertRulesConfig } from '../config/alerts.js'
import { type ExperimentsConfig, readinessFor } from '../config/experiments.js'
import type { Store } from '../store/client.js'
import type { AlertInput } from './alert.js'
import type { ReadinessSummary } from './notification.js'
import {
  type ExperimentStats,
  readinessAlert,
  THRESHOLD_RULES,
  type ThresholdRuleName,
  thresholdAlerts,
} from './rule-alerts.js'

/** One evaluation of every rule: the rule alerts firing now, and each experiment's readiness. */
export interface RuleEvaluation {
  alerts: AlertInput[]
  readiness: Map<string, ReadinessSummary>
  verdicts: Map<string, Verdict>
}

/** What the readiness rule remembers between evaluations. */
export interface ReadinessMemory {
  verdicts: ReadonlyMap<string, Verdict>
  /** Experiments whose readiness alert is firing. */
  firing: ReadonlySet<string>
}

/**
 * Evaluate the rules against the store with the analysis functions the API uses: the threshold rules
 * on each experiment's parity over the rule's window (one query per distinct window), readiness per
 * experiment over its readiness window.
 */
export async function evaluateRules(
  store: Store,
  rules: AlertRulesConfig,
  experiments: ExperimentsConfig,
  memory: ReadinessMemory,
  now: number,
): Promise<RuleEvaluation> {
  const alerts: AlertInput[] = []
  const names = Object.keys(THRESHOLD_RULES) as ThresholdRuleName[]
  const windows = new Set(names.filter((name) => rules[name].enabled).map((name) => rules[name].window))
  const statsByWindow = new Map<string, ExperimentStats[]>()
  for (const window of windows) {
    statsByWindow.set(window, await listExperiments(store, { window: parseWindow(window), now }))
  }
  for (const name of names) {
    const rule = rules[name]
    if (rule.enabled) alerts.push(...thresholdAlerts(name, rule, statsByWindow.get(rule.window) ?? [], now))
  }

  const summaries = new Map<string, ReadinessSummary>()
  const verdicts = new Map(memory.verdicts)
  if (rules.readiness.enabled) {
    const seen = (await listExperiments(store)).map((experiment) => experiment.name)
    for (const experiment of new Set([...seen, ...Object.keys(experiments)])) {
      const report = await readiness(store, {
        experiment,
        config: readinessFor(experiments, experiment),
        now,
      })
      // No runs in the window says nothing about the shadow: keep the last verdict, raise nothing.
      if (report.stats.runs === 0) continue
      summaries.set(experiment, {
        verdict: report.verdict,
        checks: report.checks,
        reasons: report.reasons,
        at: now,
      })
      const alert = readinessAlert(
        rules,
        report,
        memory.verdicts.get(experiment),
        memory.firing.has(experiment),
        now,
      )
      if (alert) alerts.push(alert)
      verdicts.set(experiment, report.verdict)
    }
  }
  return { alerts, readiness: summaries, verdicts }
}
