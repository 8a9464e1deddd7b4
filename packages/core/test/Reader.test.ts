import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as CheckpointLog from "../src/CheckpointLog.ts"
import { CheckpointStoreRecorder } from "../src/CheckpointStore.ts"
import * as DurableEvent from "../src/DurableEvent.ts"
import * as Reader from "../src/Reader.ts"
import { TelemetryRecorder } from "../src/Telemetry.ts"
import {
  ARN,
  checkpointOp,
  ddHeaders,
  ddJsPayload,
  durableEvent,
  executionOp,
  page,
  stepOp,
  testLayer
} from "./fixtures.ts"

// core compiles without Node or DOM types; the runtime has btoa all the same.
const btoa = (globalThis as unknown as { readonly btoa: (data: string) => string }).btoa

const ANCHOR = "1000"
const CALLER = "31337"

/** Reads `event` as a durable invocation when it is one, with the in-memory ports. */
const readEvent = (
  event: unknown,
  options: Parameters<typeof testLayer>[0] & { lambdaContext?: unknown; extractor?: Reader.Extractor } = {}
) =>
  Effect.gen(function* () {
    const arn = DurableEvent.executionArn(event)
    const log = Option.isSome(arn) ? yield* CheckpointLog.make(event, arn.value) : undefined
    const result = yield* Reader.read(event, options.lambdaContext, { log, extractor: options.extractor })
    const increments = yield* (yield* TelemetryRecorder).increments
    const pageRequests = yield* (yield* CheckpointStoreRecorder).pageRequests
    return { result, increments, pageRequests }
  }).pipe(Effect.provide(testLayer(options)))

const parentOf = (result: Reader.ReadResult) => Option.getOrThrow(result.headers)["x-datadog-parent-id"]

describe("Reader.read (SPEC §3)", () => {
  it.effect("continues the latest valid checkpoint", () =>
    Effect.gen(function* () {
      const { result } = yield* readEvent(
        durableEvent([executionOp(), checkpointOp(0, ddHeaders(ANCHOR, "1")), checkpointOp(1, ddHeaders(ANCHOR, "2"))])
      )
      assert.strictEqual(result.source, "checkpoint")
      assert.strictEqual(Option.getOrThrow(result.checkpoint).n, 1)
      assert.strictEqual(Option.getOrThrow(result.context).spanId, "00000000000003e8")
    })
  )

  it.effect("accepts Operations as an object map", () =>
    Effect.gen(function* () {
      const { result } = yield* readEvent(durableEvent({ "0": executionOp(), "1": checkpointOp(0, ddHeaders(ANCHOR)) }))
      assert.strictEqual(result.source, "checkpoint")
    })
  )

  it.effect("continues a Datadog JS checkpoint without a sampling priority", () =>
    Effect.gen(function* () {
      const { result } = yield* readEvent(durableEvent([executionOp(), checkpointOp(0, ddJsPayload(ANCHOR))]))
      assert.strictEqual(result.source, "checkpoint")
      assert.strictEqual(parentOf(result), ANCHOR)
    })
  )

  it.effect("skips a corrupt latest for an older valid one and counts read_checkpoint", () =>
    Effect.gen(function* () {
      const { result, increments } = yield* readEvent(
        durableEvent([executionOp(), checkpointOp(0, ddHeaders(ANCHOR)), checkpointOp(1, '{"x-datadog-trace-id":')])
      )
      assert.strictEqual(Option.getOrThrow(result.checkpoint).n, 0)
      assert.deepStrictEqual(
        increments.map((i) => i.location),
        ["read_checkpoint"]
      )
    })
  )

  it.effect("100,000 corrupt checkpoints above a valid one: one read_checkpoint increment that counts them", () =>
    Effect.gen(function* () {
      const corrupt = Array.from({ length: 100_000 }, (_, i) => checkpointOp(i + 1, '{"bogus":1}'))
      const { result, increments } = yield* readEvent(
        durableEvent([executionOp(), checkpointOp(0, ddHeaders(ANCHOR)), ...corrupt])
      )
      assert.strictEqual(Option.getOrThrow(result.checkpoint).n, 0)
      assert.deepStrictEqual(increments, [
        {
          integration: "aws-durable-execution-sdk-js",
          location: "read_checkpoint",
          errorType: "no propagation headers"
        }
      ])
    })
  )

  it.effect("finds a checkpoint only on page 2", () =>
    Effect.gen(function* () {
      const { result, pageRequests } = yield* readEvent(durableEvent([executionOp(), stepOp("a")], "m2"), {
        pages: { m2: page([stepOp("b"), checkpointOp(0, ddHeaders(ANCHOR))]) }
      })
      assert.strictEqual(result.source, "checkpoint")
      assert.deepStrictEqual(pageRequests, ["m2"])
    })
  )

  it.effect("does not page when page 1 has a valid checkpoint", () =>
    Effect.gen(function* () {
      const { result, pageRequests } = yield* readEvent(
        durableEvent([executionOp(), checkpointOp(0, ddHeaders(ANCHOR))], "m2")
      )
      assert.strictEqual(result.source, "checkpoint")
      assert.deepStrictEqual(pageRequests, [])
    })
  )

  it.effect("a failing page counts page_state and falls through", () =>
    Effect.gen(function* () {
      const { result, increments } = yield* readEvent(durableEvent([executionOp()], "m2"), { failPage: new Error("x") })
      assert.strictEqual(result.source, "none")
      assert.deepStrictEqual(
        increments.map((i) => i.location),
        ["page_state"]
      )
    })
  )

  const inputShapes: ReadonlyArray<readonly [string, unknown]> = [
    ["_datadog object", { orderId: "o-1", _datadog: ddHeaders(CALLER) }],
    ["headers object", { orderId: "o-1", headers: ddHeaders(CALLER) }],
    ["the payload itself", { orderId: "o-1", ...ddHeaders(CALLER) }]
  ]
  for (const [label, input] of inputShapes) {
    it.effect(`first invocation continues the caller's context from InputPayload: ${label}`, () =>
      Effect.gen(function* () {
        const { result } = yield* readEvent(durableEvent([executionOp(input)]))
        assert.strictEqual(result.source, "input_payload", label)
        assert.strictEqual(parentOf(result), CALLER, label)
      })
    )
  }

  it.effect("the execution's own checkpoint wins over the caller's context", () =>
    Effect.gen(function* () {
      const input = { _datadog: ddHeaders(CALLER) }
      const { result } = yield* readEvent(durableEvent([executionOp(input), checkpointOp(0, ddHeaders(ANCHOR))]))
      assert.strictEqual(result.source, "checkpoint")
    })
  )

  it.effect("a state that could not be read in full never lets the input's context take over", () =>
    Effect.gen(function* () {
      const input = { _datadog: ddHeaders(CALLER) }
      const lambdaContext = { clientContext: { custom: { _datadog: ddHeaders(CALLER) } } }
      for (const layer of [{ failPage: new Error("throttled") }, { pages: { m2: page([], "m2") } }]) {
        const { result, increments } = yield* readEvent(durableEvent([executionOp(input)], "m2"), {
          ...layer,
          lambdaContext
        })
        assert.strictEqual(result.source, "none")
        assert.deepStrictEqual(
          increments.map((i) => i.location),
          ["page_state"]
        )
      }
      // Read in full and provably without a checkpoint: the caller's context is continued.
      const { result } = yield* readEvent(durableEvent([executionOp(input)], "m2"), { pages: { m2: page([]) } })
      assert.strictEqual(result.source, "input_payload")
    })
  )

  it.effect("a user step named _datadog_0 holding a trace context is not continued", () =>
    Effect.gen(function* () {
      const { result, increments } = yield* readEvent(
        durableEvent([executionOp(), stepOp("_datadog_0", JSON.stringify(ddHeaders(CALLER)))])
      )
      assert.strictEqual(result.source, "none")
      assert.deepStrictEqual(
        increments.map((i) => [i.location, i.errorType]),
        [["read_checkpoint", "not a checkpoint id"]]
      )
    })
  )

  it.effect("an invalid caller context is not continued", () =>
    Effect.gen(function* () {
      const input = { _datadog: { "x-datadog-trace-id": "0", "x-datadog-parent-id": "1" } }
      const { result } = yield* readEvent(durableEvent([executionOp(input)]))
      assert.strictEqual(result.source, "none")
    })
  )

  it.effect("the user extractor comes first; a throwing one counts extract and falls through", () =>
    Effect.gen(function* () {
      const event = durableEvent([executionOp(), checkpointOp(0, ddHeaders(ANCHOR))])
      const first = yield* readEvent(event, { extractor: () => ({ _ignored: 1, ...ddHeaders("77") }) })
      assert.strictEqual(first.result.source, "extractor")
      assert.strictEqual(parentOf(first.result), "77")
      const throwing = yield* readEvent(event, {
        extractor: () => {
          throw new Error("user bug")
        }
      })
      assert.strictEqual(throwing.result.source, "checkpoint")
      assert.deepStrictEqual(
        throwing.increments.map((i) => i.location),
        ["extract"]
      )
    })
  )

  it.effect("a backend that throws on extract counts extract and moves on", () =>
    Effect.gen(function* () {
      const { result, increments } = yield* readEvent(
        durableEvent([executionOp(), checkpointOp(0, ddHeaders(ANCHOR))]),
        {
          failExtract: new Error("boom")
        }
      )
      assert.strictEqual(result.source, "none")
      assert.isTrue(increments.length > 0 && increments.every((i) => i.location === "extract"))
    })
  )

  it.effect("event-source carriers for plain (non-durable) events", () =>
    Effect.gen(function* () {
      const sqs = {
        Records: [{ messageAttributes: { _datadog: { stringValue: JSON.stringify(ddHeaders("11")) } } }]
      }
      const sns = {
        Records: [
          { Sns: { MessageAttributes: { _datadog: { Type: "Binary", Value: btoa(JSON.stringify(ddHeaders("12"))) } } } }
        ]
      }
      const kinesis = { Records: [{ kinesis: { data: btoa(JSON.stringify({ _datadog: ddHeaders("13") })) } }] }
      const http = {
        headers: { "X-Datadog-Trace-Id": ddHeaders("14")["x-datadog-trace-id"], "X-Datadog-Parent-Id": "14" }
      }
      const eventBridge = { detail: { _datadog: ddHeaders("15") } }
      for (const [event, parent] of [
        [sqs, "11"],
        [sns, "12"],
        [kinesis, "13"],
        [http, "14"],
        [eventBridge, "15"]
      ] as const) {
        const { result } = yield* readEvent(event)
        assert.strictEqual(result.source, "event", parent)
        assert.strictEqual(parentOf(result), parent)
      }
    })
  )

  it.effect("Lambda client context, then none", () =>
    Effect.gen(function* () {
      const withContext = yield* readEvent(durableEvent([executionOp()]), {
        lambdaContext: { clientContext: { custom: { _datadog: ddHeaders("21") } } }
      })
      assert.strictEqual(withContext.result.source, "client_context")
      const bare = yield* readEvent(durableEvent([executionOp()]), { lambdaContext: {} })
      assert.deepStrictEqual(bare.result.source, "none")
      assert.isTrue(Option.isNone(bare.result.context))
    })
  )

  it.effect("reads a checkpoint for the right execution only through its own log", () =>
    Effect.gen(function* () {
      const { result } = yield* readEvent({
        ...durableEvent([executionOp(), checkpointOp(0, ddHeaders(ANCHOR))]),
        DurableExecutionArn: ARN
      })
      assert.strictEqual(result.source, "checkpoint")
    })
  )
})
