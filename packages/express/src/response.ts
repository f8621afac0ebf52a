/** One side's response as it is compared and published: the same shape for the legacy app and the candidate. */

export interface ObservedResponse {
  readonly status: number
  /** Lower-case names, as sent; connection-level (hop-by-hop) headers removed. */
  readonly headers: Readonly<Record<string, string | string[]>>
  /** The body with its content coding undone; `undefined` when empty or not kept (`truncated`). */
  readonly body: Buffer | undefined
  /** Bytes of body sent on the wire, all of them, kept or not. */
  readonly bodyBytes: number
  /** The body was over `maxBodyBytes` (on the wire or once decoded): not kept, not compared. */
  readonly truncated: boolean
  /** Legacy side only: the response never finished (the client went away, the app destroyed the socket). */
  readonly incomplete?: true
}

/** Bodies kept so far, bounded: chunks are held, not copied, until the message ends. */
export class BoundedBody {
  private chunks: Buffer[] = []
  private kept = 0
  /** All bytes seen, kept or not. */
  bytes = 0
  truncated = false

  constructor(private readonly maxBytes: number) {}

  add(chunk: Buffer): void {
    this.bytes += chunk.length
    if (this.truncated) return
    if (this.kept + chunk.length > this.maxBytes) {
      this.truncated = true
      this.chunks = [] // what was kept cannot be compared either: let it go now
      return
    }
    this.chunks.push(chunk)
    this.kept += chunk.length
  }

  /** The kept body, or `undefined` when there is none or it was truncated. */
  take(): Buffer | undefined {
    const chunks = this.chunks
    this.chunks = []
    if (this.truncated || chunks.length === 0) return undefined
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, this.kept)
  }
}
