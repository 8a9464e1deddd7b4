/**
 * Whole-execution sampling (SPEC §11): the ratio decision is a pure function of the execution ARN, and the
 * decision a propagated context carries is read from Datadog's priority, else W3C's sampled flag.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Sampling from "../src/Sampling.ts"
import { ARN, ddHeaders, EXECUTE_SPAN_ID } from "./fixtures.ts"

const arn = Arbitrary.schema(Schema.String)
const ratio = Arbitrary.schema(Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 })))

describe("Sampling laws", () => {
  it.prop("always on keeps and always off drops every execution", { arn }, ({ arn }) => {
    assert.isTrue(Sampling.keep(arn, 1))
    assert.isFalse(Sampling.keep(arn, 0))
  })
  it.prop("the decision is a function of the ARN: every invocation agrees", { arn, ratio }, ({ arn, ratio }) => {
    assert.strictEqual(Sampling.keep(arn, ratio), Sampling.keep(`${arn}`, ratio))
  })
  it.prop("monotone: kept at a ratio, kept at every higher one", { arn, a: ratio, b: ratio }, ({ arn, a, b }) => {
    const [low, high] = a <= b ? [a, b] : [b, a]
    if (Sampling.keep(arn, low)) assert.isTrue(Sampling.keep(arn, high))
  })
  it.prop("the execution's point is in [0, 1)", { arn }, ({ arn }) => {
    const point = Sampling.executionPoint(arn)
    assert.isTrue(point >= 0 && point < 1)
  })
})

describe("Sampling", () => {
  it("keeps about the ratio of many executions", () => {
    let kept = 0
    for (let i = 0; i < 10_000; i++) if (Sampling.keep(`${ARN.slice(0, -6)}${i.toString(16)}`, 0.3)) kept++
    assert.isTrue(kept > 2_700 && kept < 3_300, `kept ${kept} of 10000 at 0.3`)
  })

  it("parses ratios", () => {
    const cases: ReadonlyArray<[string, unknown, Option.Option<number>]> = [
      ["zero", "0", Option.some(0)],
      ["one", "1", Option.some(1)],
      ["a fraction with spaces", " 0.25 ", Option.some(0.25)],
      ["a number", 0.5, Option.some(0.5)],
      ["above one", "1.5", Option.none()],
      ["negative", "-0.1", Option.none()],
      ["not a number", "half", Option.none()],
      ["empty", "", Option.none()],
      ["undefined", undefined, Option.none()]
    ]
    for (const [name, value, expected] of cases) assert.deepStrictEqual(Sampling.parseRatio(value), expected, name)
  })

  it("reads the decision a context carries", () => {
    const cases: ReadonlyArray<[string, Record<string, string>, Option.Option<boolean>]> = [
      ["Datadog keep", ddHeaders(EXECUTE_SPAN_ID, "2"), Option.some(true)],
      ["Datadog auto keep", ddHeaders(EXECUTE_SPAN_ID, "1"), Option.some(true)],
      ["Datadog reject", ddHeaders(EXECUTE_SPAN_ID, "-1"), Option.some(false)],
      ["Datadog auto reject", ddHeaders(EXECUTE_SPAN_ID, "0"), Option.some(false)],
      ["W3C sampled", { traceparent: `00-${"1".repeat(32)}-${"2".repeat(16)}-01` }, Option.some(true)],
      ["W3C not sampled", { traceparent: `00-${"1".repeat(32)}-${"2".repeat(16)}-00` }, Option.some(false)],
      ["neither", { "x-datadog-trace-id": "1", "x-datadog-parent-id": "2" }, Option.none()]
    ]
    for (const [name, headers, expected] of cases) assert.deepStrictEqual(Sampling.decisionOf(headers), expected, name)
  })
})
