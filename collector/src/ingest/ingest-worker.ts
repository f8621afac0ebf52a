/**
 * An ingest worker thread (see workers.ts): decodes OTLP bodies and serialises their rows, and sends
 * the rows back by transfer.
 */
import { parentPort } from 'node:worker_threads'
import { OtlpDecodeError } from '../otlp/model.js'
import { type OtlpEncoding, type PrepareOptions, prepareBody } from './ingest.js'
import type { IngestedRun } from './runs.js'
import { transferable } from './workers.js'

export interface PrepareTask {
  id: number
  body: Uint8Array
  encoding: OtlpEncoding
  options: PrepareOptions
}

export type PrepareReply =
  | {
      id: number
      body: Uint8Array | undefined
      runs: IngestedRun[]
      result: { accepted: number; rejected: number; dropped: number; errorMessage: string }
    }
  | { id: number; error: string; decode: boolean }

parentPort?.on('message', ({ id, body, encoding, options }: PrepareTask) => {
  let reply: PrepareReply
  try {
    const prepared = prepareBody(
      Buffer.from(body.buffer, body.byteOffset, body.byteLength),
      encoding,
      options,
    )
    const rows = prepared.body && transferable(prepared.body)
    reply = { id, body: rows, runs: prepared.runs, result: prepared.result }
    parentPort?.postMessage(reply, rows ? [rows.buffer as ArrayBuffer] : [])
  } catch (error) {
    reply = { id, error: (error as Error).message, decode: error instanceof OtlpDecodeError }
    parentPort?.postMessage(reply)
  }
})
