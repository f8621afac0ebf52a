/**
 * @twinspan/compare: tells real regressions from noise when a primary and a shadow answer the
 * same input. Structural diff with rules by path, HTTP responses, rankings and errors.
 */

export { type Comparator, compare, createComparator } from './comparator.js'
export { type CompareErrorsOptions, compareErrors } from './errors.js'
export {
  compareHttp,
  DEFAULT_IGNORED_HEADERS,
  type HeadersLike,
  type HttpCompareOptions,
  type HttpResponseLike,
} from './http.js'
export { normalizeDatetime } from './normalize.js'
export { compareRanking, kendallTau, type RankingComparison, type RankingOptions } from './ranking.js'
export type {
  CompareOptions,
  Comparison,
  Difference,
  DifferenceKind,
  Normalizer,
  NormalizerName,
  Rule,
  Rules,
  Severity,
} from './types.js'
