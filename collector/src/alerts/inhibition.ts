import type { InhibitRuleConfig } from '../config/alerts.js'
import type { Alert } from './alert.js'
import { matchesAll } from './matchers.js'

/**
 * Alertmanager's inhibit rules over a set of firing alerts: returns, for a target alert, the
 * fingerprints of the firing alerts that inhibit it — for each rule whose target matchers match it,
 * the alerts its source matchers match that have the same values of the `equal` labels. An alert
 * never inhibits itself.
 */
export function inhibitor(
  firing: readonly Alert[],
  rules: readonly InhibitRuleConfig[],
): (target: Alert) => string[] {
  // Sources per rule, found once per evaluation rather than once per target.
  const sources = rules.map((rule) => firing.filter((alert) => matchesAll(rule.sourceMatchers, alert.labels)))
  return (target) => {
    const found = new Set<string>()
    rules.forEach((rule, i) => {
      if (!matchesAll(rule.targetMatchers, target.labels)) return
      for (const source of sources[i] ?? []) {
        if (source.fingerprint === target.fingerprint) continue
        if (rule.equal.every((name) => (source.labels[name] ?? '') === (target.labels[name] ?? ''))) {
          found.add(source.fingerprint)
        }
      }
    })
    return [...found]
  }
}
