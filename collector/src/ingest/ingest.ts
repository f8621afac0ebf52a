import type { TraceExport } from '../otlp/model.js'
import { otelTraceLine, RowsBody, resourceValues, scopeValues } from './rows.js'
import { type IngestedRun, runOf } from './runs.js'
import { isParallelRunSpan, validateParallelRunSpan } from './validate.js'

/** What became of one export request's spans. */
export interface IngestResult {
  accepted: number
  /** Spans that failed validation: reported back in `partial_success`. */
  rejected: number
  /** Spans without `parallel_run.*` attributes, dropped by design (see `storage.keepAllSpans`). */
  dropped: number
  /** First few rejection reasons, for `partial_success.error_message`. */
  errorMessage: string
}

export interface IngestOptions {
  keepAllSpans: boolean
  /**
   * Called with the compared runs of each request once they are durable (alert routing listens
   * here). Errors it throws are reported and never affect the request.
   */
  onRuns?: (runs: IngestedRun[]) => void
}

const MAX_REASONS = 5

/** Where accepted rows go: resolves once they are durable (the ingest pipeline in production). */
export interface RowSink {
  submit(body: Buffer, rows: number): Promise<void>
}

/** Running totals of what ingest did with the spans it saw, for /metrics. */
export interface IngestCounters {
  received: number
  accepted: number
  rejected: number
  dropped: number
}

/** Turns decoded exports into `otel_traces` rows. Resolves once the accepted spans are durable. */
export class Ingest {
  constructor(
    private readonly pipeline: RowSink,
    private readonly options: IngestOptions,
    readonly counters: IngestCounters = { received: 0, accepted: 0, rejected: 0, dropped: 0 },
  ) {}

  /** {@link prepare}, then {@link store}. */
  accept(request: TraceExport): Promise<IngestResult> {
    return this.store(this.prepare(request))
  }

  /**
   * Validate and serialise a request's spans, synchronously. Callers let go of the decoded request
   * before waiting in {@link store}: with many requests in flight, decoded spans kept alive while
   * waiting were most of what every young-generation GC had to copy.
   */
  prepare(request: TraceExport): PreparedSpans {
    // Each span is parsed once and serialised once, straight into the JSONCompactEachRow body of its batch.
    const rows = new RowsBody()
    const runs: IngestedRun[] = []
    const reasons: string[] = []
    let rejected = 0
    let dropped = 0
    for (const resourceSpans of request.resourceSpans) {
      const resource = resourceValues(resourceSpans.resource)
      for (const scopeSpans of resourceSpans.scopeSpans) {
        const context = { resource, scope: scopeValues(scopeSpans.scope) }
        for (const span of scopeSpans.spans) {
          if (!isParallelRunSpan(span)) {
            if (this.options.keepAllSpans) rows.add(otelTraceLine(span, context))
            else dropped++
            continue
          }
          const reason = validateParallelRunSpan(span)
          if (reason !== undefined) {
            rejected++
            if (reasons.length < MAX_REASONS) reasons.push(`span ${span.spanId || '(no id)'}: ${reason}`)
            continue
          }
          rows.add(otelTraceLine(span, context))
          const run = this.options.onRuns ? runOf(span) : undefined
          if (run) runs.push(run)
        }
      }
    }
    const received = rows.rows + rejected + dropped
    this.counters.received += received
    this.counters.rejected += rejected
    this.counters.dropped += dropped
    const accepted = rows.rows
    const body = rows.finish()
    const more = rejected > reasons.length ? ` (and ${rejected - reasons.length} more)` : ''
    return { body, runs, result: { accepted, rejected, dropped, errorMessage: reasons.join('; ') + more } }
  }

  /** Wait until prepared rows are durable, then hand their runs to the run consumer. */
  async store({ body, runs, result }: PreparedSpans): Promise<IngestResult> {
    if (body) {
      await this.pipeline.submit(body, result.accepted)
      this.counters.accepted += result.accepted
    }
    if (runs.length > 0) {
      try {
        this.options.onRuns?.(runs)
      } catch (error) {
        process.stderr.write(`twinspan: a run consumer failed: ${(error as Error).message}\n`)
      }
    }
    return result
  }
}

/** A request's rows, serialised, and what to answer once they are durable. */
export interface PreparedSpans {
  body: Buffer | undefined
  runs: IngestedRun[]
  result: IngestResult
}
