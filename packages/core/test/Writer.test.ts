import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Checkpoint from "../src/Checkpoint.ts"
import * as CheckpointLog from "../src/CheckpointLog.ts"
import { CheckpointStoreRecorder } from "../src/CheckpointStore.ts"
import * as DurableMember from "../src/DurableMember.ts"
import * as Headers from "../src/Headers.ts"
import { TelemetryRecorder } from "../src/Telemetry.ts"
import { testSpan } from "../src/TracePropagation.ts"
import * as Writer from "../src/Writer.ts"
import {
  ARN,
  checkpointOp,
  ddHeaders,
  durableEvent,
  EXECUTE_SPAN_HEX,
  EXECUTE_SPAN_ID,
  executionOp,
  page,
  stepOp,
  testLayer
} from "./fixtures.ts"

const ANCHOR = "1000" // the first invocation's execute span, decimal
const ANCHOR_HEX = "00000000000003e8"

/** Runs one invocation's save against `operations`; returns the outcome, the writes and the counter. */
const saveOnce = (
  event: unknown,
  executeSpan: Headers.Headers = ddHeaders(EXECUTE_SPAN_ID),
  layer: Parameters<typeof testLayer>[0] = {}
) =>
  Effect.gen(function* () {
    const log = yield* CheckpointLog.make(event, ARN)
    const outcome = yield* Writer.saveOrReport({ log, executeSpan: testSpan(executeSpan) })
    const writes = yield* (yield* CheckpointStoreRecorder).writes
    const increments = yield* (yield* TelemetryRecorder).increments
    return { outcome, writes, increments, log }
  }).pipe(Effect.provide(testLayer(layer)))

const payloadOf = (update: { readonly Payload: string }) => JSON.parse(update.Payload) as Headers.Headers

describe("Writer.save (SPEC §4.2)", () => {
  it.effect("first save: _datadog_0, anchored to the execute span, one SUCCEED update with a deterministic id", () =>
    Effect.gen(function* () {
      const { outcome, writes } = yield* saveOnce(durableEvent([executionOp()]))
      assert.strictEqual(outcome._tag, "Written")
      assert.strictEqual(writes.length, 1)
      const [update] = writes
      assert.deepStrictEqual(
        { ...update!, Payload: undefined },
        {
          Id: Checkpoint.checkpointOperationId("_datadog_0", ARN),
          Type: "STEP",
          SubType: "Step",
          Action: "SUCCEED",
          Name: "_datadog_0",
          Payload: undefined
        }
      )
      assert.isFalse("ParentId" in update!)
      const payload = payloadOf(update!)
      assert.strictEqual(payload["x-datadog-parent-id"], EXECUTE_SPAN_ID)
      assert.strictEqual(payload["x-datadog-sampling-priority"], "1")
      assert.strictEqual(Option.getOrThrow(Headers.parentId(payload)), EXECUTE_SPAN_HEX)
      assert.include(payload.traceparent, `-${EXECUTE_SPAN_HEX}-`)
      assert.include(payload.tracestate, `p:${EXECUTE_SPAN_HEX}`)
    })
  )

  it.effect("a matching prior writes nothing: only the parent id differs", () =>
    Effect.gen(function* () {
      const event = durableEvent([executionOp(), checkpointOp(0, ddHeaders(ANCHOR))])
      const { outcome, writes, increments } = yield* saveOnce(event, ddHeaders("777777"))
      assert.deepStrictEqual(outcome, { _tag: "Unchanged", prior: 0 })
      assert.deepStrictEqual(writes, [])
      assert.deepStrictEqual(increments, [])
    })
  )

  it.effect("a real change writes N+1, reusing the prior anchor verbatim", () =>
    Effect.gen(function* () {
      const event = durableEvent([executionOp(), checkpointOp(0, ddHeaders(ANCHOR, "1"))])
      const { outcome, writes } = yield* saveOnce(event, ddHeaders("777777", "2"))
      assert.strictEqual(outcome._tag, "Written")
      assert.strictEqual(writes[0]!.Name, "_datadog_1")
      const payload = payloadOf(writes[0]!)
      assert.strictEqual(payload["x-datadog-parent-id"], ANCHOR)
      assert.strictEqual(payload["x-datadog-sampling-priority"], "2")
      assert.include(payload.traceparent, `-${ANCHOR_HEX}-`)
    })
  )

  it.effect("first-then-replay share one anchor", () =>
    Effect.gen(function* () {
      const first = yield* saveOnce(durableEvent([executionOp()]), ddHeaders(ANCHOR, "1"))
      const written = first.writes[0]!
      const replay = durableEvent([
        executionOp(),
        stepOp("reserve"),
        { ...checkpointOp(0, written.Payload), Id: written.Id }
      ])
      const second = yield* saveOnce(replay, ddHeaders("424242", "2"))
      assert.strictEqual(second.writes[0]!.Name, "_datadog_1")
      assert.strictEqual(payloadOf(second.writes[0]!)["x-datadog-parent-id"], ANCHOR)
      assert.strictEqual(payloadOf(first.writes[0]!)["x-datadog-parent-id"], ANCHOR)
    })
  )

  const malformedAnchors: ReadonlyArray<readonly [string, unknown]> = [
    ["missing", undefined],
    ["null", null],
    ["object", { id: ANCHOR }],
    ["array", [ANCHOR]],
    ["number", 1000],
    ["empty string", ""]
  ]
  for (const [label, value] of malformedAnchors) {
    it.effect(`a prior anchor that is ${label} counts resolve_parent_id and invents nothing`, () =>
      Effect.gen(function* () {
        const { "x-datadog-parent-id": _, ...rest } = ddHeaders(ANCHOR)
        const { traceparent: _tp, tracestate: _ts, ...datadogOnly } = rest
        const prior = value === undefined ? datadogOnly : { ...datadogOnly, "x-datadog-parent-id": value }
        const event = durableEvent([executionOp(), checkpointOp(0, prior)])
        const { outcome, writes, increments } = yield* saveOnce(event, ddHeaders("777777", "2"))
        assert.strictEqual(outcome._tag, "Failed", label)
        assert.deepStrictEqual(writes, [], label)
        assert.deepStrictEqual(
          increments.map((i) => i.location),
          ["resolve_parent_id"],
          label
        )
      })
    )
  }

  it.effect("two saves in one invocation get distinct N; the second diffs against the first", () =>
    Effect.gen(function* () {
      const log = yield* CheckpointLog.make(durableEvent([executionOp()]), ARN)
      const a = yield* Writer.save({ log, executeSpan: testSpan(ddHeaders(EXECUTE_SPAN_ID, "1")) })
      const same = yield* Writer.save({ log, executeSpan: testSpan(ddHeaders("5555", "1")) })
      const b = yield* Writer.save({ log, executeSpan: testSpan(ddHeaders("6666", "2")) })
      const writes = yield* (yield* CheckpointStoreRecorder).writes
      assert.deepStrictEqual([a._tag, same._tag, b._tag], ["Written", "Unchanged", "Written"])
      assert.deepStrictEqual(
        writes.map((w) => w.Name),
        ["_datadog_0", "_datadog_1"]
      )
      assert.strictEqual(payloadOf(writes[1]!)["x-datadog-parent-id"], EXECUTE_SPAN_ID)
    }).pipe(Effect.provide(testLayer()))
  )

  it.effect("carries the invocation number: a new number writes once, the same number again writes nothing", () =>
    Effect.gen(function* () {
      const prior = DurableMember.withInvocation(ddHeaders(ANCHOR), Option.some(2))
      const log = yield* CheckpointLog.make(durableEvent([executionOp(), checkpointOp(0, prior)]), ARN)
      // The tracer propagates the member it continued: the execute span injects invocation 2's number.
      const injected = testSpan(Headers.anchor(prior, "0000000000000777"))
      const third = yield* Writer.save({ log, executeSpan: injected, invocation: 3 })
      const again = yield* Writer.save({ log, executeSpan: injected, invocation: 3 })
      const writes = yield* (yield* CheckpointStoreRecorder).writes
      assert.deepStrictEqual([third._tag, again._tag], ["Written", "Unchanged"])
      assert.strictEqual(writes.length, 1)
      const payload = payloadOf(writes[0]!)
      assert.deepStrictEqual(DurableMember.invocationOf(payload), Option.some(3))
      assert.strictEqual(payload["x-datadog-parent-id"], ANCHOR, "anchored as before")
    }).pipe(Effect.provide(testLayer()))
  )

  it.effect("an unknown number removes the one the tracer carried over instead of writing it stale", () =>
    Effect.gen(function* () {
      const prior = DurableMember.withInvocation(ddHeaders(ANCHOR), Option.some(2))
      const log = yield* CheckpointLog.make(durableEvent([executionOp(), checkpointOp(0, prior)]), ARN)
      const outcome = yield* Writer.save({ log, executeSpan: testSpan(prior) })
      const writes = yield* (yield* CheckpointStoreRecorder).writes
      assert.strictEqual(outcome._tag, "Written")
      assert.deepStrictEqual(DurableMember.invocationOf(payloadOf(writes[0]!)), Option.none())
    }).pipe(Effect.provide(testLayer()))
  )

  it.effect("linked mode keeps the previous invocation and the number in one member", () =>
    Effect.gen(function* () {
      const prior = DurableMember.withInvocation(ddHeaders(ANCHOR), Option.some(2))
      const log = yield* CheckpointLog.make(durableEvent([executionOp(), checkpointOp(0, prior)]), ARN)
      const own = { traceId: "6760a5b10000000000000000000000aa", spanId: "00000000000000bb" }
      const executeSpan = testSpan({ traceparent: `00-${own.traceId}-${own.spanId}-01` })
      const outcome = yield* Writer.save({ log, executeSpan, linked: true, invocation: 3 })
      const writes = yield* (yield* CheckpointStoreRecorder).writes
      assert.strictEqual(outcome._tag, "Written")
      const payload = payloadOf(writes[0]!)
      assert.deepStrictEqual(DurableMember.invocationOf(payload), Option.some(3))
      assert.deepStrictEqual(DurableMember.previousOf(payload), Option.some(own))
      assert.strictEqual(payload["x-datadog-parent-id"], ANCHOR, "the anchor's context")
    }).pipe(Effect.provide(testLayer()))
  )

  it.effect("racing saves in one invocation never collide", () =>
    Effect.gen(function* () {
      const log = yield* CheckpointLog.make(durableEvent([executionOp()]), ARN)
      yield* Effect.forEach(
        ["1", "2", "-1", "0"],
        (priority) => Writer.save({ log, executeSpan: testSpan(ddHeaders(EXECUTE_SPAN_ID, priority)) }),
        { concurrency: "unbounded" }
      )
      const names = (yield* (yield* CheckpointStoreRecorder).writes).map((w) => w.Name)
      assert.strictEqual(new Set(names).size, names.length)
    }).pipe(Effect.provide(testLayer()))
  )

  it.effect("the counter resumes past existing _datadog_3, _datadog_1 and a user step", () =>
    Effect.gen(function* () {
      const event = durableEvent([
        executionOp(),
        checkpointOp(1, ddHeaders(ANCHOR, "1")),
        stepOp("charge"),
        checkpointOp(3, ddHeaders(ANCHOR, "1"))
      ])
      const { writes } = yield* saveOnce(event, ddHeaders("9", "2"))
      assert.deepStrictEqual(
        writes.map((w) => w.Name),
        ["_datadog_4"]
      )
    })
  )

  it.effect("inject failure writes nothing and counts inject", () =>
    Effect.gen(function* () {
      const failure = Object.assign(new Error("tracer gone"), { name: "TracerError" })
      const { outcome, writes, increments } = yield* saveOnce(durableEvent([executionOp()]), undefined, {
        failInject: failure
      })
      assert.strictEqual(outcome._tag, "Failed")
      assert.deepStrictEqual(writes, [])
      assert.deepStrictEqual(increments, [
        { integration: "aws-durable-execution-sdk-js", location: "inject", errorType: "TracerError" }
      ])
    })
  )

  it.effect("a prior only on page 2 is found, and N continues past page 2", () =>
    Effect.gen(function* () {
      const event = durableEvent([executionOp(), stepOp("a")], "m2")
      const pages = { m2: page([checkpointOp(0, ddHeaders(ANCHOR, "1"))], "m3"), m3: page([checkpointOp(4, "{}")]) }
      // unchanged against _datadog_0 on page 2, but the corrupt _datadog_4 on page 3 is what readers of the highest
      // N see: the same context is written again above it, anchored as before
      const { writes } = yield* saveOnce(event, ddHeaders("9", "1"), { pages })
      assert.deepStrictEqual(
        writes.map((w) => [w.Name, payloadOf(w)["x-datadog-parent-id"]]),
        [["_datadog_5", ANCHOR]]
      )
      const changed = yield* saveOnce(event, ddHeaders("9", "2"), { pages })
      assert.deepStrictEqual(
        changed.writes.map((w) => [w.Name, payloadOf(w)["x-datadog-parent-id"]]),
        [["_datadog_5", ANCHOR]]
      )
    })
  )

  it.effect("heals a corrupt latest checkpoint: the valid prior's context and anchor, numbered above it", () =>
    Effect.gen(function* () {
      const operations = [
        executionOp(),
        checkpointOp(0, ddHeaders(ANCHOR, "1")),
        checkpointOp(1, ddHeaders("77", "1")),
        checkpointOp(2, '{"x-datadog-trace-id":"not a number"}')
      ]
      const event = durableEvent(operations)
      const { outcome, writes } = yield* saveOnce(event, ddHeaders("9", "1"))
      assert.strictEqual(outcome._tag, "Written")
      assert.deepStrictEqual(
        writes.map((w) => [w.Name, payloadOf(w)["x-datadog-parent-id"]]),
        [["_datadog_3", "77"]]
      )
      // Once healed, the next invocation finds nothing to do.
      const healed = durableEvent([...operations, checkpointOp(3, payloadOf(writes[0]!))])
      const again = yield* saveOnce(healed, ddHeaders("10", "1"))
      assert.deepStrictEqual([again.outcome._tag, again.writes], ["Unchanged", []])
    })
  )

  it.effect("a user step named above the latest checkpoint is written over too, for readers of the highest N", () =>
    Effect.gen(function* () {
      const userStep = stepOp("_datadog_3", JSON.stringify(ddHeaders("55", "1")))
      const event = durableEvent([executionOp(), checkpointOp(0, ddHeaders(ANCHOR, "1")), userStep])
      const { writes } = yield* saveOnce(event, ddHeaders("9", "1"))
      assert.deepStrictEqual(
        writes.map((w) => [w.Name, payloadOf(w)["x-datadog-parent-id"]]),
        [["_datadog_4", ANCHOR]]
      )
    })
  )

  it.effect("never writes a context of another trace over the checkpoint's (it would re-parent the execution)", () =>
    Effect.gen(function* () {
      const event = durableEvent([executionOp(), checkpointOp(0, ddHeaders(ANCHOR, "1"))])
      const foreign = ddHeaders("9", "1", "12345")
      const { outcome, writes, increments } = yield* saveOnce(event, foreign)
      assert.strictEqual(outcome._tag, "Failed")
      assert.deepStrictEqual(writes, [])
      assert.deepStrictEqual(
        increments.map((i) => [i.location, i.errorType]),
        [["resolve_parent_id", "context is another trace than the checkpoint's"]]
      )
    })
  )

  it.effect("a page failure writes nothing and counts page_state", () =>
    Effect.gen(function* () {
      const { writes, increments } = yield* saveOnce(durableEvent([executionOp()], "m2"), undefined, {
        failPage: new Error("throttled")
      })
      assert.deepStrictEqual(writes, [])
      assert.deepStrictEqual(
        increments.map((i) => i.location),
        ["page_state"]
      )
    })
  )

  it.effect("a write failure counts write_checkpoint with the error type", () =>
    Effect.gen(function* () {
      const throttled = Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" })
      const { outcome, increments } = yield* saveOnce(durableEvent([executionOp()]), undefined, {
        failWrite: throttled
      })
      assert.strictEqual(outcome._tag, "Failed")
      assert.deepStrictEqual(
        increments.map((i) => [i.location, i.errorType]),
        [["write_checkpoint", "ThrottlingException"]]
      )
    })
  )

  it.live("a hanging save is cut at the bound and counts write_checkpoint", () =>
    Effect.gen(function* () {
      const log = yield* CheckpointLog.make(durableEvent([executionOp()], "m2"), ARN)
      const outcome = yield* Writer.saveOrReport({
        log: { ...log, all: Effect.never },
        executeSpan: testSpan(ddHeaders(EXECUTE_SPAN_ID)),
        timeout: "20 millis"
      })
      assert.strictEqual(outcome._tag, "Failed")
      const increments = yield* (yield* TelemetryRecorder).increments
      assert.deepStrictEqual(
        increments.map((i) => [i.location, i.errorType]),
        [["write_checkpoint", "timeout"]]
      )
    }).pipe(Effect.provide(testLayer()))
  )
})

describe("Writer decision laws (SPEC §4.2)", () => {
  const n = Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 1_000_000 })))
  const span = Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 2 ** 31 })))
  it.prop(
    "the same context is unchanged only when nothing is numbered above the prior",
    { prior: n, above: n, a: span, b: span },
    ({ prior, above, a, b }) => {
      const headers = ddHeaders(String(a))
      const current = ddHeaders(String(b))
      assert.isTrue(Writer.isUnchanged({ n: prior, headers }, current, prior))
      assert.isFalse(Writer.isUnchanged({ n: prior, headers }, current, prior + above + 1))
    }
  )
  it.prop("a context is of the prior's trace iff its trace id is", { a: span, b: span }, ({ a, b }) => {
    const prior = ddHeaders("1", "1", String(a))
    assert.isTrue(Writer.isSameTrace(prior, ddHeaders("2", "1", String(a))))
    assert.strictEqual(Writer.isSameTrace(prior, ddHeaders("2", "1", String(b))), a === b)
  })
})
