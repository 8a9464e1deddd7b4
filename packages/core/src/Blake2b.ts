/**
 * BLAKE2b (RFC 7693) with a variable digest length, in pure TypeScript so `core` needs nothing but `effect`.
 * It derives checkpoint operation ids: Datadog's Python writer uses `blake2b(digest_size=16)`, so the same
 * input gives the same id here. Runs once per checkpoint write, never on the read path. 64-bit words are pairs
 * of 32-bit ones (BigInt words measured 7x slower: 119 vs 17 µs per id).
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
const TWO_32 = 0x100000000

// v[a] += v[b], 64-bit, on word pairs (a Uint32Array wraps each word on store).
const add = (v: Uint32Array, a: number, b: number): void => {
  const lo = v[a]! + v[b]!
  v[a] = lo
  v[a + 1] = v[a + 1]! + v[b + 1]! + (lo >= TWO_32 ? 1 : 0)
}

// v[a] += m[i], 64-bit.
const addMessage = (v: Uint32Array, a: number, m: Uint32Array, i: number): void => {
  const lo = v[a]! + m[i]!
  v[a] = lo
  v[a + 1] = v[a + 1]! + m[i + 1]! + (lo >= TWO_32 ? 1 : 0)
}

// The mixing function G over word-pair indices a, b, c, d and message words x, y (RFC 7693 §3.1).
const mix = (v: Uint32Array, m: Uint32Array, a: number, b: number, c: number, d: number, x: number, y: number) => {
  add(v, a, b)
  addMessage(v, a, m, x)
  let lo = v[d]! ^ v[a]!
  let hi = v[d + 1]! ^ v[a + 1]!
  v[d] = hi // rotate right 32: swap halves
  v[d + 1] = lo
  add(v, c, d)
  lo = v[b]! ^ v[c]!
  hi = v[b + 1]! ^ v[c + 1]!
  v[b] = (lo >>> 24) ^ (hi << 8) // rotate right 24
  v[b + 1] = (hi >>> 24) ^ (lo << 8)
  add(v, a, b)
  addMessage(v, a, m, y)
  lo = v[d]! ^ v[a]!
  hi = v[d + 1]! ^ v[a + 1]!
  v[d] = (lo >>> 16) ^ (hi << 16) // rotate right 16
  v[d + 1] = (hi >>> 16) ^ (lo << 16)
  add(v, c, d)
  lo = v[b]! ^ v[c]!
  hi = v[b + 1]! ^ v[c + 1]!
  v[b] = (hi >>> 31) ^ (lo << 1) // rotate right 63: left 1
  v[b + 1] = (lo >>> 31) ^ (hi << 1)
}

const compress = (h: Uint32Array, block: Uint8Array, counter: number, last: boolean): void => {
  const v = new Uint32Array(32)
  const m = new Uint32Array(32)
  v.set(h)
  v.set(IV, 16)
  v[24] = v[24]! ^ counter // counter low word (a message is far below 2^32 bytes here)
  v[25] = v[25]! ^ Math.floor(counter / TWO_32)
  if (last) {
    v[28] = ~v[28]!
    v[29] = ~v[29]!
  }
  for (let i = 0; i < 32; i++) {
    const o = i * 4
    m[i] = block[o]! | (block[o + 1]! << 8) | (block[o + 2]! << 16) | (block[o + 3]! << 24)
  }
  for (let round = 0; round < 12; round++) {
    const s = SIGMA[round % 10]!
    mix(v, m, 0, 8, 16, 24, s[0]! * 2, s[1]! * 2)
    mix(v, m, 2, 10, 18, 26, s[2]! * 2, s[3]! * 2)
    mix(v, m, 4, 12, 20, 28, s[4]! * 2, s[5]! * 2)
    mix(v, m, 6, 14, 22, 30, s[6]! * 2, s[7]! * 2)
    mix(v, m, 0, 10, 20, 30, s[8]! * 2, s[9]! * 2)
    mix(v, m, 2, 12, 22, 24, s[10]! * 2, s[11]! * 2)
    mix(v, m, 4, 14, 16, 26, s[12]! * 2, s[13]! * 2)
    mix(v, m, 6, 8, 18, 28, s[14]! * 2, s[15]! * 2)
  }
  for (let i = 0; i < 16; i++) h[i] = h[i]! ^ v[i]! ^ v[i + 16]!
}

/** Encodes a string as UTF-8 bytes (lone surrogates become U+FFFD, as `TextEncoder` does). */
export const utf8 = (input: string): Uint8Array => {
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
  const block = new Uint8Array(BLOCK_BYTES)
  for (let b = 0; b < blocks; b++) {
    block.fill(0)
    block.set(bytes.subarray(b * BLOCK_BYTES, (b + 1) * BLOCK_BYTES))
    const last = b === blocks - 1
    compress(h, block, last ? bytes.length : (b + 1) * BLOCK_BYTES, last)
  }
  let hex = ""
  for (let i = 0; i < digestBytes; i++) {
    const byte = (h[i >> 2]! >>> (8 * (i & 3))) & 0xff
    hex += byte.toString(16).padStart(2, "0")
  }
  return hex
}
