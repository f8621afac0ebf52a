/**
 * Per-endpoint attribution (`parallel_run.operation`), read when the response finishes: Express
 * sets `req.route` only once routing has reached a route, after this middleware has run.
 */
import type { Request } from 'express'

/** The operation last made for each route object. */
const operations = new WeakMap<object, { method: string; baseUrl: string; operation: string }>()

/**
 * `GET /orders/:id`: the method and the template of the route that handled the request, under the
 * path of the router it is mounted on (`req.baseUrl`). A request no route handled (a static file,
 * a 404) is attributed by its path, without the query.
 */
export function routeOperation(req: Request): string {
  const route = (req as { route?: { path?: unknown } }).route
  if (route !== undefined && route !== null && route.path !== undefined) {
    // one string per route (and mount path and method), not one per request
    const { method, baseUrl } = req
    const known = operations.get(route)
    if (known !== undefined && known.method === method && known.baseUrl === baseUrl) return known.operation
    const operation = `${method} ${baseUrl}${String(route.path)}`
    operations.set(route, { method, baseUrl, operation })
    return operation
  }
  const url = req.originalUrl ?? req.url ?? '/'
  const query = url.indexOf('?')
  return `${req.method} ${query === -1 ? url : url.slice(0, query)}`
}
