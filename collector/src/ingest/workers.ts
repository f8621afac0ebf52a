import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { OtlpDecodeError } from '../otlp/model.js'
import type { OtlpEncoding, PreparedSpans, PrepareOptions } from './ingest.js'
import type { PrepareReply, PrepareTask } from './ingest-worker.js'

/** The ingest workers could not prepare a request (a worker died); the client should retry. */
export class IngestUnavailableError extends Error {
  override name = 'IngestUnavailableError'
}

interface Pending {
  resolve: (prepared: PreparedSpans) => void
  reject: (error: Error) => void
}

interface Thread {
  worker: Worker
  pending: Map<number, Pending>
}

/**
 * Worker threads that decode OTLP bodies and serialise their rows (`prepareBody`), so the thread
 * that serves HTTP only reads bodies, spools rows and answers. Bodies and rows move between threads
 * by transfer, not copy. A request goes to the thread with the fewest requests in hand. A thread
 * that dies fails only the requests it held (503, retried by the exporter) and is replaced.
 * Rationale and figures: docs/decisions/0003-spool-and-batching.md.
 */
export class IngestWorkers {
  private readonly threads: Thread[] = []
  private nextId = 1
  private closed = false

  private constructor(
    readonly size: number,
    private readonly onError: (message: string) => void,
  ) {}

  /** Start `size` threads and wait until each runs; fails if one cannot start (e.g. a broken install). */
  static async start(size: number, onError: (message: string) => void = () => {}): Promise<IngestWorkers> {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`ingest threads must be at least 1, got ${size}`)
    const pool = new IngestWorkers(size, onError)
    const threads = Array.from({ length: size }, () => pool.spawn())
    try {
      await Promise.all(
        threads.map(
          ({ worker }) =>
            new Promise<void>((resolve, reject) => {
              worker.once('online', resolve)
              worker.once('error', reject)
            }),
        ),
      )
    } catch (error) {
      await pool.close()
      throw new Error(`cannot start the ingest threads: ${(error as Error).message}`)
    }
    return pool
  }

  prepare(body: Buffer, encoding: OtlpEncoding, options: PrepareOptions): Promise<PreparedSpans> {
    if (this.closed) return Promise.reject(new IngestUnavailableError('the collector is shutting down'))
    let thread = this.threads[0]
    if (!thread)
      return Promise.reject(new IngestUnavailableError('no ingest thread is running; retry shortly'))
    for (const candidate of this.threads) if (candidate.pending.size < thread.pending.size) thread = candidate
    const id = this.nextId++
    const own = transferable(body)
    const task: PrepareTask = { id, body: own, encoding, options }
    return new Promise<PreparedSpans>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject })
      thread.worker.postMessage(task, [own.buffer as ArrayBuffer])
    })
  }

  /** Stop every thread; requests they still hold fail with IngestUnavailableError. */
  async close(): Promise<void> {
    this.closed = true
    await Promise.all(this.threads.map((thread) => thread.worker.terminate()))
  }

  private spawn(): Thread {
    const worker = newWorker()
    const thread: Thread = { worker, pending: new Map() }
    const started = performance.now()
    worker.unref() // an idle pool never keeps the process alive
    worker.on('message', (reply: PrepareReply) => {
      const pending = thread.pending.get(reply.id)
      if (!pending) return
      thread.pending.delete(reply.id)
      if ('error' in reply) {
        pending.reject(reply.decode ? new OtlpDecodeError(reply.error) : new Error(reply.error))
        return
      }
      const { body, runs, result } = reply
      pending.resolve({
        body: body && Buffer.from(body.buffer, body.byteOffset, body.byteLength),
        runs,
        result,
      })
    })
    worker.on('error', (error) => this.onError(`an ingest thread failed: ${error.message}`))
    worker.once('exit', (code) => {
      const failed = [...thread.pending.values()]
      thread.pending.clear()
      const reason = this.closed
        ? 'the collector is shutting down'
        : `an ingest thread stopped (exit code ${code})`
      for (const { reject } of failed) reject(new IngestUnavailableError(reason))
      const index = this.threads.indexOf(thread)
      if (index !== -1) this.threads.splice(index, 1)
      if (this.closed) return
      this.onError(`${reason}; starting another`)
      // A thread that dies at once would die again at once: replace it after a pause then.
      const pause = performance.now() - started < RESPAWN_PAUSE_MS ? RESPAWN_PAUSE_MS : 0
      setTimeout(() => {
        if (!this.closed) this.spawn()
      }, pause).unref()
    })
    this.threads.push(thread)
    return thread
  }
}

/**
 * A Uint8Array that is the whole of its ArrayBuffer, so it can be transferred: request bodies are
 * often views into a larger buffer (a socket read, Buffer's shared pool) that must not be detached.
 */
export function transferable(bytes: Uint8Array): Uint8Array {
  const { buffer } = bytes
  if (bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength && buffer instanceof ArrayBuffer)
    return bytes
  const copy = new Uint8Array(bytes.byteLength)
  copy.set(bytes)
  return copy
}

/** A thread that stops within this long of starting is replaced only after this long. */
const RESPAWN_PAUSE_MS = 1000

// From dist the worker is plain JavaScript. From source (tests, tsx) it is TypeScript: the thread
// registers tsx first (loader hooks given to the parent do not reach worker threads on Node 20).
const fromSource = import.meta.url.endsWith('.ts')
function newWorker(): Worker {
  if (!fromSource) return new Worker(new URL('./ingest-worker.js', import.meta.url))
  // tsx's ESM API (its `import` export of `tsx/esm/api`; the require one cannot be imported).
  const tsxPackage = createRequire(import.meta.url).resolve('tsx/package.json')
  const api = pathToFileURL(join(dirname(tsxPackage), 'dist/esm/api/index.mjs')).href
  const entry = new URL('./ingest-worker.ts', import.meta.url).href
  const code = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}) })`
  return new Worker(code, { eval: true })
}
