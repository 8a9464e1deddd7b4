/**
 * The one carrier parser and its reasons (`Headers.parseCarrier`, `Checkpoint.parsePayload`) and the one
 * sanitiser (`Headers.sanitise`): each rejection named by a vector, each dropped key's reason, and the laws that
 * tie them to the reader's verdict (`fromCarrier`, `parseCheckpointPayload`).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as Checkpoint from "../src/Checkpoint.ts"
import * as Headers from "../src/Headers.ts"
import * as Untrusted from "../src/Untrusted.ts"

const TRACE = { "x-datadog-trace-id": "1", "x-datadog-parent-id": "2" }
const step = (result: unknown) => ({ Id: "x", Name: "_datadog_0", Type: "STEP", StepDetails: { Result: result } })

describe("Checkpoint.parsePayload: why a payload holds no headers", () => {
  const vectors: ReadonlyArray<readonly [string, unknown, Checkpoint.PayloadRejection]> = [
    ["noPayload_noStepDetails", { Id: "x", Name: "_datadog_0", Type: "WAIT" }, "no payload"],
    ["noPayload_nullResult", step(null), "no payload"],
    [
      "tooLarge_jsonString",
      step(JSON.stringify({ ...TRACE, pad: "a".repeat(Untrusted.MAX_PARSED_LENGTH) })),
      "too large to parse"
    ],
    ["notJson_text", step("<html>"), "not JSON"],
    ["notAnObject_jsonArray", step("[1,2]"), "not an object"],
    ["notAnObject_number", step(7), "not an object"],
    ["noHeaders_onlyDisallowed", step('{"baggage":"x"}'), "no propagation headers"],
    ["noHeaders_invalidValues", step({ "x-datadog-trace-id": "-1", traceparent: "nope" }), "no propagation headers"],
    [
      "oversize_allowlisted",
      step({
        ...TRACE,
        "x-datadog-origin": "o".repeat(256),
        "x-datadog-tags": `_dd.p.a=${"v".repeat(500)}`,
        tracestate: `a=${"b".repeat(250)},c=${"d".repeat(250)}`
      }),
      "over the size limit"
    ],
    [
      "unreadable_throwingGetter",
      step({
        get "x-datadog-trace-id"() {
          throw new Error("hostile")
        }
      }),
      "unreadable"
    ]
  ]
  for (const [name, operation, reason] of vectors) {
    it(name, () => {
      const parsed = Checkpoint.parsePayload(operation)
      assert.isTrue(Result.isFailure(parsed), name)
      if (Result.isFailure(parsed)) assert.strictEqual(parsed.failure, reason, name)
      assert.isTrue(Option.isNone(Checkpoint.parseCheckpointPayload(operation)), `${name}: the reader rejects it too`)
    })
  }

  it("a valid payload, string or object, in StepDetails.Result or Payload", () => {
    for (const operation of [
      step(JSON.stringify(TRACE)),
      step(TRACE),
      { Name: "_datadog_0", Payload: JSON.stringify(TRACE) }
    ]) {
      const parsed = Checkpoint.parsePayload(operation)
      assert.isTrue(Result.isSuccess(parsed))
      assert.deepStrictEqual(
        Option.getOrUndefined(Checkpoint.parseCheckpointPayload(operation)),
        Result.getOrUndefined(parsed)
      )
    }
  })
})

describe("Headers.sanitise: every key kept or dropped, and why", () => {
  it("names each dropped key's reason", () => {
    const sanitised = Headers.sanitise({
      "X-Datadog-Trace-Id": "1",
      "x-datadog-trace-id": "2",
      "x-datadog-parent-id": "0",
      baggage: "user=1",
      ["__proto__"]: "x",
      traceparent: 5
    })
    assert.deepStrictEqual(sanitised.kept, ["X-Datadog-Trace-Id"])
    assert.deepStrictEqual(sanitised.dropped, [
      { key: "x-datadog-trace-id", why: "duplicate" },
      { key: "x-datadog-parent-id", why: "invalid value" },
      { key: "baggage", why: "not allowed" },
      { key: "__proto__", why: "not allowed" },
      { key: "traceparent", why: "invalid value" }
    ])
    assert.deepStrictEqual({ ...Result.getOrUndefined(sanitised.headers) }, { "x-datadog-trace-id": "1" })
  })

  it("an invalid first spelling does not shadow a valid later one", () => {
    const sanitised = Headers.sanitise({
      TRACEPARENT: "bad",
      traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    })
    assert.deepStrictEqual(sanitised.kept, ["traceparent"])
    assert.deepStrictEqual(sanitised.dropped, [{ key: "TRACEPARENT", why: "invalid value" }])
  })

  it("kept keys can still leave no headers: over the size limit", () => {
    const sanitised = Headers.sanitise({
      ...TRACE,
      "x-datadog-origin": "o".repeat(256),
      "x-datadog-tags": `_dd.p.a=${"v".repeat(500)}`,
      tracestate: `a=${"b".repeat(250)},c=${"d".repeat(250)}`
    })
    assert.strictEqual(sanitised.dropped.length, 0)
    assert.deepStrictEqual(sanitised.headers, Result.fail("over the size limit"))
  })

  it("not an object: nothing kept, nothing dropped", () => {
    for (const value of [undefined, null, 3, "x", [TRACE]]) {
      assert.deepStrictEqual(Headers.sanitise(value), {
        kept: [],
        dropped: [],
        headers: Result.fail("not an object" as const)
      })
    }
  })

  const key = Schema.Union([
    Schema.Literals([
      ...Headers.PAYLOAD_KEYS,
      "X-Datadog-Trace-Id",
      "TRACEPARENT",
      "Tracestate",
      "baggage",
      "__proto__"
    ]),
    Schema.String
  ])
  const value = Schema.Union([
    Schema.Literals([
      "1",
      "18446744073709551615",
      "0",
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
      "dd=s:1"
    ]),
    Schema.String,
    Schema.Number,
    Schema.Null
  ])
  const carrier = Arbitrary.schema(Schema.Record(key, value))

  it.prop("kept ∪ dropped = the carrier's own keys, disjoint, in order", { carrier }, ({ carrier }) => {
    const { kept, dropped } = Headers.sanitise(carrier)
    const droppedKeys = dropped.map((d) => d.key)
    assert.deepStrictEqual([...kept, ...droppedKeys].sort(), Object.keys(carrier).sort())
    assert.isTrue(kept.every((k) => !droppedKeys.includes(k)))
    assert.strictEqual(new Set(kept.map((k) => k.toLowerCase())).size, kept.length, "one kept spelling per header")
  })

  it.prop("the reader's verdict is the sanitiser's: same headers, same reason", { carrier }, ({ carrier }) => {
    const { kept, headers } = Headers.sanitise(carrier)
    assert.deepStrictEqual(Headers.parseCarrier(carrier), headers)
    assert.deepStrictEqual(Headers.parseCarrier(JSON.stringify(carrier)), headers)
    assert.deepStrictEqual(Headers.fromCarrier(carrier), Result.getSuccess(headers))
    if (Result.isSuccess(headers)) {
      assert.deepStrictEqual(Object.keys(headers.success).sort(), kept.map((k) => k.toLowerCase()).sort())
    } else {
      assert.strictEqual(headers.failure === "no propagation headers", kept.length === 0)
    }
  })
})
