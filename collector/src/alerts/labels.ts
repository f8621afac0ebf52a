import { createHash } from 'node:crypto'

/** An alert's identity: label names to values (Alertmanager's model). Empty values are absent labels. */
export type Labels = Record<string, string>

/** Label names Alertmanager accepts (Prometheus' rule), so the same labels work there. */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** Labels without empty values, keys sorted: the canonical form fingerprints and payloads use. */
export function canonicalLabels(labels: Labels): Labels {
  const out: Labels = {}
  for (const name of Object.keys(labels).sort()) {
    const value = labels[name]
    if (value !== undefined && value !== '') out[name] = value
  }
  return out
}

/** A stable id for a label set: the same labels give the same fingerprint in every process. */
export function fingerprint(labels: Labels): string {
  return hash(JSON.stringify(Object.entries(canonicalLabels(labels))))
}

/** A short, stable hex digest (64 bits of SHA-256). */
export function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}

/** `{a="1", b="2"}`, Prometheus' way of writing a label set. */
export function formatLabels(labels: Labels): string {
  const pairs = Object.entries(canonicalLabels(labels)).map(
    ([name, value]) => `${name}=${JSON.stringify(value)}`,
  )
  return `{${pairs.join(', ')}}`
}
