/**
 * MD5 (RFC 1321), in pure TypeScript so `core` needs nothing but `effect`. Not for security: the durable SDK
 * names its operations on the wire by the first 16 hex of an MD5, and Datadog's JS writer goes through the SDK,
 * so recognising that writer's checkpoint ids (SPEC §2) needs the same digest. Runs only for a `_datadog_{N}`
 * operation whose id has the SDK's 16-hex shape, never for other operations.
 */
import { utf8 } from "./Blake2b.ts"

// Per-round left rotations and the sine-derived constants of RFC 1321 §3.4.
const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21]
const K = Uint32Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 0x100000000))

const rotl = (x: number, c: number): number => (x << c) | (x >>> (32 - c))

/** The MD5 digest of `input` (a string is hashed as UTF-8), as 32 lowercase hex. */
export const md5Hex = (input: string | Uint8Array): string => {
  const bytes = typeof input === "string" ? utf8(input) : input
  const padded = new Uint8Array((((bytes.length + 8) >> 6) + 1) * 64)
  padded.set(bytes)
  padded[bytes.length] = 0x80
  const view = new DataView(padded.buffer)
  const bits = bytes.length * 8
  view.setUint32(padded.length - 8, bits >>> 0, true)
  view.setUint32(padded.length - 4, Math.floor(bits / 0x100000000), true)
  let a0 = 0x67452301
  let b0 = 0xefcdab89
  let c0 = 0x98badcfe
  let d0 = 0x10325476
  const m = new Uint32Array(16)
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let i = 0; i < 16; i++) m[i] = view.getUint32(offset + i * 4, true)
    let a = a0
    let b = b0
    let c = c0
    let d = d0
    for (let i = 0; i < 64; i++) {
      let f: number
      let g: number
      if (i < 16) {
        f = (b & c) | (~b & d)
        g = i
      } else if (i < 32) {
        f = (d & b) | (~d & c)
        g = (5 * i + 1) & 15
      } else if (i < 48) {
        f = b ^ c ^ d
        g = (3 * i + 5) & 15
      } else {
        f = c ^ (b | ~d)
        g = (7 * i) & 15
      }
      const next = d
      d = c
      c = b
      b = (b + rotl((a + f + K[i]! + m[g]!) | 0, SHIFTS[(i >> 4) * 4 + (i & 3)]!)) | 0
      a = next
    }
    a0 = (a0 + a) | 0
    b0 = (b0 + b) | 0
    c0 = (c0 + c) | 0
    d0 = (d0 + d) | 0
  }
  let hex = ""
  for (const word of [a0, b0, c0, d0]) {
    for (let i = 0; i < 4; i++) hex += ((word >>> (8 * i)) & 0xff).toString(16).padStart(2, "0")
  }
  return hex
}
