import type { ReadinessReport } from '../analysis/readiness.js'
import type { Verdict } from '../analysis/readiness-checks.js'
import type { RunStats } from '../analysis/run-stats.js'
import type { AlertRulesConfig, ThresholdRuleConfig } from '../config/alerts.js'
import type { AlertInput } from './alert.js'
import { canonicalLabels } from './labels.js'

/** The threshold rules: what each one measures on an experiment's runs over its window. */
export const THRESHOLD_RULES = {
  mismatchRate: {
    alertname: 'MismatchRateHigh',
    // Of the runs that were compared; failed runs are the shadow error rule's business.
    measure: (stats: RunStats) => ({
      value: stats.compared === 0 ? null : stats.outcomes.mismatch / stats.compared,
      samples: stats.compared,
    }),
  },
  shadowErrorRate: {
    alertname: 'ShadowErrorRateHigh',
    measure: (stats: RunStats) => ({ value: stats.errors.shadowRate, samples: stats.runs }),
  },
  p95Regression: {
    alertname: 'ShadowLatencyRegression',
    measure: (stats: RunStats) => ({ value: stats.latencyMs.deltaPct.p95, samples: stats.runs }),
  },
} as const

export type ThresholdRuleName = keyof typeof THRESHOLD_RULES
export const READINESS_ALERT_NAME = 'ReadinessNoGo'

/** One experiment's parity numbers over a rule's window. */
export interface ExperimentStats extends RunStats {
  name: string
}

/** The threshold rule alerts firing for these experiments (stats over `rule.window`); pure. */
export function thresholdAlerts(
  name: ThresholdRuleName,
  rule: ThresholdRuleConfig,
  experiments: readonly ExperimentStats[],
  now: number,
): AlertInput[] {
  if (!rule.enabled) return []
  const { alertname, measure } = THRESHOLD_RULES[name]
  const alerts: AlertInput[] = []
  for (const stats of experiments) {
    const { value, samples } = measure(stats)
    if (value === null || samples < rule.minSamples || !(value > rule.threshold)) continue
    alerts.push({
      labels: canonicalLabels({ alertname, experiment: stats.name, severity: rule.severity }),
      source: 'rule',
      at: now,
      endsAt: null,
      details: {
        kind: 'rule',
        rule: name,
        value,
        threshold: rule.threshold,
        window: rule.window,
        runs: stats.runs,
      },
    })
  }
  return alerts
}

/**
 * The readiness rule: fires when an experiment's verdict turns from go to no-go and keeps firing
 * until it is go again. An experiment that was never go does not alert (it has not regressed).
 */
export function readinessAlert(
  rules: AlertRulesConfig,
  report: ReadinessReport,
  previous: Verdict | undefined,
  firing: boolean,
  now: number,
): AlertInput | undefined {
  if (!rules.readiness.enabled || report.verdict === 'go') return undefined
  if (previous !== 'go' && !firing) return undefined
  const failed = report.checks.find((check) => !check.ok)
  return {
    labels: canonicalLabels({
      alertname: READINESS_ALERT_NAME,
      experiment: report.experiment,
      severity: rules.readiness.severity,
    }),
    source: 'rule',
    at: now,
    endsAt: null,
    details: {
      kind: 'rule',
      rule: 'readiness',
      value: failed?.actual ?? null,
      threshold: failed?.threshold ?? 0,
      window: report.window,
      runs: report.stats.runs,
      reasons: report.reasons.slice(0, 10),
    },
  }
}
