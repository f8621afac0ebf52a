/**
 * Content decoding, so two services are compared on what they mean rather than on how they were
 * compressed: gzip, deflate and br, in the order they were applied, never past `maxBytes` (a
 * zip bomb costs nothing). Decompression runs on libuv's thread pool, off the event loop.
 */
import { promisify } from 'node:util'
import * as zlib from 'node:zlib'

/** A body after decoding. `truncated`: larger than the bound once decoded, so not kept. */
export interface DecodedBody {
  readonly body: Buffer | undefined
  readonly truncated: boolean
}

type Decoder = (buffer: Buffer, options: zlib.ZlibOptions | zlib.BrotliOptions) => Promise<Buffer>

const gunzip: Decoder = promisify(zlib.gunzip)
const inflate: Decoder = promisify(zlib.inflate)
const inflateRaw: Decoder = promisify(zlib.inflateRaw)
const brotli: Decoder = promisify(zlib.brotliDecompress)

const DECODERS: Readonly<Record<string, Decoder>> = {
  gzip: gunzip,
  'x-gzip': gunzip,
  br: brotli,
  // `deflate` is meant to be zlib-wrapped, but servers have long sent it raw: accept both.
  deflate: (buffer, options) => inflate(buffer, options).catch(() => inflateRaw(buffer, options)),
}

/**
 * Undo `contentEncoding` on `raw`. A coding we do not know (or bytes that do not decode, e.g. a
 * body a later middleware will compress, captured before it did) leaves the body as it was: the
 * comparison then sees the bytes as sent.
 */
export async function decodeBody(
  raw: Buffer | undefined,
  contentEncoding: string | undefined,
  maxBytes: number,
): Promise<DecodedBody> {
  if (raw === undefined || raw.length === 0 || contentEncoding === undefined)
    return { body: raw, truncated: false }
  const codings = contentEncoding
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity')
  if (codings.length === 0 || codings.some((coding) => DECODERS[coding] === undefined))
    return { body: raw, truncated: false }
  let body = raw
  try {
    for (const coding of codings.reverse()) {
      body = await (DECODERS[coding] as Decoder)(body, { maxOutputLength: Math.max(maxBytes, 1) })
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      return { body: undefined, truncated: true }
    return { body: raw, truncated: false }
  }
  if (body.length > maxBytes) return { body: undefined, truncated: true }
  return { body, truncated: false }
}
