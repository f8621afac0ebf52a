import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs'
import { join } from 'node:path'
import type { SpanRowFormat } from '../store/spans.js'

/** A batch waiting in the spool: its rows and the dedup token it was (or will be) inserted with. */
export interface SpooledBatch {
  file: string
  token: string
  rows: number
  bytes: number
  /** How its rows are encoded: what ingest writes now, or JSONEachRow in files earlier builds left. */
  format: SpanRowFormat
}

/** The spool is at its size bound; the receiver answers 503 with Retry-After. */
export class SpoolFullError extends Error {
  override name = 'SpoolFullError'
}

/** File suffix per row format; `.ndjson` (JSONEachRow) is only ever read, from earlier builds' spools. */
const SUFFIXES: Record<SpanRowFormat, string> = {
  JSONCompactEachRow: '.compact.ndjson',
  JSONEachRow: '.ndjson',
}

/**
 * Batches that could not be inserted, kept on disk until they are. One file per batch, named
 * `<sequence>-<rows>-<token>.compact.ndjson`, written to a temporary name, fsynced, renamed and the directory
 * fsynced: a file under its final name is complete. Design: docs/decisions/0003-spool-and-batching.md.
 */
export class Spool {
  private sequence = 0
  private bytesUsed = 0
  private readonly entries = new Map<string, SpooledBatch>()

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {
    mkdirSync(dir, { recursive: true })
    for (const name of readdirSync(dir)) {
      if (name.endsWith('.tmp')) {
        unlinkSync(join(dir, name)) // a write cut short by a crash; its requests were never acknowledged
        continue
      }
      const batch = parseName(name)
      if (!batch) continue
      batch.bytes = statSync(join(dir, name)).size
      this.entries.set(name, batch)
      this.bytesUsed += batch.bytes
      this.sequence = Math.max(this.sequence, Number(name.split('-')[0]))
    }
  }

  /** Bytes on disk. */
  get bytes(): number {
    return this.bytesUsed
  }

  /** Number of batches waiting. */
  get size(): number {
    return this.entries.size
  }

  /** Whether `bytes` more would fit under the bound. */
  hasRoom(bytes: number): boolean {
    return this.bytesUsed + bytes <= this.maxBytes
  }

  /** Durably store a batch. Throws {@link SpoolFullError} when it would pass the bound. */
  write(
    body: Buffer,
    rows: number,
    token: string,
    format: SpanRowFormat = 'JSONCompactEachRow',
  ): SpooledBatch {
    if (!this.hasRoom(body.length)) {
      throw new SpoolFullError(`spool ${this.dir} is full (${this.bytesUsed} of ${this.maxBytes} bytes)`)
    }
    this.sequence++
    const name = `${String(this.sequence).padStart(12, '0')}-${rows}-${token}${SUFFIXES[format]}`
    const temporary = join(this.dir, `${name}.tmp`)
    const fd = openSync(temporary, 'w')
    try {
      let offset = 0
      while (offset < body.length) offset += writeSync(fd, body, offset)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, join(this.dir, name))
    syncDirectory(this.dir)
    const batch: SpooledBatch = { file: name, token, rows, bytes: body.length, format }
    this.entries.set(name, batch)
    this.bytesUsed += body.length
    return batch
  }

  /** Waiting batches, oldest first. */
  list(): SpooledBatch[] {
    return [...this.entries.values()].sort((a, b) => (a.file < b.file ? -1 : 1))
  }

  read(batch: SpooledBatch): Buffer {
    return readFileSync(join(this.dir, batch.file))
  }

  /** Forget a batch once it is stored. */
  remove(batch: SpooledBatch): void {
    if (!this.entries.delete(batch.file)) return
    unlinkSync(join(this.dir, batch.file))
    this.bytesUsed -= batch.bytes
  }
}

function parseName(name: string): SpooledBatch | undefined {
  const match = /^(\d+)-(\d+)-([A-Za-z0-9_-]+)(\.compact)?\.ndjson$/.exec(name)
  if (!match) return undefined
  const format: SpanRowFormat = match[4] ? 'JSONCompactEachRow' : 'JSONEachRow'
  return { file: name, rows: Number(match[2]), token: match[3] as string, bytes: 0, format }
}

function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r')
  try {
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
