import { assert, describe, it } from "@effect/vitest"
import * as Option from "effect/Option"
import * as DatadogHeaders from "../src/DatadogHeaders.ts"

const MAX_UINT64 = "18446744073709551615"

// Inputs every parser must turn into none without throwing.
const HOSTILE: ReadonlyArray<readonly [string, unknown]> = [
  ["undefined", undefined],
  ["null", null],
  ["number", 42],
  ["bigint", 42n],
  ["object", { toString: () => "42" }],
  ["array", ["42"]],
  ["emptyString", ""],
  ["tenKilobytes", "1".repeat(10_240)],
  ["controlCharacter", "1\u0000"],
  ["crlfInjection", "1\r\nx-evil: 1"],
  ["arabicIndicDigits", "\u0661\u0662\u0663"],
  ["fullwidthDigits", "\uff11\uff12\uff13"]
]

describe("DatadogHeaders", () => {
  describe("parseId", () => {
    const valid: ReadonlyArray<readonly [string, string, string]> = [
      ["one", "1", "1"],
      ["typical", "6151925137040936306", "6151925137040936306"],
      ["maxUint64", MAX_UINT64, MAX_UINT64],
      ["aboveMaxSafeInteger_noPrecisionLoss", "9007199254740993", "9007199254740993"],
      ["leadingZeros_canonicalised", "00000000000000000042", "42"]
    ]
    for (const [name, input, expected] of valid) {
      it(name, () => assert.deepStrictEqual(DatadogHeaders.parseId(input), Option.some(expected), name))
    }

    const invalid: ReadonlyArray<readonly [string, unknown]> = [
      ...HOSTILE,
      ["invalidId_zero", "0"],
      ["invalidId_allZeros", "00000000000000000000"],
      ["invalidId_overflow", "18446744073709551616"],
      ["invalidId_tooLong", "012345678901234567890"],
      ["invalidId_plusSign", "+1"],
      ["invalidId_minusSign", "-1"],
      ["invalidId_leadingSpace", " 1"],
      ["invalidId_trailingSpace", "1 "],
      ["invalidId_exponent", "1e3"],
      ["invalidId_decimalPoint", "1.0"],
      ["invalidId_hex", "0x1f"],
      ["invalidId_underscore", "1_000"]
    ]
    for (const [name, input] of invalid) {
      it(name, () => assert.isTrue(Option.isNone(DatadogHeaders.parseId(input)), name))
    }
  })

  describe("decimalToHex16 / hex16ToDecimal", () => {
    const pairs: ReadonlyArray<readonly [string, string, string]> = [
      ["one", "1", "0000000000000001"],
      ["maxUint64", MAX_UINT64, "ffffffffffffffff"],
      // The W3C example ids: trace-id low 64 bits and parent-id of 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.
      ["w3cExampleTraceIdLow", "11803532876627986230", "a3ce929d0e0e4736"],
      ["w3cExampleParentId_leadingZeroHex", "67667974448284343", "00f067aa0ba902b7"]
    ]
    for (const [name, decimal, hex] of pairs) {
      it(name, () => {
        assert.deepStrictEqual(DatadogHeaders.decimalToHex16(decimal), Option.some(hex), name)
        assert.deepStrictEqual(DatadogHeaders.hex16ToDecimal(hex), Option.some(decimal), name)
      })
    }

    const invalidHex: ReadonlyArray<readonly [string, unknown]> = [
      ...HOSTILE,
      ["invalidHex_allZeros", "0000000000000000"],
      ["invalidHex_uppercase", "A3CE929D0E0E4736"],
      ["invalidHex_tooShort", "a3ce929d0e0e473"],
      ["invalidHex_tooLong", "a3ce929d0e0e47360"],
      ["invalidHex_nonHex", "a3ce929d0e0e473g"],
      ["invalidHex_prefixed", "0xa3ce929d0e0e47"]
    ]
    for (const [name, input] of invalidHex) {
      it(name, () => assert.isTrue(Option.isNone(DatadogHeaders.hex16ToDecimal(input)), name))
    }

    it("invalidDecimal_overflow", () =>
      assert.isTrue(Option.isNone(DatadogHeaders.decimalToHex16("18446744073709551616")), "invalidDecimal_overflow"))
  })

  describe("parseSamplingPriority", () => {
    const valid: ReadonlyArray<readonly [string, string, number]> = [
      ["userReject", "-1", -1],
      ["autoReject", "0", 0],
      ["autoKeep", "1", 1],
      ["userKeep", "2", 2],
      ["negativeZero_canonicalised", "-0", 0],
      ["threeDigits", "100", 100]
    ]
    for (const [name, input, expected] of valid) {
      it(name, () => assert.deepStrictEqual(DatadogHeaders.parseSamplingPriority(input), Option.some(expected), name))
    }
    it("negativeZero_formatsAsZero", () =>
      assert.strictEqual(String(Option.getOrThrow(DatadogHeaders.parseSamplingPriority("-0"))), "0"))

    const invalid: ReadonlyArray<readonly [string, unknown]> = [
      ...HOSTILE,
      ["invalidPriority_fourDigits", "1000"],
      ["invalidPriority_plusSign", "+1"],
      ["invalidPriority_float", "1.5"],
      ["invalidPriority_space", " 1"],
      ["invalidPriority_word", "keep"]
    ]
    for (const [name, input] of invalid) {
      it(name, () => assert.isTrue(Option.isNone(DatadogHeaders.parseSamplingPriority(input)), name))
    }
  })

  describe("parseOrigin", () => {
    for (const origin of ["rum", "synthetics-browser", "lambda", "a b", "a=b;c~d"]) {
      it(`valid ${origin}`, () => assert.deepStrictEqual(DatadogHeaders.parseOrigin(origin), Option.some(origin)))
    }
    const invalid: ReadonlyArray<readonly [string, unknown]> = [
      ...HOSTILE.filter(([name]) => name !== "arabicIndicDigits" && name !== "fullwidthDigits"),
      ["invalidOrigin_comma", "rum,synthetics"],
      ["invalidOrigin_leadingSpace", " rum"],
      ["invalidOrigin_trailingSpace", "rum "],
      ["invalidOrigin_tab", "r\tum"],
      ["invalidOrigin_nonAscii", "r\u00fcm"],
      ["invalidOrigin_tooLong", "r".repeat(257)]
    ]
    for (const [name, input] of invalid) {
      it(name, () => assert.isTrue(Option.isNone(DatadogHeaders.parseOrigin(input)), name))
    }
  })

  describe("parseTags", () => {
    const tid = "_dd.p.tid=640cfd8d00000000"
    const cases: ReadonlyArray<readonly [string, string, Option.Option<string>]> = [
      ["ddTraceDefault", `${tid},_dd.p.dm=-0`, Option.some(`${tid},_dd.p.dm=-0`)],
      ["valueWithEquals", "_dd.p.usr=a=b", Option.some("_dd.p.usr=a=b")],
      ["nonPropagatedDropped", `${tid},team=core,_dd.p.dm=-0`, Option.some(`${tid},_dd.p.dm=-0`)],
      ["baggageDropped", "ot-baggage-user=alice,_dd.p.dm=-4", Option.some("_dd.p.dm=-4")],
      ["entryWithoutEqualsDropped", "_dd.p.dm,_dd.p.x=1", Option.some("_dd.p.x=1")],
      ["emptyValueDropped", "_dd.p.dm=,_dd.p.x=1", Option.some("_dd.p.x=1")],
      ["duplicateKey_firstWins", "_dd.p.dm=-0,_dd.p.dm=-4", Option.some("_dd.p.dm=-0")],
      ["invalidTid_uppercase_dropped", "_dd.p.tid=640CFD8D00000000,_dd.p.dm=-0", Option.some("_dd.p.dm=-0")],
      ["invalidTid_short_dropped", "_dd.p.tid=640cfd8d,_dd.p.dm=-0", Option.some("_dd.p.dm=-0")],
      ["invalidTid_zero_dropped", "_dd.p.tid=0000000000000000", Option.none()],
      ["controlCharacterEntryDropped", "_dd.p.x=a\nb,_dd.p.dm=-0", Option.some("_dd.p.dm=-0")],
      ["nonAsciiEntryDropped", "_dd.p.x=\u00e9,_dd.p.dm=-0", Option.some("_dd.p.dm=-0")],
      ["onlyInvalid", "team=core", Option.none()],
      ["exactlyMaxBytes", `_dd.p.x=${"a".repeat(504)}`, Option.some(`_dd.p.x=${"a".repeat(504)}`)],
      ["overMaxBytes", `_dd.p.x=${"a".repeat(505)}`, Option.none()],
      ["overMaxBytes_multibyte", `_dd.p.dm=-0,_dd.p.y=${"\u00e9".repeat(250)}`, Option.none()],
      ["overMaxBytes_surrogatePairs", `_dd.p.dm=-0,_dd.p.y=${"\u{1f600}".repeat(130)}`, Option.none()]
    ]
    for (const [name, input, expected] of cases) {
      it(name, () =>
        assert.deepStrictEqual(Option.map(DatadogHeaders.parseTags(input), DatadogHeaders.formatTags), expected, name)
      )
    }
    for (const [name, input] of HOSTILE) {
      it(name, () => assert.isTrue(Option.isNone(DatadogHeaders.parseTags(input)), name))
    }
  })
})
