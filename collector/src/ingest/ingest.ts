import type { TraceExport } from '../otlp/model.js'
import type { Store } from '../store/client.js'
import { insertSpanRows, type OtelTraceRow } from '../store/spans.js'
import { toOtelTraceRow } from './rows.js'
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
}

const MAX_REASONS = 5

/** Turns decoded exports into stored rows. Resolves once the accepted spans are durable. */
export class Ingest {
  constructor(
    private readonly store: Store,
    private readonly options: IngestOptions,
  ) {}

  async accept(request: TraceExport): Promise<IngestResult> {
    const rows: OtelTraceRow[] = []
    const reasons: string[] = []
    let rejected = 0
    let dropped = 0
    for (const resourceSpans of request.resourceSpans) {
      const serviceName = resourceSpans.resource['service.name']
      for (const scopeSpans of resourceSpans.scopeSpans) {
        const context = {
          resource: resourceSpans.resource,
          serviceName: typeof serviceName === 'string' ? serviceName : '',
          scope: scopeSpans.scope,
        }
        for (const span of scopeSpans.spans) {
          if (!isParallelRunSpan(span)) {
            if (this.options.keepAllSpans) rows.push(toOtelTraceRow(span, context))
            else dropped++
            continue
          }
          const reason = validateParallelRunSpan(span)
          if (reason !== undefined) {
            rejected++
            if (reasons.length < MAX_REASONS) reasons.push(`span ${span.spanId || '(no id)'}: ${reason}`)
            continue
          }
          rows.push(toOtelTraceRow(span, context))
        }
      }
    }
    if (rows.length > 0) await insertSpanRows(this.store, rows)
    const more = rejected > reasons.length ? ` (and ${rejected - reasons.length} more)` : ''
    return { accepted: rows.length, rejected, dropped, errorMessage: reasons.join('; ') + more }
  }
}
