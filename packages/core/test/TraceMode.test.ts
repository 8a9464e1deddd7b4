/**
 * Trace modes (SPEC §11): linked checkpoints keep the anchor's context and name the previous invocation in one
 * tracestate member; the invocation span's start follows from the mode, the checkpoint and the ratio.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Headers from "../src/Headers.ts"
import * as Sampling from "../src/Sampling.ts"
import * as TraceMode from "../src/TraceMode.ts"
import { ARN, ddHeaders, ddJsPayload, EXECUTE_SPAN_HEX, EXECUTE_SPAN_ID, TRACE_ID_HIGH } from "./fixtures.ts"

const ANCHOR = ddHeaders(EXECUTE_SPAN_ID)
const ANCHOR_TRACE = Option.getOrThrow(Headers.traceIdHex(ANCHOR))
const PREVIOUS: TraceMode.SpanRef = { traceId: `${TRACE_ID_HIGH}00000000000000aa`, spanId: "00000000000000bb" }
/** What invocation 2's execute span injects: its own trace. */
const invocation = (ref: TraceMode.SpanRef) => ({
  traceparent: `00-${ref.traceId}-${ref.spanId}-01`,
  "x-datadog-trace-id": BigInt(`0x${ref.traceId.slice(16)}`).toString(10),
  "x-datadog-parent-id": BigInt(`0x${ref.spanId}`).toString(10),
  "x-datadog-sampling-priority": "1"
})
const hex = (length: number) =>
  Arbitrary.schema(Schema.String.check(Schema.isPattern(new RegExp(`^[0-9a-f]{${length}}$`))))

describe("TraceMode", () => {
  it("parses modes", () => {
    assert.deepStrictEqual(TraceMode.parseMode(" Linked "), Option.some("linked"))
    assert.deepStrictEqual(TraceMode.parseMode("continuous"), Option.some("continuous"))
    assert.deepStrictEqual(TraceMode.parseMode("chained"), Option.none())
    assert.deepStrictEqual(TraceMode.parseMode(undefined), Option.none())
  })

  it("a linked checkpoint is the anchor's context naming the previous invocation", () => {
    const written = TraceMode.linkedCheckpoint(ANCHOR, invocation(PREVIOUS))
    assert.strictEqual(written["x-datadog-parent-id"], EXECUTE_SPAN_ID, "the anchor is kept")
    assert.strictEqual(written["x-datadog-trace-id"], ANCHOR["x-datadog-trace-id"], "the anchor's trace is kept")
    assert.deepStrictEqual(TraceMode.previousOf(written), Option.some(PREVIOUS))
    assert.strictEqual(
      written.tracestate,
      `dd=t.dm:-0;t.tid:${TRACE_ID_HIGH};s:1;p:${EXECUTE_SPAN_HEX},durabletrace=l:${PREVIOUS.traceId}-${PREVIOUS.spanId},othervendor=keep`,
      "dd= stays leftmost, other vendors are kept"
    )
    assert.isTrue(Headers.isWrittenCarrier(written), "still a valid checkpoint payload")
    assert.deepStrictEqual(Headers.fromCarrier(written), Option.some(written), "survives sanitising unchanged")
  })

  it("the first invocation's own save is continuous mode's", () => {
    assert.strictEqual(TraceMode.linkedCheckpoint(ANCHOR, ANCHOR), ANCHOR)
  })

  it("a checkpoint without traceparent cannot name the previous invocation", () => {
    const datadogOnly = ddJsPayload(EXECUTE_SPAN_ID)
    assert.strictEqual(TraceMode.linkedCheckpoint(datadogOnly, invocation(PREVIOUS)), datadogOnly)
  })

  it.prop("withPrevious then previousOf gives the ids back", { t: hex(32), s: hex(16) }, ({ t, s }) => {
    const ref = { traceId: t, spanId: s }
    const expected = /^0+$/.test(t) || /^0+$/.test(s) ? Option.none() : Option.some(ref)
    assert.deepStrictEqual(TraceMode.previousOf(TraceMode.withPrevious(ANCHOR, ref)), expected)
  })

  it.prop("naming a previous invocation never moves the anchor", { t: hex(32), s: hex(16) }, ({ t, s }) => {
    const written = TraceMode.withPrevious(ANCHOR, { traceId: t, spanId: s })
    assert.deepStrictEqual(Headers.parentId(written), Headers.parentId(ANCHOR))
    assert.deepStrictEqual(Headers.traceIdHex(written), Headers.traceIdHex(ANCHOR))
  })

  it("links: the anchor, and the previous invocation (the anchor itself for the second invocation)", () => {
    assert.deepStrictEqual(TraceMode.linksOf(ANCHOR, true), [
      { role: "anchor", traceId: ANCHOR_TRACE, spanId: EXECUTE_SPAN_HEX, sampled: true },
      { role: "previous", traceId: ANCHOR_TRACE, spanId: EXECUTE_SPAN_HEX, sampled: true }
    ])
    const third = TraceMode.withPrevious(ANCHOR, PREVIOUS)
    assert.deepStrictEqual(TraceMode.linksOf(third, false)[1], { role: "previous", ...PREVIOUS, sampled: false })
  })

  it("the start of an invocation span", () => {
    const checkpoint = Option.some(ANCHOR)
    const base = { executionArn: ARN, sampleRatio: undefined }
    const cases: ReadonlyArray<[string, Parameters<typeof TraceMode.invocationStart>[0], TraceMode.InvocationStart]> = [
      [
        "continuous, resumed: continue the checkpoint",
        { ...base, mode: "continuous", checkpoint, continued: true },
        { root: false, links: [], samplingPriority: undefined }
      ],
      [
        "linked, resumed: a new trace with the checkpoint's decision",
        { ...base, mode: "linked", checkpoint, continued: true },
        { root: true, links: TraceMode.linksOf(ANCHOR, true), samplingPriority: Sampling.USER_KEEP }
      ],
      [
        "linked, resumed, dropped: the drop carries over",
        { ...base, mode: "linked", checkpoint: Option.some(ddHeaders(EXECUTE_SPAN_ID, "-1")), continued: true },
        {
          root: true,
          links: TraceMode.linksOf(ddHeaders(EXECUTE_SPAN_ID, "-1"), false),
          samplingPriority: Sampling.USER_REJECT
        }
      ],
      [
        "linked, first: continue the caller as continuous mode does",
        { ...base, mode: "linked", checkpoint: Option.none(), continued: true },
        { root: false, links: [], samplingPriority: undefined }
      ],
      [
        "first, nothing to continue, ratio 0: a dropped root",
        { ...base, sampleRatio: 0, mode: "continuous", checkpoint: Option.none(), continued: false },
        { root: true, links: [], samplingPriority: Sampling.USER_REJECT }
      ],
      [
        "first, nothing to continue, no ratio: the tracer decides",
        { ...base, mode: "continuous", checkpoint: Option.none(), continued: false },
        { root: false, links: [], samplingPriority: undefined }
      ],
      [
        "a continued caller's decision wins over the ratio",
        { ...base, sampleRatio: 0, mode: "continuous", checkpoint: Option.none(), continued: true },
        { root: false, links: [], samplingPriority: undefined }
      ]
    ]
    for (const [name, input, expected] of cases)
      assert.deepStrictEqual(TraceMode.invocationStart(input), expected, name)
  })
})
