/**
 * BLAKE2b (RFC 7693) with a variable digest length, in pure TypeScript so `core` needs nothing but `effect`.
 * It derives checkpoint operation ids: Datadog's Python writer uses `blake2b(digest_size=16)`, so the same
 * input gives the same id here. The reader checks a checkpoint's id with it, so it is
 * on every invocation's path. 64-bit words are pairs of 32-bit ones (see bench/RESULTS.md for why not BigInt).
 */

// The IV as 32-bit words, low word first: 64-bit arithmetic on pairs, without BigInt.
const IV = Uint32Array.from([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a, 0xade682d1,
  0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19
])

const SIGMA: ReadonlyArray<ReadonlyArray<number>> = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0]
]

const BLOCK_BYTES = 128
const HEX_BYTES = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"))
const TWO_32 = 0x100000000

// The message schedule as word-pair offsets (SIGMA * 2), 12 rounds flat: no nested look-ups in the rounds.
const SCHEDULE = Uint8Array.from(
  Array.from({ length: 12 * 16 }, (_, i) => SIGMA[Math.floor(i / 16) % 10]![i % 16]! * 2)
)

// Scratch words of one compression, reused: the hash is synchronous, so no two compressions overlap.
const V = new Uint32Array(32)
const M = new Uint32Array(32)

// The mixing function G over word-pair indices a, b, c, d and message word-pair offsets x, y (RFC 7693 §3.1),
// 64-bit arithmetic on (low, high) pairs; a Uint32Array wraps each word on store.
const mix = (v: Uint32Array, m: Uint32Array, a: number, b: number, c: number, d: number, x: number, y: number) => {
  let lo = v[a]! + v[b]!
  let hi = v[a + 1]! + v[b + 1]! + (lo >= TWO_32 ? 1 : 0)
  lo = lo >>> 0
  let l2 = lo + m[x]!
  let aLo = l2 >>> 0
  let aHi = (hi + m[x + 1]! + (l2 >= TWO_32 ? 1 : 0)) >>> 0
  // d = (d ^ a) rotr 32: swap halves
  let dLo = v[d + 1]! ^ aHi
  let dHi = v[d]! ^ aLo
  lo = v[c]! + (dLo >>> 0)
  let cHi = (v[c + 1]! + (dHi >>> 0) + (lo >= TWO_32 ? 1 : 0)) >>> 0
  let cLo = lo >>> 0
  // b = (b ^ c) rotr 24
  let xl = v[b]! ^ cLo
  let xh = v[b + 1]! ^ cHi
  let bLo = (xl >>> 24) ^ (xh << 8)
  let bHi = (xh >>> 24) ^ (xl << 8)
  lo = aLo + (bLo >>> 0)
  hi = aHi + (bHi >>> 0) + (lo >= TWO_32 ? 1 : 0)
  l2 = (lo >>> 0) + m[y]!
  aLo = l2 >>> 0
  aHi = (hi + m[y + 1]! + (l2 >= TWO_32 ? 1 : 0)) >>> 0
  // d = (d ^ a) rotr 16
  xl = dLo ^ aLo
  xh = dHi ^ aHi
  dLo = (xl >>> 16) ^ (xh << 16)
  dHi = (xh >>> 16) ^ (xl << 16)
  lo = cLo + (dLo >>> 0)
  cHi = (cHi + (dHi >>> 0) + (lo >= TWO_32 ? 1 : 0)) >>> 0
  cLo = lo >>> 0
  // b = (b ^ c) rotr 63: left 1
  xl = bLo ^ cLo
  xh = bHi ^ cHi
  bLo = (xh >>> 31) ^ (xl << 1)
  bHi = (xl >>> 31) ^ (xh << 1)
  v[a] = aLo
  v[a + 1] = aHi
  v[b] = bLo
  v[b + 1] = bHi
  v[c] = cLo
  v[c + 1] = cHi
  v[d] = dLo
  v[d + 1] = dHi
}

// Compresses the 128-byte block of `bytes` at `offset` (zero-padded past the end) into `h`.
const compress = (h: Uint32Array, bytes: Uint8Array, offset: number, counter: number, last: boolean): void => {
  const v = V
  const m = M
  v.set(h)
  v.set(IV, 16)
  v[24] = v[24]! ^ counter // counter low word (a message is far below 2^32 bytes here)
  v[25] = v[25]! ^ Math.floor(counter / TWO_32)
  if (last) {
    v[28] = ~v[28]!
    v[29] = ~v[29]!
  }
  const length = bytes.length
  for (let i = 0; i < 32; i++) {
    const o = offset + i * 4
    m[i] =
      o + 3 < length
        ? bytes[o]! | (bytes[o + 1]! << 8) | (bytes[o + 2]! << 16) | (bytes[o + 3]! << 24)
        : (o < length ? bytes[o]! : 0) |
          (o + 1 < length ? bytes[o + 1]! << 8 : 0) |
          (o + 2 < length ? bytes[o + 2]! << 16 : 0)
  }
  const s = SCHEDULE
  for (let r = 0; r < 192; r += 16) {
    mix(v, m, 0, 8, 16, 24, s[r]!, s[r + 1]!)
    mix(v, m, 2, 10, 18, 26, s[r + 2]!, s[r + 3]!)
    mix(v, m, 4, 12, 20, 28, s[r + 4]!, s[r + 5]!)
    mix(v, m, 6, 14, 22, 30, s[r + 6]!, s[r + 7]!)
    mix(v, m, 0, 10, 20, 30, s[r + 8]!, s[r + 9]!)
    mix(v, m, 2, 12, 22, 24, s[r + 10]!, s[r + 11]!)
    mix(v, m, 4, 14, 16, 26, s[r + 12]!, s[r + 13]!)
    mix(v, m, 6, 8, 18, 28, s[r + 14]!, s[r + 15]!)
  }
  for (let i = 0; i < 16; i++) h[i] = h[i]! ^ v[i]! ^ v[i + 16]!
}

/** Encodes a string as UTF-8 bytes (lone surrogates become U+FFFD, as `TextEncoder` does). */
export const utf8 = (input: string): Uint8Array => {
  const ascii = new Uint8Array(input.length)
  let i = 0
  for (; i < input.length; i++) {
    const code = input.charCodeAt(i)
    if (code >= 0x80) break
    ascii[i] = code
  }
  if (i === input.length) return ascii
  const out: Array<number> = []
  for (let i = 0; i < input.length; i++) {
    let code = input.charCodeAt(i)
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < input.length) {
      const low = input.charCodeAt(i + 1)
      if (low >= 0xdc00 && low <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00)
        i++
      }
    }
    if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd
    if (code < 0x80) out.push(code)
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 63))
    else if (code < 0x10000) out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63))
    else out.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63))
  }
  return Uint8Array.from(out)
}

/**
 * The unkeyed BLAKE2b digest of `input` (a string is hashed as UTF-8), `digestBytes` long (1 to 64),
 * as lowercase hex.
 */
export const blake2bHex = (input: string | Uint8Array, digestBytes: number): string => {
  const bytes = typeof input === "string" ? utf8(input) : input
  const h = Uint32Array.from(IV)
  h[0] = h[0]! ^ 0x01010000 ^ digestBytes
  const blocks = Math.max(1, Math.ceil(bytes.length / BLOCK_BYTES))
  for (let b = 0; b < blocks; b++) {
    const last = b === blocks - 1
    compress(h, bytes, b * BLOCK_BYTES, last ? bytes.length : (b + 1) * BLOCK_BYTES, last)
  }
  let hex = ""
  for (let i = 0; i < digestBytes; i++) hex += HEX_BYTES[(h[i >> 2]! >>> (8 * (i & 3))) & 0xff]
  return hex
}
