import { severityRank } from '@twinspan/conventions'
import { parseDifferences } from '../analysis/mismatches.js'
import type { RunAlertsConfig } from '../config/alerts.js'
import type { IngestedRun } from '../ingest/runs.js'
import { type AlertInput, MAX_SAMPLES_PER_ALERT, type SampleRun, topPaths } from './alert.js'
import { canonicalLabels, fingerprint, type Labels } from './labels.js'

export const RUN_ALERT_NAME = 'ParallelRunMismatch'

/**
 * Run alerts for a batch of ingested runs: one input per label set (experiment, candidate, operation,
 * severity, top path), with the batch's counts. Only mismatches of the configured severities alert.
 */
export function runAlerts(runs: readonly IngestedRun[], config: RunAlertsConfig, now: number): AlertInput[] {
  const byLabels = new Map<string, { labels: Labels; runs: IngestedRun[]; samples: SampleRun[] }>()
  for (const run of runs) {
    if (run.outcome !== 'mismatch' || !(config.severities as string[]).includes(run.severity)) continue
    const differences = parseDifferences(run.diff)
    const top =
      differences.find((d) => d.severity === run.severity)?.path ??
      differences[0]?.path ??
      run.diffPaths[0] ??
      ''
    const labels = canonicalLabels({
      alertname: RUN_ALERT_NAME,
      experiment: run.experiment,
      candidate: run.candidate,
      operation: run.operation,
      severity: run.severity,
      path: normalizePath(top),
    })
    const key = fingerprint(labels)
    let entry = byLabels.get(key)
    if (entry === undefined) {
      entry = { labels, runs: [], samples: [] }
      byLabels.set(key, entry)
    }
    entry.runs.push(run)
    if (entry.samples.length < MAX_SAMPLES_PER_ALERT) {
      entry.samples.push({
        runId: run.runId,
        traceId: run.traceId,
        at: run.timeMs,
        differences: differences.slice(0, 5).map((d) => ({
          path: d.path,
          kind: String(d.kind ?? ''),
          severity: String(d.severity ?? run.severity),
        })),
      })
    }
  }
  return [...byLabels.values()]
    .sort((a, b) => severityRank(b.runs[0]?.severity ?? 'none') - severityRank(a.runs[0]?.severity ?? 'none'))
    .map(({ labels, runs: group, samples }) => {
      const counts = new Map<string, number>()
      for (const run of group) for (const path of run.diffPaths) counts.set(path, (counts.get(path) ?? 0) + 1)
      let firstRunAt = Number.POSITIVE_INFINITY
      let lastRunAt = Number.NEGATIVE_INFINITY
      for (const run of group) {
        firstRunAt = Math.min(firstRunAt, run.timeMs)
        lastRunAt = Math.max(lastRunAt, run.timeMs)
      }
      return {
        labels,
        source: 'run' as const,
        at: now,
        // Measured from when the collector saw the runs: a skewed SDK clock must not resolve it early.
        endsAt: now + config.resolveAfterMs,
        details: {
          kind: 'run' as const,
          runs: group.length,
          firstRunAt,
          lastRunAt,
          paths: topPaths(counts),
          samples,
        },
      }
    })
}

/** `items[3].price` → `items[*].price`: one alert per field, not one per array index. */
export function normalizePath(path: string): string {
  return path.replace(/\[\d+\]/g, '[*]')
}
