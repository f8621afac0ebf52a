import { mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs'
import { readFile, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { SpanRowFormat } from '../store/spans.js'
import { syncDirectory, writeFileDurably } from './durable-file.js'

/**
 * One fsynced file of rows in the spool. Ingest appends a segment per group commit and acknowledges
 * its requests; an insert takes one or more segments and first names them with its dedup token.
 */
export interface Segment {
  file: string
  sequence: number
  rows: number
  bytes: number
  /** The `insert_deduplication_token` of the insert that took it; absent until one did. */
  token?: string
  /** How its rows are encoded: RowBinary as ingest writes now, or JSON lines in files earlier builds left. */
  format: SpanRowFormat
}

/** The spool is at its size bound; the receiver answers 503 with Retry-After. */
export class SpoolFullError extends Error {
  override name = 'SpoolFullError'
}

/**
 * File suffix per row format. Only `.rowbinary` is written; `.compact.ndjson` (JSONCompactEachRow)
 * and `.ndjson` (JSONEachRow) are read from the spools earlier builds left.
 */
const SUFFIXES: Record<SpanRowFormat, string> = {
  RowBinary: '.rowbinary',
  JSONCompactEachRow: '.compact.ndjson',
  JSONEachRow: '.ndjson',
}
const FORMAT_OF_SUFFIX = new Map(
  Object.entries(SUFFIXES).map(([format, suffix]) => [suffix, format as SpanRowFormat]),
)
const NAME = /^(\d+)-(\d+)(?:-([A-Za-z0-9_-]+))?(\.rowbinary|\.compact\.ndjson|\.ndjson)$/

/**
 * The write-ahead log of ingest (docs/decisions/0003-spool-and-batching.md): every accepted request's
 * rows are in a file here, fsynced, before the request is acknowledged, and stay until ClickHouse
 * has them. Files are `<sequence>-<rows>[-<token>].rowbinary`: written to `.tmp`, fsynced,
 * renamed and the directory fsynced, so a file under its final name is complete. Before an insert,
 * its segments are renamed to carry its token; after a crash, segments with a token are replayed
 * together with that token (a no-op if the insert had landed) and those without one are fresh.
 */
export class Spool {
  private sequence = 0
  private bytesUsed = 0
  private readonly segments = new Map<string, Segment>()

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
      const segment = parseName(name)
      if (!segment) continue
      segment.bytes = statSync(join(dir, name)).size
      this.segments.set(name, segment)
      this.bytesUsed += segment.bytes
      this.sequence = Math.max(this.sequence, segment.sequence)
    }
  }

  /** Bytes on disk. */
  get bytes(): number {
    return this.bytesUsed
  }

  /** Number of segments on disk. */
  get size(): number {
    return this.segments.size
  }

  /** Whether `bytes` more would fit under the bound. */
  hasRoom(bytes: number): boolean {
    return this.bytesUsed + bytes <= this.maxBytes
  }

  /**
   * Durably store rows (one buffer, or several written in order) as a new segment of `count` rows
   * (async, off the event loop). Throws {@link SpoolFullError}
   * when they would pass the bound.
   */
  async append(rows: Buffer | Buffer[], count: number): Promise<Segment> {
    const bytes = Buffer.isBuffer(rows) ? rows.length : rows.reduce((sum, chunk) => sum + chunk.length, 0)
    if (!this.hasRoom(bytes)) {
      throw new SpoolFullError(`spool ${this.dir} is full (${this.bytesUsed} of ${this.maxBytes} bytes)`)
    }
    const sequence = ++this.sequence
    // Reserved before the write, so concurrent appends cannot pass the bound together.
    this.bytesUsed += bytes
    const name = `${String(sequence).padStart(12, '0')}-${count}${SUFFIXES.RowBinary}`
    try {
      await writeFileDurably(join(this.dir, name), rows)
    } catch (error) {
      this.bytesUsed -= bytes
      throw error
    }
    const segment: Segment = { file: name, sequence, rows: count, bytes, format: 'RowBinary' }
    this.segments.set(name, segment)
    return segment
  }

  /**
   * Name segments with the token of the insert about to take them, durably, before that insert
   * starts: a replay after a crash then uses the same token and cannot count them twice.
   */
  async assign(segments: Segment[], token: string): Promise<void> {
    let renamed = false
    for (const segment of segments) {
      if (segment.token === token) continue
      const name = `${String(segment.sequence).padStart(12, '0')}-${segment.rows}-${token}${SUFFIXES[segment.format]}`
      await rename(join(this.dir, segment.file), join(this.dir, name))
      this.segments.delete(segment.file)
      segment.file = name
      segment.token = token
      this.segments.set(name, segment)
      renamed = true
    }
    if (renamed) await syncDirectory(this.dir)
  }

  /** Segments on disk, oldest first. */
  list(): Segment[] {
    return [...this.segments.values()].sort((a, b) => a.sequence - b.sequence)
  }

  /** Where a segment's file is. */
  path(segment: Segment): string {
    return join(this.dir, segment.file)
  }

  read(segment: Segment): Promise<Buffer> {
    return readFile(this.path(segment))
  }

  /** Forget segments once ClickHouse has their rows. */
  async remove(segments: Segment[]): Promise<void> {
    for (const segment of segments) {
      if (!this.segments.delete(segment.file)) continue
      this.bytesUsed -= segment.bytes
      await unlink(join(this.dir, segment.file))
    }
  }
}

function parseName(name: string): Segment | undefined {
  const match = NAME.exec(name)
  if (!match) return undefined
  // A plain ".ndjson" file is a one-file batch an early build spooled: JSONEachRow, with a token.
  const format = FORMAT_OF_SUFFIX.get(match[4] as string) as SpanRowFormat
  if (format === 'JSONEachRow' && match[3] === undefined) return undefined
  return {
    file: name,
    sequence: Number(match[1]),
    rows: Number(match[2]),
    token: match[3],
    bytes: 0,
    format,
  }
}
