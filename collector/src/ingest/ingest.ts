import { decodeTraceExportJson } from '../otlp/json.js'
import type { TraceExport } from '../otlp/model.js'
import { decodeTraceExportProto } from '../otlp/protobuf.js'
import { RowWriter, resourceValues, scopeValues } from './rows.js'
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

/** How a request's spans are turned into rows. */
export interface PrepareOptions {
  keepAllSpans: boolean
  /** Extract the compared runs too (only when something consumes them). */
  runs: boolean
}

/** The wire encodings of an OTLP/HTTP body. */
export type OtlpEncoding = 'protobuf' | 'json'

/** Decode an OTLP/HTTP body and {@link prepareExport} it. Throws OtlpDecodeError for undecodable bodies. */
export function prepareBody(body: Buffer, encoding: OtlpEncoding, options: PrepareOptions): PreparedSpans {
  return prepareExport(
    encoding === 'protobuf' ? decodeTraceExportProto(body) : decodeTraceExportJson(body),
    options,
  )
}

/** The one row writer: preparing a request is synchronous, so its scratch buffer is reused by every request. */
const rows = new RowWriter()

/**
 * Validate and serialise a request's spans: each span is parsed once and serialised once, straight
 * into the RowBinary body of its batch.
 */
export function prepareExport(request: TraceExport, options: PrepareOptions): PreparedSpans {
  rows.reset()
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
          if (options.keepAllSpans) rows.span(span, context)
          else dropped++
          continue
        }
        const reason = validateParallelRunSpan(span)
        if (reason !== undefined) {
          rejected++
          if (reasons.length < MAX_REASONS) reasons.push(`span ${span.spanId || '(no id)'}: ${reason}`)
          continue
        }
        rows.span(span, context)
        const run = options.runs ? runOf(span) : undefined
        if (run) runs.push(run)
      }
    }
  }
  const more = rejected > reasons.length ? ` (and ${rejected - reasons.length} more)` : ''
  const accepted = rows.rows
  return {
    body: rows.finish(),
    runs,
    result: { accepted, rejected, dropped, errorMessage: reasons.join('; ') + more },
  }
}

/** Turns OTLP bodies into `otel_traces` rows, then resolves once the accepted rows are durable. */
export class Ingest {
  private readonly prepareOptions: PrepareOptions

  constructor(
    private readonly pipeline: RowSink,
    private readonly options: IngestOptions,
    readonly counters: IngestCounters = { received: 0, accepted: 0, rejected: 0, dropped: 0 },
  ) {
    this.prepareOptions = { keepAllSpans: options.keepAllSpans, runs: options.onRuns !== undefined }
  }

  /** Prepare and store an already decoded request (tests and embedders). */
  accept(request: TraceExport): Promise<IngestResult> {
    return this.store(this.counted(prepareExport(request, this.prepareOptions)))
  }

  /**
   * Decode and serialise a body's spans. Callers let go of the body before waiting in
   * {@link store}, and the decoded spans never outlive this call: with many requests in flight,
   * decoded spans kept alive while waiting were most of what every young-generation GC had to copy.
   * Throws OtlpDecodeError for an undecodable body.
   */
  prepare(body: Buffer, encoding: OtlpEncoding): PreparedSpans {
    return this.counted(prepareBody(body, encoding, this.prepareOptions))
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

  private counted(prepared: PreparedSpans): PreparedSpans {
    const { accepted, rejected, dropped } = prepared.result
    this.counters.received += accepted + rejected + dropped
    this.counters.rejected += rejected
    this.counters.dropped += dropped
    return prepared
  }
}

/** A request's rows, serialised, and what to answer once they are durable. */
export interface PreparedSpans {
  body: Buffer | undefined
  runs: IngestedRun[]
  result: IngestResult
}
