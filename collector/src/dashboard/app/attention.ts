/** The overview's order: what needs attention first. Pure, so it is unit-tested without a browser. */

/** What the overview knows about one experiment when it sorts the cards. */
export interface AttentionFacts {
  name: string
  /** The readiness verdict, or null when it could not be read. */
  verdict: 'go' | 'no-go' | null
  /** Severities of the experiment's active alerts. */
  alertSeverities: readonly string[]
  /** Failing readiness checks, experiment-wide and per operation. */
  failedChecks: number
  /** Match rate over the selected window; null when nothing was compared. */
  matchRate: number | null
  /** Runs over the selected window. */
  runs: number
}

/**
 * Critical alerts first, then no-go before unknown before go, then more active alerts, more failing
 * checks, a lower match rate, more traffic; finally by name, so the order is stable between refreshes.
 */
export function byAttention(a: AttentionFacts, b: AttentionFacts): number {
  return (
    critical(b) - critical(a) ||
    verdictRank(a.verdict) - verdictRank(b.verdict) ||
    b.alertSeverities.length - a.alertSeverities.length ||
    b.failedChecks - a.failedChecks ||
    (a.matchRate ?? 1) - (b.matchRate ?? 1) ||
    b.runs - a.runs ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  )
}

const critical = (facts: AttentionFacts) => facts.alertSeverities.filter((s) => s === 'critical').length

function verdictRank(verdict: AttentionFacts['verdict']): number {
  return verdict === 'no-go' ? 0 : verdict === null ? 1 : 2
}
