import type { RouteConfig } from '../config/alerts.js'
import { canonicalLabels, formatLabels, hash, type Labels } from './labels.js'
import { matchesAll } from './matchers.js'

/**
 * The routes that take an alert, Alertmanager's way: a route takes an alert its matchers match; its
 * children are tried in order, depth first, and the first matching child takes it unless that child
 * says `continue`; a route none of whose children matched takes the alert itself.
 */
export function matchRoutes(route: RouteConfig, labels: Labels): RouteConfig[] {
  if (!matchesAll(route.matchers, labels)) return []
  const taken: RouteConfig[] = []
  for (const child of route.routes) {
    const matched = matchRoutes(child, labels)
    taken.push(...matched)
    if (matched.length > 0 && !child.continue) break
  }
  return taken.length > 0 ? taken : [route]
}

/** Every route of a tree by key. */
export function indexRoutes(root: RouteConfig): Map<string, RouteConfig> {
  const index = new Map<string, RouteConfig>()
  const visit = (route: RouteConfig) => {
    index.set(route.key, route)
    route.routes.forEach(visit)
  }
  visit(root)
  return index
}

/** The labels that name an alert's group on a route (its `groupBy` labels the alert has). */
export function groupLabelsOf(route: RouteConfig, labels: Labels): Labels {
  if (route.groupBy === 'all') return canonicalLabels(labels)
  const out: Labels = {}
  for (const name of route.groupBy) {
    const value = labels[name]
    if (value !== undefined) out[name] = value
  }
  return canonicalLabels(out)
}

/** A group's key: the route's key and the group labels, e.g. `{}/{severity="critical"}:{experiment="x"}`. */
export function groupKeyOf(route: RouteConfig, groupLabels: Labels): string {
  return `${route.key}:${formatLabels(groupLabels)}`
}

/**
 * The id a receiver sees for a group (PagerDuty's `dedup_key`): stable across restarts and across
 * collector replicas with the same config, so a re-sent trigger joins the open incident.
 */
export function dedupKeyOf(receiver: string, groupKey: string): string {
  return `twinspan-${hash(`${receiver}\n${groupKey}`)}`
}
