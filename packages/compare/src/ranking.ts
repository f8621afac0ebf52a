/**
 * Comparing two rankings (search results, recommendations): how much of the top k they share,
 * and whether the items they share come in the same order (Kendall's tau).
 */

import { RANK, rankOf, severityOf } from './severity.js'
import type { Comparison, Difference, Severity } from './types.js'
import { describeThrown } from './values.js'

export interface RankingOptions<T = unknown> {
  /** How many top positions to compare; the longer list's length by default. */
  k?: number
  /** Least share of the top k the lists must have in common, 0..1; 1 (all) by default. */
  minOverlap?: number
  /** Least Kendall tau over the items in common, -1..1; 1 (same order) by default. */
  minRankCorrelation?: number
  /** Severity when a threshold is missed; `major` by default. */
  severity?: Severity
  /** The identity of an item; the item itself by default. */
  id?: (item: T) => unknown
  /** Differences kept in the result, 100 by default. */
  maxDifferences?: number
}

/** How two rankings compare, with the measures behind the verdict. */
export interface RankingComparison extends Comparison {
  k: number
  /** Items in both top-k lists, over the size of the larger top-k list (1 when both are empty). */
  overlap: number
  /** Kendall's tau-a over the items in both top-k lists; 1 when fewer than two are shared. */
  rankCorrelation: number
  /** How many items the top-k lists share. */
  common: number
}

/**
 * Compare a shadow's ranking with the primary's. Items only in one top k are `removed`/`added` at
 * their index; a changed order of shared items is one difference at the root. Each is cosmetic
 * while its threshold is met, else of `severity`; so `matches` is both thresholds met.
 */
export function compareRanking<T>(
  primary: readonly T[],
  shadow: readonly T[],
  options: RankingOptions<T> = {},
): RankingComparison {
  const k = options.k ?? Math.max(primary.length, shadow.length)
  const minOverlap = checkRange(options.minOverlap ?? 1, 0, 1, 'minOverlap')
  const minRankCorrelation = checkRange(options.minRankCorrelation ?? 1, -1, 1, 'minRankCorrelation')
  const severity = rankOf(options.severity ?? 'major', 'compareRanking: severity')
  const maxDifferences = options.maxDifferences ?? 100
  if (!Number.isInteger(k) || k < 0) throw new TypeError(`compareRanking: k must be an integer ≥ 0, got ${k}`)

  let top: { primary: Ranked[]; shadow: Ranked[] }
  try {
    top = { primary: topK(primary, k, options.id), shadow: topK(shadow, k, options.id) }
  } catch (error) {
    const note = `id threw ${describeThrown(error)}`
    const difference: Difference = {
      path: '',
      kind: 'changed',
      primary,
      shadow,
      severity: severityOf(severity) as Severity,
      note,
    }
    return {
      matches: false,
      severity: difference.severity,
      differences: [difference],
      truncated: 0,
      k,
      overlap: 0,
      rankCorrelation: 0,
      common: 0,
    }
  }

  const shadowRank = new Map<unknown, number>()
  for (const [rank, entry] of top.shadow.entries()) shadowRank.set(entry.id, rank)
  const shared = top.primary.filter((entry) => shadowRank.has(entry.id))
  const size = Math.max(top.primary.length, top.shadow.length)
  const overlap = size === 0 ? 1 : shared.length / size
  const rankCorrelation = kendallTau(shared.map((entry) => shadowRank.get(entry.id) as number))

  const overlapOk = overlap >= minOverlap - 1e-12
  const orderOk = rankCorrelation >= minRankCorrelation - 1e-12
  const membership = severityOf(overlapOk ? RANK.cosmetic : severity) as Severity
  const differences: Difference[] = []
  if (rankCorrelation < 1) {
    const sharedIds = new Set(shared.map((entry) => entry.id))
    differences.push({
      path: '',
      kind: 'changed',
      primary: shared.map((entry) => entry.item),
      shadow: top.shadow.filter((entry) => sharedIds.has(entry.id)).map((entry) => entry.item),
      severity: severityOf(orderOk ? RANK.cosmetic : severity) as Severity,
      note: `order of the ${shared.length} shared items differs: Kendall tau ${rankCorrelation.toFixed(3)}`,
    })
  }
  const primaryIds = new Set(top.primary.map((entry) => entry.id))
  for (const entry of top.primary) {
    if (!shadowRank.has(entry.id)) {
      differences.push({
        path: `[${entry.index}]`,
        kind: 'removed',
        primary: entry.item,
        severity: membership,
      })
    }
  }
  for (const entry of top.shadow) {
    if (!primaryIds.has(entry.id)) {
      differences.push({ path: `[${entry.index}]`, kind: 'added', shadow: entry.item, severity: membership })
    }
  }

  const highest = differences.reduce((max, d) => Math.max(max, RANK[d.severity]), 0)
  return {
    matches: overlapOk && orderOk,
    severity: severityOf(highest),
    differences: differences.slice(0, maxDifferences),
    truncated: Math.max(0, differences.length - maxDifferences),
    k,
    overlap,
    rankCorrelation,
    common: shared.length,
  }
}

interface Ranked {
  id: unknown
  item: unknown
  /** Position in the original list. */
  index: number
}

/** The first k distinct items (by id) with their original positions. */
function topK<T>(items: readonly T[], k: number, id: ((item: T) => unknown) | undefined): Ranked[] {
  const seen = new Set<unknown>()
  const top: Ranked[] = []
  for (let index = 0; index < items.length && top.length < k; index++) {
    const item = items[index] as T
    const key = id === undefined ? item : id(item)
    if (seen.has(key)) continue
    seen.add(key)
    top.push({ id: key, item, index })
  }
  return top
}

/** Kendall's tau-a of a permutation against the identity: 1 - 2·discordant/pairs, 1 for fewer than two items. */
export function kendallTau(ranks: readonly number[]): number {
  const n = ranks.length
  if (n < 2) return 1
  const pairs = (n * (n - 1)) / 2
  return 1 - (2 * countInversions([...ranks])) / pairs
}

// Merge sort counting inversions: O(n log n), so large k stays cheap.
function countInversions(values: number[]): number {
  const buffer = new Array<number>(values.length)
  let inversions = 0
  for (let width = 1; width < values.length; width *= 2) {
    for (let start = 0; start < values.length; start += 2 * width) {
      const middle = Math.min(start + width, values.length)
      const end = Math.min(start + 2 * width, values.length)
      let left = start
      let right = middle
      let out = start
      while (left < middle && right < end) {
        if ((values[left] as number) <= (values[right] as number)) buffer[out++] = values[left++] as number
        else {
          inversions += middle - left
          buffer[out++] = values[right++] as number
        }
      }
      while (left < middle) buffer[out++] = values[left++] as number
      while (right < end) buffer[out++] = values[right++] as number
    }
    for (let i = 0; i < values.length; i++) values[i] = buffer[i] as number
  }
  return inversions
}

function checkRange(value: number, min: number, max: number, name: string): number {
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw new TypeError(
      `compareRanking: ${name} must be a number from ${min} to ${max}, got ${String(value)}`,
    )
  }
  return value
}
