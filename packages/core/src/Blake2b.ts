/**
 * BLAKE2b (RFC 7693) with a variable digest length, in pure TypeScript so `core` needs nothing but `effect`.
 * It derives checkpoint operation ids: Datadog's Python writer uses `blake2b(digest_size=16)`, so the same
 * input gives the same id here. Runs once per checkpoint write, never on the read path, so it favours
 * clarity (BigInt words) over speed.
 */

const MASK_64 = (1n << 64n) - 1n

const IV: ReadonlyArray<bigint> = [
  0x6a09e667f3bcc908n,
  0xbb67ae8584caa73bn,
  0x3c6ef372fe94f82bn,
  0xa54ff53a5f1d36f1n,
  0x510e527fade682d1n,
  0x9b05688c2b3e6c1fn,
  0x1f83d9abfb41bd6bn,
  0x5be0cd19137e2179n
]

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

const rotr = (x: bigint, n: bigint): bigint => ((x >> n) | (x << (64n - n))) & MASK_64

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

const readWord = (block: Uint8Array, offset: number): bigint => {
  let word = 0n
  for (let i = 7; i >= 0; i--) word = (word << 8n) | BigInt(block[offset + i] ?? 0)
  return word
}

const compress = (h: Array<bigint>, block: Uint8Array, counter: bigint, last: boolean): void => {
  const m = Array.from({ length: 16 }, (_, i) => readWord(block, i * 8))
  const v = [...h, ...IV]
  v[12] = v[12]! ^ (counter & MASK_64)
  v[13] = v[13]! ^ (counter >> 64n)
  if (last) v[14] = v[14]! ^ MASK_64
  const mix = (a: number, b: number, c: number, d: number, x: bigint, y: bigint): void => {
    v[a] = (v[a]! + v[b]! + x) & MASK_64
    v[d] = rotr(v[d]! ^ v[a]!, 32n)
    v[c] = (v[c]! + v[d]!) & MASK_64
    v[b] = rotr(v[b]! ^ v[c]!, 24n)
    v[a] = (v[a]! + v[b]! + y) & MASK_64
    v[d] = rotr(v[d]! ^ v[a]!, 16n)
    v[c] = (v[c]! + v[d]!) & MASK_64
    v[b] = rotr(v[b]! ^ v[c]!, 63n)
  }
  for (let round = 0; round < 12; round++) {
    const s = SIGMA[round % 10]!
    mix(0, 4, 8, 12, m[s[0]!]!, m[s[1]!]!)
    mix(1, 5, 9, 13, m[s[2]!]!, m[s[3]!]!)
    mix(2, 6, 10, 14, m[s[4]!]!, m[s[5]!]!)
    mix(3, 7, 11, 15, m[s[6]!]!, m[s[7]!]!)
    mix(0, 5, 10, 15, m[s[8]!]!, m[s[9]!]!)
    mix(1, 6, 11, 12, m[s[10]!]!, m[s[11]!]!)
    mix(2, 7, 8, 13, m[s[12]!]!, m[s[13]!]!)
    mix(3, 4, 9, 14, m[s[14]!]!, m[s[15]!]!)
  }
  for (let i = 0; i < 8; i++) h[i] = h[i]! ^ v[i]! ^ v[i + 8]!
}

/**
 * The unkeyed BLAKE2b digest of `input` (a string is hashed as UTF-8), `digestBytes` long (1 to 64),
 * as lowercase hex.
 */
export const blake2bHex = (input: string | Uint8Array, digestBytes: number): string => {
  const bytes = typeof input === "string" ? utf8(input) : input
  const h = [...IV]
  h[0] = h[0]! ^ (0x01010000n | BigInt(digestBytes))
  const blocks = Math.max(1, Math.ceil(bytes.length / BLOCK_BYTES))
  for (let b = 0; b < blocks; b++) {
    const block = new Uint8Array(BLOCK_BYTES)
    block.set(bytes.subarray(b * BLOCK_BYTES, (b + 1) * BLOCK_BYTES))
    const last = b === blocks - 1
    compress(h, block, BigInt(last ? bytes.length : (b + 1) * BLOCK_BYTES), last)
  }
  let hex = ""
  for (let i = 0; i < digestBytes; i++) {
    const byte = Number((h[i >> 3]! >> BigInt(8 * (i & 7))) & 0xffn)
    hex += byte.toString(16).padStart(2, "0")
  }
  return hex
}
