import { assert, describe, it } from "@effect/vitest"
import * as Option from "effect/Option"
import * as Headers from "../src/Headers.ts"

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const TRACE_ID_LOW_DECIMAL = "11803532876627986230"
const TID = "4bf92f3577b34da6"
const PARENT = "00f067aa0ba902b7"
const PARENT_DECIMAL = "67667974448284343"
const ANCHOR = "a3ce929d0e0e4736"
const ANCHOR_DECIMAL = "11803532876627986230"
const TRACEPARENT = `00-${TRACE_ID}-${PARENT}-01`

// What dd-trace injects by default (SPEC §8), plus baggage that must never be kept.
const DD_TRACE_INJECTED = {
  "x-datadog-trace-id": TRACE_ID_LOW_DECIMAL,
  "x-datadog-parent-id": PARENT_DECIMAL,
  "x-datadog-sampling-priority": "1",
  "x-datadog-tags": `_dd.p.tid=${TID},_dd.p.dm=-0`,
  traceparent: TRACEPARENT,
  tracestate: `dd=t.dm:-0;t.tid:${TID};s:1;p:${PARENT}`,
  baggage: "user.id=alice",
  "ot-baggage-user": "alice"
}
const { baggage: _b, "ot-baggage-user": _o, ...KEPT } = DD_TRACE_INJECTED

const some = (headers: Record<string, string>) => Option.some(headers)

describe("Headers", () => {
  describe("fromCarrier", () => {
    const cases: ReadonlyArray<readonly [string, unknown, Option.Option<Record<string, string>>]> = [
      ["ddTraceInjected_baggageDropped", DD_TRACE_INJECTED, some(KEPT)],
      ["jsonString", JSON.stringify(DD_TRACE_INJECTED), some(KEPT)],
      [
        "datadogOnly_noPriority",
        { "x-datadog-trace-id": "1", "x-datadog-parent-id": "2" },
        some({ "x-datadog-trace-id": "1", "x-datadog-parent-id": "2" })
      ],
      [
        "keysCaseInsensitive_lowercasedOut",
        { TraceParent: TRACEPARENT, "X-Datadog-Origin": "rum" },
        some({ "x-datadog-origin": "rum", traceparent: TRACEPARENT })
      ],
      [
        "duplicateKeyByCase_firstValidWins",
        { TRACEPARENT: "garbage", traceparent: TRACEPARENT, Traceparent: `00-${TRACE_ID}-${ANCHOR}-01` },
        some({ traceparent: TRACEPARENT })
      ],
      [
        "canonicalised_leadingZeros",
        { "x-datadog-trace-id": "0007", "x-datadog-sampling-priority": "-0" },
        some({ "x-datadog-trace-id": "7", "x-datadog-sampling-priority": "0" })
      ],
      ["canonicalised_tracestateWhitespace", { tracestate: " dd=s:1 , a=1 " }, some({ tracestate: "dd=s:1,a=1" })],
      [
        "invalidValueDropped_keyOnly",
        { "x-datadog-trace-id": "abc", traceparent: TRACEPARENT },
        some({ traceparent: TRACEPARENT })
      ],
      [
        "nonStringValueDropped",
        { "x-datadog-trace-id": 1, "x-datadog-parent-id": ["2"], traceparent: TRACEPARENT },
        some({ traceparent: TRACEPARENT })
      ],
      [
        "uppercaseHexDropped",
        { traceparent: TRACEPARENT.toUpperCase(), "x-datadog-origin": "rum" },
        some({ "x-datadog-origin": "rum" })
      ],
      [
        "crlfDropped",
        { "x-datadog-origin": "rum\r\nx-evil: 1", "x-datadog-trace-id": "1" },
        some({ "x-datadog-trace-id": "1" })
      ],
      [
        "overCapTagsDropped",
        { "x-datadog-tags": `_dd.p.x=${"a".repeat(600)}`, "x-datadog-trace-id": "1" },
        some({ "x-datadog-trace-id": "1" })
      ],
      [
        "arabicIndicDigitsDropped",
        { "x-datadog-trace-id": "\u0661\u0662", "x-datadog-parent-id": "2" },
        some({ "x-datadog-parent-id": "2" })
      ],
      [
        "fullwidthDigitsDropped",
        { "x-datadog-trace-id": "\uff11", "x-datadog-parent-id": "2" },
        some({ "x-datadog-parent-id": "2" })
      ],
      ["nothingUsable", { baggage: "a=1", "x-datadog-trace-id": "0" }, Option.none()],
      ["emptyObject", {}, Option.none()],
      [
        "payloadOverMaxBytes",
        { tracestate: Array.from({ length: 5 }, (_, i) => `k${i}=${"v".repeat(250)}`).join(",") },
        Option.none()
      ],
      ["notAnObject_undefined", undefined, Option.none()],
      ["notAnObject_null", null, Option.none()],
      ["notAnObject_number", 1, Option.none()],
      ["notAnObject_array", [TRACEPARENT], Option.none()],
      ["notAnObject_emptyString", "", Option.none()],
      ["invalidJson", "{traceparent:", Option.none()],
      ["jsonOfNonObject", JSON.stringify([KEPT]), Option.none()],
      ["jsonTooLong", JSON.stringify({ traceparent: TRACEPARENT, pad: "x".repeat(20_000) }), Option.none()],
      ["tenKilobyteValue", { traceparent: `${TRACEPARENT}${"1".repeat(10_240)}` }, Option.none()]
    ]
    for (const [name, input, expected] of cases) {
      it(name, () => assert.deepStrictEqual(Headers.fromCarrier(input), expected, name))
    }

    it("prototypePollution_neverReachesAPrototype", () => {
      const hostile = JSON.parse(
        `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":"x","traceparent":"${TRACEPARENT}"}`
      )
      const headers = Option.getOrThrow(Headers.fromCarrier(hostile))
      assert.deepStrictEqual(Object.keys(headers), ["traceparent"])
      assert.isNull(Object.getPrototypeOf(headers))
      assert.isUndefined(({} as Record<string, unknown>).polluted)
      assert.isTrue(Option.isSome(Headers.fromCarrier(JSON.stringify(hostile))))
      assert.isUndefined(({} as Record<string, unknown>).polluted)
    })

    it("prototypeKeysInHeaders_stayOwnData", () => {
      const hostile = JSON.parse(`{"__proto__":"x","constructor":"y","traceparent":"${TRACEPARENT}"}`)
      for (const headers of [Headers.stable(hostile), Headers.anchor(hostile, ANCHOR)]) {
        assert.isNull(Object.getPrototypeOf(headers))
        assert.deepStrictEqual(Object.keys(headers).sort(), ["__proto__", "constructor", "traceparent"])
        assert.strictEqual(Object.getOwnPropertyDescriptor(headers, "__proto__")?.value, "x")
      }
      assert.isTrue(Headers.needsCheckpointUpdate(hostile, { traceparent: TRACEPARENT }))
    })

    it("inheritedPropertiesIgnored", () => {
      const carrier = Object.create({ traceparent: TRACEPARENT, "x-datadog-trace-id": "1" })
      assert.isTrue(Option.isNone(Headers.fromCarrier(carrier)))
    })

    it("throwingGetterAndProxy_none", () => {
      const getter = Object.defineProperty({}, "traceparent", {
        enumerable: true,
        get: () => {
          throw new Error("boom")
        }
      })
      const proxy = new Proxy(
        {},
        {
          ownKeys: () => {
            throw new Error("boom")
          }
        }
      )
      assert.isTrue(Option.isNone(Headers.fromCarrier(getter)))
      assert.isTrue(Option.isNone(Headers.fromCarrier(proxy)))
    })
  })

  describe("isValidContext", () => {
    const cases: ReadonlyArray<readonly [string, Headers.Headers, boolean]> = [
      ["ddTraceInjected", KEPT, true],
      ["datadogOnly", { "x-datadog-trace-id": "1", "x-datadog-parent-id": "2" }, true],
      ["datadogOnly_anyCase", { "X-Datadog-Trace-Id": "1", "X-DATADOG-PARENT-ID": "2" }, true],
      ["w3cOnly", { traceparent: TRACEPARENT }, true],
      ["datadogMissingParent", { "x-datadog-trace-id": "1", "x-datadog-sampling-priority": "1" }, false],
      ["datadogZeroParent", { "x-datadog-trace-id": "1", "x-datadog-parent-id": "0" }, false],
      ["tracestateOnly", { tracestate: `dd=s:1;p:${PARENT}` }, false],
      ["malformedTraceparent", { traceparent: `00-${TRACE_ID}-${PARENT}` }, false],
      ["empty", {}, false]
    ]
    for (const [name, headers, expected] of cases) {
      it(name, () => assert.strictEqual(Headers.isValidContext(headers), expected, name))
    }
  })

  describe("parentId", () => {
    const cases: ReadonlyArray<readonly [string, Headers.Headers, Option.Option<string>]> = [
      ["fromDatadogDecimal", { "x-datadog-parent-id": PARENT_DECIMAL }, Option.some(PARENT)],
      ["datadogFirst", { "x-datadog-parent-id": ANCHOR_DECIMAL, traceparent: TRACEPARENT }, Option.some(ANCHOR)],
      ["fromTraceparent", { traceparent: TRACEPARENT }, Option.some(PARENT)],
      ["fromTracestateDd", { tracestate: `a=1,dd=s:1;p:${PARENT}` }, Option.some(PARENT)],
      ["malformedDatadog_nextCarrier", { "x-datadog-parent-id": "x", traceparent: TRACEPARENT }, Option.some(PARENT)],
      ["tracestateMalformedP", { tracestate: "dd=p:abc" }, Option.none()],
      ["missing", { "x-datadog-trace-id": "1" }, Option.none()]
    ]
    for (const [name, headers, expected] of cases) {
      it(name, () => assert.deepStrictEqual(Headers.parentId(headers), expected, name))
    }
  })

  describe("traceIdHex", () => {
    const cases: ReadonlyArray<readonly [string, Headers.Headers, Option.Option<string>]> = [
      [
        "datadog128",
        { "x-datadog-trace-id": TRACE_ID_LOW_DECIMAL, "x-datadog-tags": `_dd.p.tid=${TID}` },
        Option.some(TRACE_ID)
      ],
      [
        "datadog64",
        { "x-datadog-trace-id": TRACE_ID_LOW_DECIMAL },
        Option.some(`0000000000000000${TRACE_ID.slice(16)}`)
      ],
      ["w3c", { traceparent: TRACEPARENT }, Option.some(TRACE_ID)],
      ["none", { "x-datadog-parent-id": "1" }, Option.none()]
    ]
    for (const [name, headers, expected] of cases) {
      it(name, () => assert.deepStrictEqual(Headers.traceIdHex(headers), expected, name))
    }
  })

  describe("stable", () => {
    const tracestateCases: ReadonlyArray<readonly [string, string, string | undefined]> = [
      // SPEC §4.3, verbatim: an empty result drops the key.
      ["spec_onlyParent", "dd=p:abc", undefined],
      ["spec_whitespace", "dd= s:1 ; p:abc , v=x", "dd=s:1,v=x"],
      ["spec_middleEntry", "dd=s:1;t.dm:-0;p:badf00d;o:rum,othervendor=keep", "dd=s:1;t.dm:-0;o:rum,othervendor=keep"]
    ]
    for (const [name, tracestate, expected] of tracestateCases) {
      it(name, () => assert.strictEqual(Headers.stable({ tracestate }).tracestate, expected, name))
    }

    it("ddTraceInjected", () =>
      assert.deepStrictEqual(Headers.stable(KEPT), {
        "x-datadog-trace-id": TRACE_ID_LOW_DECIMAL,
        "x-datadog-sampling-priority": "1",
        "x-datadog-tags": `_dd.p.tid=${TID},_dd.p.dm=-0`,
        traceparent: `00-${TRACE_ID}-01`,
        tracestate: `dd=t.dm:-0;t.tid:${TID};s:1`
      }))

    it("parentIdAnyCase_removed_keysLowercased", () =>
      assert.deepStrictEqual(Headers.stable({ "X-Datadog-Parent-Id": "2", "X-Datadog-Trace-Id": "1" }), {
        "x-datadog-trace-id": "1"
      }))

    it("unparseableW3cKeptVerbatim", () =>
      assert.deepStrictEqual(Headers.stable({ traceparent: "junk", tracestate: "A=1" }), {
        traceparent: "junk",
        tracestate: "A=1"
      }))
  })

  describe("needsCheckpointUpdate", () => {
    const moved = { ...KEPT, "x-datadog-parent-id": ANCHOR_DECIMAL, traceparent: `00-${TRACE_ID}-${ANCHOR}-01` }
    const cases: ReadonlyArray<readonly [string, Headers.Headers | undefined, Headers.Headers, boolean]> = [
      ["noPrior", undefined, KEPT, true],
      ["identical", KEPT, KEPT, false],
      ["onlyParentMoved", KEPT, moved, false],
      ["priorityChanged", KEPT, { ...KEPT, "x-datadog-sampling-priority": "2" }, true],
      ["keyAddedOnCurrent", KEPT, { ...KEPT, "x-datadog-origin": "rum" }, true],
      ["keyOnlyOnPrior", { ...KEPT, "x-datadog-origin": "rum" }, KEPT, true],
      ["flagsChanged", KEPT, { ...KEPT, traceparent: `00-${TRACE_ID}-${PARENT}-00` }, true],
      ["keyCaseOnly", KEPT, Object.fromEntries(Object.entries(KEPT).map(([k, v]) => [k.toUpperCase(), v])), false]
    ]
    for (const [name, prior, current, expected] of cases) {
      it(name, () => assert.strictEqual(Headers.needsCheckpointUpdate(prior, current), expected, name))
    }
  })

  describe("anchor", () => {
    it("everyCarrierRewritten", () =>
      assert.deepStrictEqual(Headers.anchor(KEPT, ANCHOR), {
        ...KEPT,
        "x-datadog-parent-id": ANCHOR_DECIMAL,
        traceparent: `00-${TRACE_ID}-${ANCHOR}-01`,
        tracestate: `dd=t.dm:-0;t.tid:${TID};s:1;p:${ANCHOR}`
      }))

    it("absentCarriersStayAbsent", () => {
      assert.deepStrictEqual(Headers.anchor({ traceparent: TRACEPARENT }, ANCHOR), {
        traceparent: `00-${TRACE_ID}-${ANCHOR}-01`
      })
      assert.deepStrictEqual(Headers.anchor({ "x-datadog-trace-id": "1", tracestate: "a=1" }, ANCHOR), {
        "x-datadog-trace-id": "1",
        tracestate: "a=1"
      })
    })

    it("invalidAnchor_unchanged", () => {
      for (const anchor of ["", "0000000000000000", ANCHOR.toUpperCase(), "123", `${ANCHOR}0`]) {
        assert.deepStrictEqual(Headers.anchor(KEPT, anchor), KEPT, anchor)
      }
    })
  })
})

describe("Headers.isWrittenCarrier", () => {
  const context = {
    "x-datadog-trace-id": "4611686018427387904",
    "x-datadog-parent-id": "1311768467294899695",
    traceparent: "00-6760a5b1000000004000000000000000-1234567890abcdef-01"
  }
  const written: ReadonlyArray<readonly [string, unknown]> = [
    ["datadog and W3C headers", context],
    ["W3C only", { traceparent: context.traceparent }]
  ]
  for (const [label, value] of written) {
    it(`a carrier as written: ${label}`, () => assert.isTrue(Headers.isWrittenCarrier(value), label))
  }
  const users: ReadonlyArray<readonly [string, unknown]> = [
    ["a user's object", { note: "user data" }],
    ["a context with a user key besides", { ...context, note: "mine" }],
    ["a context with one invalid value", { ...context, "x-datadog-sampling-priority": "high" }],
    ["headers without a context", { "x-datadog-origin": "lambda" }],
    ["uppercase keys", { "X-Datadog-Trace-Id": "1", "X-Datadog-Parent-Id": "2" }],
    ["a number value", { ...context, "x-datadog-sampling-priority": 1 }],
    ["a JSON string of a context", JSON.stringify(context)],
    ["an array", [context]],
    ["null", null],
    ["an empty object", {}]
  ]
  for (const [label, value] of users) {
    it(`the user's own: ${label}`, () => assert.isFalse(Headers.isWrittenCarrier(value), label))
  }
})
