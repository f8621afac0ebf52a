/**
 * Rules compiled once into a trie of pattern segments. While walking, the comparator holds the
 * trie nodes the current path has reached ("states"); when none remain, no rule can apply below
 * and the walk costs nothing extra.
 *
 * Precedence, when several patterns match the same path: more literal segments wins; on a tie,
 * the first position where they differ decides, a literal beating a wildcard (`a.*.c` beats
 * `*.b.c`). Matching rules are merged property by property, each property taken from the most
 * specific rule that sets it. `severity` and `ignore` also cover everything beneath the path;
 * a rule matching a deeper path exactly overrides an inherited severity.
 */

import { compileNormalize } from './normalize.js'
import { type Label, labelText, type PatternSegment, parsePattern } from './paths.js'
import { rankOf } from './severity.js'
import type { Rule, Rules } from './types.js'

/** A rule as the walk uses it. Unset numbers are -1, unset severity 0. */
export interface CompiledRule {
  readonly ignore: boolean
  readonly severity: number
  readonly tolerance: number
  readonly relTolerance: number
  readonly unordered: boolean
  readonly key: ((item: unknown) => unknown) | null
  readonly keyName: string | null
  readonly normalize: ((value: unknown) => unknown) | null
  readonly compare: ((primary: unknown, shadow: unknown) => boolean) | null
  /** Whether the rule changes how the value itself is compared (not just ignore/severity). */
  readonly acts: boolean
}

/** The parts of a rule one pattern sets; merged with other matching rules at walk time. */
interface RulePart {
  ignore?: boolean
  severity?: number
  tolerance?: number
  relTolerance?: number
  unordered?: boolean
  key?: (item: unknown) => unknown
  keyName?: string
  normalize?: (value: unknown) => unknown
  compare?: (primary: unknown, shadow: unknown) => boolean
}

export interface RuleNode {
  readonly id: number
  keys: Map<string, RuleNode> | null
  indices: Map<number, RuleNode> | null
  labels: Map<string, RuleNode> | null
  anyKey: RuleNode | null
  anyIndex: RuleNode | null
  part: RulePart | null
  /** Higher is more specific; only compared between patterns of the same length. */
  specificity: string
  /** The rule when this node is the only one matching. */
  rule: CompiledRule | null
  /** Shared by every node of one compiled rule set: merged rules by the ids of the matching nodes. */
  readonly merged: Map<string, CompiledRule | null>
}

/** Where the walk stands in the rule trie: no node, one node, or several (wildcards overlap). */
export type States = RuleNode | RuleNode[] | null

/** Compile rules into a trie; null when there are none. Throws a clear error for a bad rule. */
export function compileRules(rules: Rules | undefined): RuleNode | null {
  if (rules === undefined || rules === null) return null
  const patterns = Object.keys(rules)
  if (patterns.length === 0) return null
  const merged = new Map<string, CompiledRule | null>()
  let nextId = 0
  const newNode = (): RuleNode => ({
    id: nextId++,
    keys: null,
    indices: null,
    labels: null,
    anyKey: null,
    anyIndex: null,
    part: null,
    specificity: '',
    rule: null,
    merged,
  })
  const root = newNode()
  const owners = new Map<RuleNode, string>()
  for (const pattern of patterns) {
    const segments = parsePattern(pattern)
    let node = root
    for (const segment of segments) node = childFor(node, segment, newNode)
    const previous = owners.get(node)
    if (previous !== undefined) {
      throw new SyntaxError(`compare: rules '${previous}' and '${pattern}' name the same path; keep one`)
    }
    owners.set(node, pattern)
    node.part = partOf(rules[pattern], pattern)
    node.specificity = specificityOf(segments)
    node.rule = merge([node.part])
  }
  return root
}

function childFor(node: RuleNode, segment: PatternSegment, newNode: () => RuleNode): RuleNode {
  switch (segment.type) {
    case 'anyKey':
      node.anyKey ??= newNode()
      return node.anyKey
    case 'anyIndex':
      node.anyIndex ??= newNode()
      return node.anyIndex
    case 'key':
      node.keys ??= new Map()
      return childIn(node.keys, segment.name, newNode)
    case 'index':
      node.indices ??= new Map()
      return childIn(node.indices, segment.index, newNode)
    case 'label':
      node.labels ??= new Map()
      return childIn(node.labels, segment.text, newNode)
  }
}

function childIn<K>(children: Map<K, RuleNode>, key: K, newNode: () => RuleNode): RuleNode {
  let child = children.get(key)
  if (child === undefined) {
    child = newNode()
    children.set(key, child)
  }
  return child
}

// Count of literal segments (zero-padded so strings compare as numbers), then one digit per
// position, 1 for a literal: comparing these strings orders same-length patterns by precedence.
function specificityOf(segments: PatternSegment[]): string {
  const bits = segments.map((s) => (s.type === 'anyKey' || s.type === 'anyIndex' ? '0' : '1')).join('')
  const literals = bits.replaceAll('0', '').length
  return `${String(literals).padStart(4, '0')}:${bits}`
}

function partOf(rule: Rule | 'ignore' | undefined, pattern: string): RulePart {
  if (rule === 'ignore') return { ignore: true }
  if (typeof rule !== 'object' || rule === null) {
    throw new TypeError(`compare: rule '${pattern}' must be 'ignore' or an object, got ${String(rule)}`)
  }
  const part: RulePart = {}
  if (rule.ignore !== undefined) part.ignore = rule.ignore === true
  if (rule.severity !== undefined) part.severity = rankOf(rule.severity, `rule '${pattern}': severity`)
  if (rule.tolerance !== undefined) part.tolerance = nonNegative(rule.tolerance, pattern, 'tolerance')
  if (rule.relTolerance !== undefined) {
    part.relTolerance = nonNegative(rule.relTolerance, pattern, 'relTolerance')
  }
  if (rule.unordered !== undefined) part.unordered = rule.unordered === true
  if (rule.key !== undefined) {
    const key = rule.key
    if (typeof key === 'string') {
      part.key = (item) =>
        typeof item === 'object' && item !== null ? (item as Record<string, unknown>)[key] : undefined
      part.keyName = key
    } else if (typeof key === 'function') {
      part.key = key
      part.keyName = 'key'
    } else {
      throw new TypeError(`compare: rule '${pattern}': key must be a field name or a function`)
    }
  }
  if (rule.normalize !== undefined) part.normalize = compileNormalize(rule.normalize, pattern)
  if (rule.compare !== undefined) {
    if (typeof rule.compare !== 'function') {
      throw new TypeError(
        `compare: rule '${pattern}': compare must be a function (primary, shadow) => boolean`,
      )
    }
    part.compare = rule.compare
  }
  return part
}

function nonNegative(value: unknown, pattern: string, name: string): number {
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new TypeError(`compare: rule '${pattern}': ${name} must be a number ≥ 0, got ${String(value)}`)
  }
  return value
}

/** Merge rule parts, most specific first: each property from the first part that sets it. */
function merge(parts: RulePart[]): CompiledRule {
  const pick = <K extends keyof RulePart>(name: K): RulePart[K] =>
    parts.find((p) => p[name] !== undefined)?.[name]
  const keyPart = parts.find((p) => p.key !== undefined)
  const rule = {
    ignore: pick('ignore') ?? false,
    severity: pick('severity') ?? 0,
    tolerance: pick('tolerance') ?? -1,
    relTolerance: pick('relTolerance') ?? -1,
    unordered: keyPart !== undefined || (pick('unordered') ?? false),
    key: keyPart?.key ?? null,
    keyName: keyPart?.keyName ?? null,
    normalize: pick('normalize') ?? null,
    compare: pick('compare') ?? null,
  }
  const acts =
    rule.tolerance >= 0 ||
    rule.relTolerance >= 0 ||
    rule.unordered ||
    rule.normalize !== null ||
    rule.compare !== null
  return { ...rule, acts }
}

/** The merged rule at the current path, or null when no pattern ends here. */
export function ruleAt(states: RuleNode | RuleNode[]): CompiledRule | null {
  if (!Array.isArray(states)) return states.rule
  let id = ''
  const withRule: RuleNode[] = []
  for (const node of states) {
    if (node.part === null) continue
    withRule.push(node)
    id += `${node.id},`
  }
  if (withRule.length === 0) return null
  if (withRule.length === 1) return (withRule[0] as RuleNode).rule
  const cache = (withRule[0] as RuleNode).merged
  let rule = cache.get(id)
  if (rule === undefined) {
    withRule.sort((a, b) => (a.specificity < b.specificity ? 1 : a.specificity > b.specificity ? -1 : 0))
    rule = merge(withRule.map((node) => node.part as RulePart))
    cache.set(id, rule)
  }
  return rule
}

function join(a: RuleNode | null, b: RuleNode | null): States {
  if (a === null) return b
  if (b === null) return a
  return [a, b]
}

function collect(states: RuleNode[], step: (node: RuleNode) => States): States {
  let found: RuleNode[] | null = null
  for (const node of states) {
    const next = step(node)
    if (next === null) continue
    found ??= []
    if (Array.isArray(next)) found.push(...next)
    else found.push(next)
  }
  if (found === null) return null
  return found.length === 1 ? (found[0] as RuleNode) : found
}

function keyStep(node: RuleNode, key: string): States {
  return join(node.keys?.get(key) ?? null, node.anyKey)
}

function indexStep(node: RuleNode, index: number): States {
  return join(node.indices?.get(index) ?? null, node.anyIndex)
}

/** States after an object key (or a string Map key). */
export function stepKey(states: RuleNode | RuleNode[], key: string): States {
  if (!Array.isArray(states)) return keyStep(states, key)
  return collect(states, (node) => keyStep(node, key))
}

/** States after an array index. */
export function stepIndex(states: RuleNode | RuleNode[], index: number): States {
  if (!Array.isArray(states)) return indexStep(states, index)
  return collect(states, (node) => indexStep(node, index))
}

/** States after a label: a keyed item (matched by `[*]` or its literal) or a non-string Map key (by `*`). */
export function stepLabel(states: RuleNode | RuleNode[], label: Label): States {
  const nodes = Array.isArray(states) ? states : [states]
  let text: string | null = null
  return collect(nodes, (node) => {
    if (label.name === null) return node.anyKey
    if (node.labels === null) return node.anyIndex
    text ??= labelText(label)
    return join(node.labels.get(text) ?? null, node.anyIndex)
  })
}

/** Whether any pattern continues below these states with an index or keyed item. */
export function hasItemRules(states: States): boolean {
  if (states === null) return false
  const nodes = Array.isArray(states) ? states : [states]
  return nodes.some((node) => node.anyIndex !== null || node.indices !== null || node.labels !== null)
}
