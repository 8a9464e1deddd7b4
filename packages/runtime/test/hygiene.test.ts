/**
 * Payload hygiene (issue 8, SPEC §4.6): only allowlisted keys are written to a checkpoint or trusted when one is
 * read, the size caps hold, control characters and non-canonical ids are rejected, and `__proto__`,
 * `constructor` and `prototype` keys anywhere in a payload or event never reach an object prototype. Writes are
 * checked on the real engine (the local runner's stored operations); reads through the core reader, the event
 * carriers and the inspect CLI.
 */

import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import * as DurableEvent from "@durable-trace/core/DurableEvent"
import * as EventCarriers from "@durable-trace/core/EventCarriers"
import * as Headers from "@durable-trace/core/Headers"
import * as Inspection from "@durable-trace/core/Inspection"
import * as Reader from "@durable-trace/core/Reader"
import { Telemetry } from "@durable-trace/core/Telemetry"
import { TracePropagation } from "@durable-trace/core/TracePropagation"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { ALLOWED } from "../../core/test/fuzz/Oracle.js"
import { checkpointsOf, inMemoryServices, layerFrom, runOnLocalRunner, traced } from "./faults.harness.ts"
import { checkpointOperation } from "./support.ts"
import { WORKFLOWS } from "./workflows.ts"

const ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/order-1/3f1c9a"
const TRACE_HIGH = "6760a5b100000000"
const TRACE_LOW_HEX = "4000000000000000"
const PARENT_HEX = "00000000000003e8"

/** A valid context, Datadog and W3C. */
const VALID = {
  "x-datadog-trace-id": "4611686018427387904",
  "x-datadog-parent-id": "1000",
  "x-datadog-sampling-priority": "1",
  "x-datadog-tags": `_dd.p.tid=${TRACE_HIGH},_dd.p.dm=-0`,
  traceparent: `00-${TRACE_HIGH}${TRACE_LOW_HEX}-${PARENT_HEX}-01`,
  tracestate: `dd=s:1;p:${PARENT_HEX},othervendor=keep`
}

/** What must never be written or trusted (SPEC §4.6: baggage is user data). */
const JUNK = {
  baggage: "user.id=42,card=4111111111111111",
  "ot-baggage-user": "42",
  b3: "80f198ee56343ba864fe8b2a57d3eff7-e457b5a2e4d86bd1-1",
  "x-amzn-trace-id": "Root=1-5759e988-bd862e3fe1be46a994272793",
  "x-datadog-trace-id ": "1",
  toString: "1",
  hasOwnProperty: "1"
}

const SENTINEL = "hygienePolluted"

/** Own `__proto__`, `constructor` and `prototype` keys, as JSON text from an attacker would carry them. */
const PROTOTYPE_KEYS_TEXT =
  `"__proto__":{"${SENTINEL}":true,"x-datadog-trace-id":"666"},` +
  `"constructor":{"prototype":{"${SENTINEL}":true}},"prototype":{"${SENTINEL}":true}`

/** A valid context behind prototype keys. */
const POLLUTING_TEXT = `{${PROTOTYPE_KEYS_TEXT},${JSON.stringify(VALID).slice(1)}`

const OBJECT_PROTOTYPE = Object.getOwnPropertyNames(Object.prototype).join(",")

const assertNoPollution = (where: string) => {
  assert.isFalse(SENTINEL in {}, `${where}: Object.prototype polluted`)
  assert.isFalse(SENTINEL in [], `${where}: Array.prototype polluted`)
  assert.strictEqual(Object.getOwnPropertyNames(Object.prototype).join(","), OBJECT_PROTOTYPE, `${where}: changed`)
}

const assertSanitised = (headers: Headers.Headers, where: string) => {
  assert.isNull(Object.getPrototypeOf(headers), `${where}: headers have no prototype`)
  for (const key of Object.keys(headers)) assert.isTrue(ALLOWED.has(key), `${where}: ${key} is not allowlisted`)
  for (const value of Object.values(headers)) assert.match(value, /^[\x20-\x7e]+$/, `${where}: printable ASCII`)
  assert.isFalse(SENTINEL in headers, `${where}: no inherited sentinel`)
  assert.isAtMost(JSON.stringify(headers).length, Headers.MAX_PAYLOAD_BYTES, `${where}: 1 KiB cap`)
  assert.isAtMost((headers["x-datadog-tags"] ?? "").length, Headers.MAX_TAGS_BYTES, `${where}: 512 B tags cap`)
}

const checkpoint = (n: number, payload: unknown) => checkpointOperation(n, ARN, payload, 1)

const eventWith = (...operations: ReadonlyArray<unknown>) => ({
  DurableExecutionArn: ARN,
  CheckpointToken: "t",
  InitialExecutionState: {
    Operations: [
      { Id: "0a1b", Type: "EXECUTION", Status: "STARTED", ExecutionDetails: { InputPayload: '{"orderId":"o-1"}' } },
      ...operations
    ]
  }
})

/** The core reader with the in-memory ports. */
const read = (event: unknown, lambdaContext?: unknown): Reader.ReadResult =>
  Effect.runSync(
    Effect.gen(function* () {
      const arn = DurableEvent.executionArn(event)
      const log = Option.isSome(arn) ? yield* CheckpointLog.make(event, arn.value) : undefined
      return yield* Reader.read(event, lambdaContext, { log })
    }).pipe(
      Effect.provide(Layer.mergeAll(CheckpointStore.layerTest(), TracePropagation.layerTest(), Telemetry.layerTest))
    )
  )

describe("payload hygiene (SPEC §4.6)", () => {
  it("writes only allowlisted, valid keys, within the caps, whatever the tracer injects", async () => {
    const { memory, backend, propagation, telemetry } = inMemoryServices()
    const junkInjecting = layerFrom(
      backend,
      {
        ...propagation,
        inject: (span) =>
          Effect.map(propagation.inject(span), (headers) => ({
            ...(JSON.parse(`{${PROTOTYPE_KEYS_TEXT}}`) as object),
            ...JUNK,
            ...headers,
            "X-Datadog-Origin": "rum\u0007",
            "x-datadog-origin": "\nlambda"
          }))
      },
      telemetry
    )
    const { handler } = traced(WORKFLOWS[0]!, junkInjecting)
    const result = await runOnLocalRunner(handler, WORKFLOWS[0]!)
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const written = checkpointsOf(result)
    assert.isNotEmpty(written, `a checkpoint was written; failures: ${JSON.stringify(memory.increments())}`)
    for (const { name, payload } of written) {
      const text = typeof payload === "string" ? payload : JSON.stringify(payload)
      const stored = JSON.parse(text) as Record<string, unknown>
      assert.includeMembers([...ALLOWED], Object.keys(stored), `${name}: only allowlisted keys`)
      assert.notInclude(text, "baggage", name)
      assert.notInclude(text, SENTINEL, name)
      assert.isUndefined(stored["x-datadog-origin"], `${name}: an origin with control characters is dropped`)
      assert.isAtMost(text.length, Headers.MAX_PAYLOAD_BYTES, `${name}: 1 KiB cap`)
      assert.isTrue(Headers.isValidContext(Option.getOrThrow(Headers.fromCarrier(text))), `${name}: a valid context`)
    }
    assert.deepStrictEqual(memory.increments(), [])
    assertNoPollution("writer")
  })

  it("trusts only allowlisted keys on read, and continues the valid context among the junk", () => {
    const payload = JSON.stringify({ ...JUNK, ...VALID })
    const result = read(eventWith(checkpoint(0, payload)))
    assert.strictEqual(result.source, "checkpoint")
    assertSanitised(Option.getOrThrow(result.headers), "reader")
    assert.strictEqual(Option.getOrThrow(result.context).spanId, PARENT_HEX)
    assert.strictEqual(Option.getOrThrow(result.context).traceId, `${TRACE_HIGH}${TRACE_LOW_HEX}`)
  })

  it("enforces the size caps", () => {
    const longTracestate = Array.from({ length: 32 }, (_, i) => `v${i}=${"x".repeat(40)}`).join(",")
    const cases: ReadonlyArray<readonly [string, unknown, (headers: Option.Option<Headers.Headers>) => void]> = [
      [
        "payload over 1 KiB: rejected whole",
        { ...VALID, tracestate: longTracestate },
        (h) => assert.isTrue(Option.isNone(h))
      ],
      [
        "x-datadog-tags over 512 B: the oversize tags never pass",
        { ...VALID, "x-datadog-tags": `_dd.p.tid=${TRACE_HIGH},_dd.p.big=${"x".repeat(600)}` },
        (h) => {
          const headers = Option.getOrThrow(h)
          assert.notInclude(headers["x-datadog-tags"] ?? "", "_dd.p.big")
          assertSanitised(headers, "tags cap")
        }
      ],
      [
        "JSON text over 16 KiB: not parsed",
        JSON.stringify({ ...VALID, pad: "x".repeat(20_000) }),
        (h) => assert.isTrue(Option.isNone(h))
      ],
      [
        "traceparent over 512 characters",
        { traceparent: `${VALID.traceparent}-${"x".repeat(600)}` },
        (h) => assert.isTrue(Option.isNone(h))
      ]
    ]
    for (const [name, input, expect] of cases) {
      const headers = Headers.fromCarrier(input)
      expect(headers)
      if (Option.isSome(headers)) assertSanitised(headers.value, name)
    }
  })

  it("rejects control characters and non-canonical ids", () => {
    const rejected: ReadonlyArray<readonly [string, string, string]> = [
      ["trace id with a sign", "x-datadog-trace-id", "+123"],
      ["trace id with a leading space", "x-datadog-trace-id", " 123"],
      ["trace id with a trailing newline", "x-datadog-trace-id", "123\n"],
      ["trace id with a NUL", "x-datadog-trace-id", "12\u00003"],
      ["trace id in hex", "x-datadog-trace-id", "0x1f"],
      ["trace id with an exponent", "x-datadog-trace-id", "1e3"],
      ["trace id in Arabic-Indic digits", "x-datadog-trace-id", "١٢٣"],
      ["trace id in fullwidth digits", "x-datadog-trace-id", "１２３"],
      ["trace id of 2^64", "x-datadog-trace-id", "18446744073709551616"],
      ["trace id zero", "x-datadog-trace-id", "0"],
      ["parent id negative", "x-datadog-parent-id", "-1"],
      ["parent id decimal point", "x-datadog-parent-id", "1.0"],
      ["sampling priority with a space", "x-datadog-sampling-priority", "1 "],
      ["origin with a BEL", "x-datadog-origin", "rum\u0007"],
      ["origin with a newline", "x-datadog-origin", "rum\nx"],
      ["tags with a control character only", "x-datadog-tags", "_dd.p.x=\u0001"],
      ["traceparent in uppercase hex", "traceparent", VALID.traceparent.toUpperCase()],
      ["traceparent with a trailing newline", "traceparent", `${VALID.traceparent}\n`],
      ["traceparent with a zero trace id", "traceparent", `00-${"0".repeat(32)}-${PARENT_HEX}-01`],
      ["traceparent with a zero parent id", "traceparent", `00-${TRACE_HIGH}${TRACE_LOW_HEX}-${"0".repeat(16)}-01`],
      ["traceparent version ff", "traceparent", `ff-${TRACE_HIGH}${TRACE_LOW_HEX}-${PARENT_HEX}-01`],
      ["tracestate with a control character only", "tracestate", "dd=p:\u0001"]
    ]
    for (const [name, key, value] of rejected) {
      const headers = Headers.fromCarrier({ ...VALID, [key]: value })
      const kept = Option.getOrUndefined(headers)?.[key]
      assert.isTrue(kept === undefined || kept !== value, `${name}: ${JSON.stringify(value)} kept as is`)
      if (kept !== undefined) assert.match(kept, /^[\x20-\x7e]+$/, `${name}: canonical and printable`)
      if (key === "x-datadog-trace-id" || key === "x-datadog-parent-id") assert.isUndefined(kept, name)
    }
    const names = [
      "_datadog_01",
      "_datadog_+1",
      "_datadog_-1",
      "_datadog_ 1",
      "_datadog_1e0",
      "_datadog_1_0",
      "_DATADOG_1"
    ]
    for (const name of names) {
      const result = read(eventWith({ ...checkpoint(1, JSON.stringify(VALID)), Name: name }))
      assert.notStrictEqual(result.source, "checkpoint", `${name} is not a checkpoint`)
    }
  })

  it("never lets __proto__, constructor or prototype keys reach a prototype", () => {
    const pollutingObject = JSON.parse(POLLUTING_TEXT) as Record<string, unknown>
    assert.isTrue(Object.hasOwn(pollutingObject, "__proto__"), "the test payload has an own __proto__ key")
    const carriers: ReadonlyArray<readonly [string, () => Option.Option<Headers.Headers>]> = [
      ["fromCarrier(text)", () => Headers.fromCarrier(POLLUTING_TEXT)],
      ["fromCarrier(object)", () => Headers.fromCarrier(pollutingObject)],
      ["HTTP headers", () => EventCarriers.fromEventSource({ headers: pollutingObject })],
      [
        "SQS attribute",
        () =>
          EventCarriers.fromEventSource({
            Records: [{ messageAttributes: { _datadog: { stringValue: POLLUTING_TEXT } } }]
          })
      ],
      [
        "client context",
        () => EventCarriers.fromClientContext({ clientContext: { custom: { _datadog: pollutingObject } } })
      ],
      [
        "durable input",
        () =>
          EventCarriers.fromExecutionInput(JSON.parse(`{"__proto__":${POLLUTING_TEXT},"_datadog":${POLLUTING_TEXT}}`))
      ]
    ]
    for (const [name, run] of carriers) {
      const headers = run()
      assert.isTrue(Option.isSome(headers), `${name}: the valid context is still found`)
      assertSanitised(Option.getOrThrow(headers), name)
      assert.strictEqual(Option.getOrThrow(headers)["x-datadog-trace-id"], VALID["x-datadog-trace-id"], name)
      assertNoPollution(name)
    }
    const events: ReadonlyArray<readonly [string, unknown]> = [
      ["checkpoint payload as text", eventWith(checkpoint(0, POLLUTING_TEXT))],
      ["checkpoint payload as an object", eventWith(checkpoint(0, pollutingObject))],
      [
        "operation with an own __proto__",
        eventWith(
          JSON.parse(`{"__proto__":{"Name":"_datadog_9"},${JSON.stringify(checkpoint(0, POLLUTING_TEXT)).slice(1)}`)
        )
      ],
      [
        "Operations as a map with __proto__ keys",
        JSON.parse(
          `{"DurableExecutionArn":"${ARN}","InitialExecutionState":{"Operations":{"__proto__":${JSON.stringify(
            checkpoint(0, POLLUTING_TEXT)
          )},"constructor":${JSON.stringify(checkpoint(1, POLLUTING_TEXT))}}}}`
        )
      ]
    ]
    for (const [name, event] of events) {
      const result = read(event)
      assert.strictEqual(result.source, "checkpoint", name)
      assertSanitised(Option.getOrThrow(result.headers), name)
      assert.strictEqual(Option.getOrThrow(result.context).spanId, PARENT_HEX, name)
      const report = Inspection.inspect(event)
      assert.isTrue(Result.isSuccess(report), name)
      if (Result.isSuccess(report)) {
        for (const c of report.success.checkpoints) if (c.headers !== undefined) assertSanitised(c.headers, name)
        assert.strictEqual(report.success.next.parentId, PARENT_HEX, name)
      }
      assertNoPollution(name)
    }
  })
})
