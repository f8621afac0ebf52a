/** Where a notification points people: the experiment's page on the dashboard. */
export function experimentLink(dashboardUrl: string, experiment: string): string {
  return `${dashboardUrl.replace(/\/+$/, '')}/#/experiments/${encodeURIComponent(experiment)}`
}

/** Cut text to at most `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}
