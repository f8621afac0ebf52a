/**
 * Sampling and serving decisions. With a `sampleKey`, a run's place in [0, 1) is a stable hash of
 * the experiment name and the key, so the same key gets the same decision in every process and
 * every language that implements the hash: FNV-1a 32-bit over the UTF-8 bytes of
 * `name + "\u0000" + String(key)`, then MurmurHash3's 32-bit finalizer (fmix32), divided by 2^32.
 * The finalizer matters: FNV-1a alone leaves its high bits poorly mixed for short keys that differ
 * only at the end (`customer-0` … `customer-99` all fell between 0.49 and 0.93, so a 5% sample of
 * them took nobody). A run is sampled when its place is below
 * `sampleRate` and served by the shadow when below `shadowPercent / 100`, so raising either only
 * adds keys to the cohort. Without a key the place is `Math.random()`.
 */

const FNV_OFFSET_BASIS = 0x811c9dc5
const FNV_PRIME = 0x01000193

/** FNV-1a 32-bit hash of the UTF-8 bytes of `text`, as an unsigned integer. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS
  const byte = (b: number) => {
    hash = Math.imul(hash ^ b, FNV_PRIME)
  }
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i)
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1)
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00)
        i++
      }
    }
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd // a lone surrogate encodes as U+FFFD, as TextEncoder does
    if (code < 0x80) byte(code)
    else if (code < 0x800) {
      byte(0xc0 | (code >> 6))
      byte(0x80 | (code & 0x3f))
    } else if (code < 0x10000) {
      byte(0xe0 | (code >> 12))
      byte(0x80 | ((code >> 6) & 0x3f))
      byte(0x80 | (code & 0x3f))
    } else {
      byte(0xf0 | (code >> 18))
      byte(0x80 | ((code >> 12) & 0x3f))
      byte(0x80 | ((code >> 6) & 0x3f))
      byte(0x80 | (code & 0x3f))
    }
  }
  return hash >>> 0
}

/** MurmurHash3's 32-bit finalizer: spreads every input bit over every output bit. */
export function fmix32(hash: number): number {
  let h = hash >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Where `key` falls in [0, 1) for experiment `name`: the sticky cohort position. */
export function cohortOf(name: string, key: string | number | bigint): number {
  return fmix32(fnv1a32(`${name}\u0000${String(key)}`)) / 0x1_0000_0000
}
