import { OtlpDecodeError } from './model.js'

/** Protobuf wire types. */
export const VARINT = 0
export const FIXED64 = 1
export const LENGTH_DELIMITED = 2
export const FIXED32 = 5

/** Keys longer than this are decoded every time (attribute names are short). */
const MAX_CACHED_KEY = 64
/** At most this many distinct keys are kept; later new ones are decoded every time. */
const KEY_CACHE_SIZE = 4096
/** Decoded attribute keys by a hash of some of their bytes, shared by every reader (bounded, never evicts). */
const keyCache = new Map<number, { bytes: Uint8Array; text: string }[]>()
let keyCacheSize = 0

function sameBytes(cached: Uint8Array, buf: Uint8Array, start: number, length: number): boolean {
  if (cached.length !== length) return false
  // From the end: keys of one span mostly share a prefix (`parallel_run.`).
  for (let i = length - 1; i >= 0; i--) if (cached[i] !== buf[start + i]) return false
  return true
}

/**
 * A minimal protobuf reader over one buffer: enough for OTLP's messages (varints, fixed64,
 * length-delimited, fixed32). Every read is bounds-checked; malformed input throws
 * {@link OtlpDecodeError}, never reads past the end.
 */
export class ProtoReader {
  pos: number
  /** Where the message being read ends: the buffer's end, or a nested message's while {@link enter}ed. */
  end: number
  /** The body as a Buffer (no copy): Buffer's toString of a range beats TextDecoder on short fields. */
  readonly buf: Buffer
  private readonly view: DataView
  constructor(buf: Uint8Array, start = 0, end = buf.length, view?: DataView) {
    this.buf = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
    this.pos = start
    this.end = end
    this.view = view ?? new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  done(): boolean {
    return this.pos >= this.end
  }

  /**
   * Read a field key: `field << 3 | wireType` (callers split it with `>>> 3` and `& 7`). A number,
   * not a pair: this runs for every field of every span, and a tuple per field was most of the
   * decoder's garbage.
   */
  tag(): number {
    const key = this.varint32()
    if (key >>> 3 === 0) throw new OtlpDecodeError(`invalid field number 0 at byte ${this.pos}`)
    return key
  }

  /** Read a varint that fits 32 bits (tags, lengths, enums, uint32). Longer encodings keep the low bits. */
  varint32(): number {
    let result = 0
    let shift = 0
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OtlpDecodeError('truncated varint')
      const byte = this.buf[this.pos++] as number
      if (shift < 32) result |= (byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return result >>> 0
      shift += 7
    }
    throw new OtlpDecodeError('varint longer than 10 bytes')
  }

  /**
   * Read an int64 varint as a number when it is exact (below 2^53, non-negative: up to 7 bytes
   * hold 49 bits), as bigint otherwise. The common small values skip BigInt arithmetic entirely.
   */
  int64(): number | bigint {
    let value = 0
    let scale = 1
    const start = this.pos
    for (let i = 0; i < 7 && this.pos < this.end; i++) {
      const byte = this.buf[this.pos++] as number
      value += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) return value
      scale *= 128
    }
    this.pos = start
    const big = this.varint64()
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(big)
      : big
  }

  /** Read a varint as a signed 64-bit integer (int64). */
  varint64(): bigint {
    let result = 0n
    let shift = 0n
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OtlpDecodeError('truncated varint')
      const byte = this.buf[this.pos++] as number
      result |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return BigInt.asIntN(64, result)
      shift += 7n
    }
    throw new OtlpDecodeError('varint longer than 10 bytes')
  }

  bool(): boolean {
    return this.varint32() !== 0
  }

  fixed64(): bigint {
    this.need(8)
    const value = this.view.getBigUint64(this.pos, true)
    this.pos += 8
    return value
  }

  double(): number {
    this.need(8)
    const value = this.view.getFloat64(this.pos, true)
    this.pos += 8
    return value
  }

  fixed32(): number {
    this.need(4)
    const value = this.view.getUint32(this.pos, true)
    this.pos += 4
    return value
  }

  /** Read a length prefix and advance past the payload; returns where the payload starts (it ends at `pos`). */
  delimited(): number {
    const length = this.varint32()
    this.need(length)
    const start = this.pos
    this.pos += length
    return start
  }

  /** A sub-reader over the next length-delimited field. */
  message(): ProtoReader {
    const start = this.delimited()
    return new ProtoReader(this.buf, start, this.pos, this.view)
  }

  /**
   * Read the next length-delimited field as a nested message in place, without a sub-reader: reads
   * stop at its end until {@link leave} is called with what this returns. For the messages that
   * occur many times per span (KeyValue, AnyValue), where a reader each was garbage to collect.
   */
  enter(): number {
    const length = this.varint32()
    this.need(length)
    const outer = this.end
    this.end = this.pos + length
    return outer
  }

  /** Skip what is left of the message {@link enter}ed and go back to reading the enclosing one. */
  leave(outer: number): void {
    this.pos = this.end
    this.end = outer
  }

  /** UTF-8 text; invalid sequences become U+FFFD, as protobuf runtimes and TextDecoder do. */
  string(): string {
    const start = this.delimited()
    return this.buf.toString('utf8', start, this.pos)
  }

  /**
   * Like {@link string}, for attribute keys: the same few keys arrive in every span, so each
   * distinct short key is decoded once and the same string returned after (no allocation, and
   * already internalised when it becomes a property name).
   */
  key(): string {
    const start = this.delimited()
    const end = this.pos
    const length = end - start
    if (length === 0) return ''
    if (length > MAX_CACHED_KEY) return this.buf.toString('utf8', start, end)
    const buf = this.buf
    // A few bytes are enough to tell keys apart; the full comparison below makes it exact.
    const hash =
      (length << 24) ^
      ((buf[start] as number) << 16) ^
      ((buf[end - 1] as number) << 8) ^
      (buf[start + (length >> 1)] as number) ^
      ((buf[start + (length >> 2)] as number) << 4) ^
      ((buf[end - 1 - (length >> 2)] as number) << 12)
    const bucket = keyCache.get(hash)
    if (bucket !== undefined) {
      for (const cached of bucket) if (sameBytes(cached.bytes, buf, start, length)) return cached.text
    }
    const text = buf.toString('utf8', start, end)
    if (keyCacheSize < KEY_CACHE_SIZE) {
      const entry = { bytes: Uint8Array.prototype.slice.call(buf, start, end), text }
      if (bucket === undefined) keyCache.set(hash, [entry])
      else bucket.push(entry)
      keyCacheSize++
    }
    return text
  }

  bytes(): Uint8Array {
    const start = this.delimited()
    return this.buf.subarray(start, this.pos)
  }

  /** Bytes as lower-case hex (trace and span ids). */
  hex(): string {
    const start = this.delimited()
    return this.buf.toString('hex', start, this.pos)
  }

  /** Skip a field of the given wire type (unknown fields are ignored, per protobuf). */
  skip(wireType: number): void {
    switch (wireType) {
      case VARINT:
        this.varint32()
        return
      case FIXED64:
        this.need(8)
        this.pos += 8
        return
      case LENGTH_DELIMITED:
        this.delimited()
        return
      case FIXED32:
        this.need(4)
        this.pos += 4
        return
      default:
        throw new OtlpDecodeError(`unsupported wire type ${wireType} at byte ${this.pos}`)
    }
  }

  private need(length: number): void {
    if (length < 0 || this.pos + length > this.end) throw new OtlpDecodeError('truncated message')
  }
}
