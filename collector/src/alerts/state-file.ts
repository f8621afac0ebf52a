import { mkdirSync } from 'node:fs'
import { readFile, rename } from 'node:fs/promises'
import { dirname } from 'node:path'
import { writeFileDurably } from '../ingest/durable-file.js'
import type { DispatcherSnapshot } from './dispatcher.js'

/**
 * The alert state on disk: one JSON snapshot, replaced atomically (write a temporary file, fsync,
 * rename, fsync the directory), so a crash leaves the old state or the new one, never half of one.
 * Saves coalesce: at most one write runs, and a save asked for during it is written right after.
 */
export class StateFile {
  private writing: Promise<void> | undefined
  private queued: Promise<void> | undefined
  /** Bytes of the last snapshot written, and how long writing it took (for the decision record, metrics). */
  lastBytes = 0
  lastWriteMs = 0

  constructor(
    readonly path: string,
    private readonly snapshot: () => DispatcherSnapshot,
  ) {
    mkdirSync(dirname(path), { recursive: true })
  }

  /** Read the saved state; undefined when there is none. A damaged file is set aside and reported. */
  async load(report: (message: string) => void): Promise<DispatcherSnapshot | undefined> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
    try {
      const parsed = JSON.parse(text) as DispatcherSnapshot
      if (parsed.version !== 1) throw new Error(`unknown version ${String(parsed.version)}`)
      return parsed
    } catch (error) {
      const aside = `${this.path}.damaged-${Date.now()}`
      await rename(this.path, aside)
      report(
        `alert state ${this.path} is unreadable (${(error as Error).message}); moved to ${aside}, starting empty`,
      )
      return undefined
    }
  }

  /** Write the current state; resolves once a write that began after this call is durable. */
  save(): Promise<void> {
    if (this.queued) return this.queued
    if (this.writing) {
      this.queued = this.writing.then(
        () => this.startQueued(),
        () => this.startQueued(),
      )
      return this.queued
    }
    this.writing = this.write().finally(() => {
      this.writing = undefined
    })
    return this.writing
  }

  private startQueued(): Promise<void> {
    this.queued = undefined
    return this.save()
  }

  private async write(): Promise<void> {
    const started = performance.now()
    const body = JSON.stringify(this.snapshot())
    await writeFileDurably(this.path, body)
    this.lastBytes = Buffer.byteLength(body)
    this.lastWriteMs = performance.now() - started
  }
}
