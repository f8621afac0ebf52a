/** A request the analysis cannot answer as asked (bad window, limit, filter): HTTP 400. */
export class BadRequestError extends Error {
  override name = 'BadRequestError'
  readonly status = 400
}

/** The request names something the store has never seen (an unknown experiment): HTTP 404. */
export class NotFoundError extends Error {
  override name = 'NotFoundError'
  readonly status = 404
}
