import type { IncomingMessage } from 'node:http'
import { createGunzip, createInflate } from 'node:zlib'

/** The request body was larger than the cap (after decompression). */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError'
}

/** The body could not be decompressed. */
export class BodyEncodingError extends Error {
  override name = 'BodyEncodingError'
}

/**
 * Read a request body, decompressing `gzip`/`deflate`, and stop as soon as the decompressed size
 * passes `maxBytes`: a small gzip bomb costs at most `maxBytes` of memory, never more.
 */
export function readBody(req: IncomingMessage, encoding: string, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    if (encoding === 'identity' && Number.isFinite(declared) && declared > maxBytes) {
      req.resume()
      reject(new BodyTooLargeError(`body of ${declared} bytes exceeds the ${maxBytes}-byte limit`))
      return
    }
    const source =
      encoding === 'gzip'
        ? req.pipe(createGunzip())
        : encoding === 'deflate'
          ? req.pipe(createInflate())
          : req
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const fail = (error: Error) => {
      if (settled) return
      settled = true
      if (source !== req) source.destroy()
      req.resume() // drain what is left so the connection can answer
      reject(error)
    }
    source.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) fail(new BodyTooLargeError(`decompressed body exceeds the ${maxBytes}-byte limit`))
      else chunks.push(chunk)
    })
    source.on('error', (error) =>
      fail(source === req ? error : new BodyEncodingError(`body is not valid ${encoding}: ${error.message}`)),
    )
    source.on('end', () => {
      if (settled) return
      settled = true
      resolve(Buffer.concat(chunks, size))
    })
  })
}
