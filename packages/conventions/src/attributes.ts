/**
 * The wire contract between `@twinspan/sdk` and `@twinspan/collector`: span attribute names.
 * Both sides import these constants; neither spells an attribute name itself.
 * Names may be added, never renamed (see DESIGN.md, "Wire contract").
 */

/** Prefix shared by every twinspan attribute. A span carrying none of them is not a parallel run. */
export const ATTR_PREFIX = 'parallel_run.'

/** Experiment name (string). */
export const ATTR_EXPERIMENT = 'parallel_run.experiment'
/** Which side this span is: `primary` or `shadow`. */
export const ATTR_ROLE = 'parallel_run.role'
/** Correlation id shared by both spans of one run (string). */
export const ATTR_RUN_ID = 'parallel_run.run_id'
/** Optional per-endpoint discriminator, e.g. `GET /orders/:id`. */
export const ATTR_OPERATION = 'parallel_run.operation'
/** Which shadow, when an experiment tries several; `shadow` by default. */
export const ATTR_CANDIDATE = 'parallel_run.candidate'

/** Result of the run (shadow span only): see {@link OUTCOMES}. */
export const ATTR_OUTCOME = 'parallel_run.outcome'
/** Highest difference severity (shadow span only): see {@link SEVERITIES}. */
export const ATTR_SEVERITY = 'parallel_run.severity'
/** Number of differences (int). */
export const ATTR_DIFF_COUNT = 'parallel_run.diff.count'
/** Differing paths, bounded (string[]). */
export const ATTR_DIFF_PATHS = 'parallel_run.diff.paths'
/** Redacted, size-bounded differences (JSON string). */
export const ATTR_DIFF = 'parallel_run.diff'
/** Primary's duration in milliseconds (double). */
export const ATTR_PRIMARY_DURATION_MS = 'parallel_run.primary.duration_ms'
/** Shadow's duration in milliseconds (double). */
export const ATTR_SHADOW_DURATION_MS = 'parallel_run.shadow.duration_ms'
/** Whose answer the caller got: `primary` or `shadow`. */
export const ATTR_SERVED = 'parallel_run.served'

/** OpenTelemetry's general error attribute (semantic conventions), used on failed sides. */
export const ATTR_ERROR_TYPE = 'error.type'

/** The primary's error type when it threw (shadow span; absent when it did not), for error parity. */
export const ATTR_PRIMARY_ERROR_TYPE = 'parallel_run.primary.error_type'

/** Every candidate an experiment ran, on the primary span when there are several (string[]). */
export const ATTR_CANDIDATES = 'parallel_run.candidates'
/** Why a run did not run its shadows (metric attribute): see {@link SKIP_REASONS}. */
export const ATTR_SKIP_REASON = 'parallel_run.skip_reason'
/** Which user callback failed (metric attribute), e.g. `compare`, `onResult`. */
export const ATTR_CALLBACK = 'parallel_run.callback'
/** Why a run skipped its shadows: kill switch off, outside the sample, too many in flight, a failing callback. */
export const SKIP_REASONS = ['disabled', 'sampled_out', 'max_in_flight', 'callback_error'] as const
