/**
 * `@twinspan/express` — Express middleware that tees live requests to a candidate service,
 * compares its responses with the app's own per endpoint, and records each pair as a parallel run
 * through `@twinspan/sdk`. The client only ever gets the app's response.
 */

export { SHADOW_HEADER } from './headers.js'
export { type BodySkipReason, type ParallelRunMiddleware, parallelRun } from './middleware.js'
export { DEFAULTS, type HttpRunResult, type ParallelRunOptions, SAFE_METHODS } from './options.js'
export { RequestBodyError } from './request-body.js'
export type { ObservedResponse } from './response.js'
