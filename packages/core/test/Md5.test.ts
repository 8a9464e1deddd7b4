import { assert, describe, it } from "@effect/vitest"
import { md5Hex } from "../src/Md5.ts"

// RFC 1321 §A.5, then block boundaries (55, 56, 64 bytes pad differently), multi-byte UTF-8 and several blocks
// (the last five computed with node:crypto).
const VECTORS: ReadonlyArray<readonly [string, string, string]> = [
  ["empty", "", "d41d8cd98f00b204e9800998ecf8427e"],
  ["a", "a", "0cc175b9c0f1b6a831c399e269772661"],
  ["abc", "abc", "900150983cd24fb0d6963f7d28e17f72"],
  ["message digest", "message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
  ["alphabet", "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
  [
    "80 digits",
    "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
    "57edf4a22be3c955ac49da2e2107b67a"
  ],
  ["55 bytes", "x".repeat(55), "04364420e25c512fd958a70738aa8f72"],
  ["56 bytes", "x".repeat(56), "668a72d5ba17f08e62dabcafad6db14b"],
  ["64 bytes", "x".repeat(64), "c1bb4f81d892b2d57947682aeb252456"],
  ["multi-byte UTF-8", "héllo ✓ 𝄞", "341ed740ae2bfa1f25a442122d7fee54"],
  ["1000 bytes", "y".repeat(1000), "abf7f0c50f9f08c680c97d669f346e3c"]
]

describe("Md5", () => {
  for (const [label, input, expected] of VECTORS) {
    it(label, () => assert.strictEqual(md5Hex(input), expected, label))
  }
})
