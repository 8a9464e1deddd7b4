import { assert, describe, it } from "@effect/vitest"
import * as Option from "effect/Option"
import * as Traceparent from "../src/Traceparent.ts"

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const PARENT_ID = "00f067aa0ba902b7"
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`

describe("Traceparent", () => {
  describe("parse: valid", () => {
    const valid: ReadonlyArray<readonly [string, string, Traceparent.Traceparent]> = [
      ["sampled", VALID, { version: "00", traceId: TRACE_ID, parentId: PARENT_ID, flags: "01" }],
      [
        "notSampled",
        `00-${TRACE_ID}-${PARENT_ID}-00`,
        { version: "00", traceId: TRACE_ID, parentId: PARENT_ID, flags: "00" }
      ],
      [
        "unknownFlags",
        `00-${TRACE_ID}-${PARENT_ID}-09`,
        { version: "00", traceId: TRACE_ID, parentId: PARENT_ID, flags: "09" }
      ],
      [
        "futureVersion",
        `cc-${TRACE_ID}-${PARENT_ID}-01`,
        { version: "cc", traceId: TRACE_ID, parentId: PARENT_ID, flags: "01" }
      ],
      [
        "futureVersion_extraFields",
        `cc-${TRACE_ID}-${PARENT_ID}-01-what-the-future-will-be-like`,
        { version: "cc", traceId: TRACE_ID, parentId: PARENT_ID, flags: "01" }
      ]
    ]
    for (const [name, input, expected] of valid) {
      it(name, () => assert.deepStrictEqual(Traceparent.parse(input), Option.some(expected), name))
    }
  })

  describe("parse: invalid", () => {
    const invalid: ReadonlyArray<readonly [string, unknown]> = [
      ["undefined", undefined],
      ["null", null],
      ["number", 1],
      ["object", { traceparent: VALID }],
      ["emptyString", ""],
      ["tenKilobytes", `${VALID}-${"a".repeat(10_240)}`],
      ["invalidParts_tooFew", `00-${TRACE_ID}-${PARENT_ID}`],
      ["invalidParts_tooMany", `${VALID}-extra`],
      ["invalidVersion_ff", `ff-${TRACE_ID}-${PARENT_ID}-01`],
      ["invalidVersion_tooLong", `000-${TRACE_ID}-${PARENT_ID}-01`],
      ["invalidVersion_nonHex", `0g-${TRACE_ID}-${PARENT_ID}-01`],
      ["invalidTraceId_allZeros", `00-${"0".repeat(32)}-${PARENT_ID}-01`],
      ["invalidTraceId_tooShort", `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
      ["invalidTraceId_tooLong", `00-${TRACE_ID}0-${PARENT_ID}-01`],
      ["invalidTraceId_uppercase", `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`],
      ["invalidTraceId_nonHex", `00-${TRACE_ID.slice(1)}g-${PARENT_ID}-01`],
      ["invalidSpanId_allZeros", `00-${TRACE_ID}-${"0".repeat(16)}-01`],
      ["invalidSpanId_tooShort", `00-${TRACE_ID}-${PARENT_ID.slice(1)}-01`],
      ["invalidSpanId_tooLong", `00-${TRACE_ID}-${PARENT_ID}0-01`],
      ["invalidSpanId_uppercase", `00-${TRACE_ID}-${PARENT_ID.toUpperCase()}-01`],
      ["invalidFlags_tooLong", `00-${TRACE_ID}-${PARENT_ID}-011`],
      ["invalidFlags_nonHex", `00-${TRACE_ID}-${PARENT_ID}-0x`],
      ["invalidFutureVersion_noDashAfterFlags", `cc-${TRACE_ID}-${PARENT_ID}-01.what`],
      ["invalidFutureVersion_controlCharacter", `cc-${TRACE_ID}-${PARENT_ID}-01-\u0000`],
      ["invalidFutureVersion_badTraceId", `cc-${"0".repeat(32)}-${PARENT_ID}-01`],
      ["invalidSurroundingWhitespace", ` ${VALID} `],
      ["invalidCrlf", `${VALID}\r\n`],
      ["invalidFullwidthDigits", `\uff10\uff10-${TRACE_ID}-${PARENT_ID}-01`],
      ["invalidArabicIndicDigits", `\u0660\u0660-${TRACE_ID}-${PARENT_ID}-01`]
    ]
    for (const [name, input] of invalid) {
      it(name, () => assert.isTrue(Option.isNone(Traceparent.parse(input)), name))
    }
  })

  describe("format", () => {
    it("roundTrip_canonical", () =>
      assert.deepStrictEqual(Option.map(Traceparent.parse(VALID), Traceparent.format), Option.some(VALID)))
    it("futureVersion_dropsExtraFields", () =>
      assert.deepStrictEqual(
        Option.map(Traceparent.parse(`cc-${TRACE_ID}-${PARENT_ID}-01-extra`), Traceparent.format),
        Option.some(`cc-${TRACE_ID}-${PARENT_ID}-01`)
      ))
  })
})
