/**
 * Their writer, our reader (issue 5): checkpoints written by dd-trace's built-in durable integration are
 * continued by durable-trace's reader. dd-trace hooks `require` once initialised, so the SDK is loaded through
 * `require` after `init()` (a plain CommonJS Lambda does exactly that).
 */

import * as Checkpoint from "@durable-trace/core/Checkpoint"
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import * as DurableEvent from "@durable-trace/core/DurableEvent"
import * as Reader from "@durable-trace/core/Reader"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { LocalDurableTestRunner, sdk, tracer } from "./ddtrace.builtin.ts"
import { captureStdout } from "./support.ts"

const DdTrace = await import("@durable-trace/adapters/DdTrace")

describe("interop: dd-trace's writer, durable-trace's reader", () => {
  it("continues the trace from a checkpoint dd-trace's built-in integration wrote", async () => {
    const events: Array<unknown> = []
    const durable = sdk.withDurableExecution(async (_event: unknown, ctx) => {
      await ctx.step("reserve", async () => "ok")
      await ctx.wait("pause", { seconds: 2 })
      return "done"
    })
    const handler = (event: unknown, context: unknown) => {
      events.push(structuredClone({ ...(event as object), durableExecutionClient: undefined }))
      return durable(event as never, context as never)
    }
    await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
    const { result } = await captureStdout(async () => {
      try {
        return await new LocalDurableTestRunner({ handlerFunction: handler as never }).run({ payload: {} })
      } finally {
        await LocalDurableTestRunner.teardownTestEnvironment()
      }
    })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const checkpoint = result.getOperations().find((op) => op.getName() === "_datadog_0")
    assert.isDefined(checkpoint, "dd-trace's integration wrote _datadog_0")
    const payload = checkpoint!.getStepDetails()?.result as Record<string, string>
    // Datadog's JS writer: datadog headers only, no sampling priority (SPEC §9).
    assert.isUndefined(payload["x-datadog-sampling-priority"])

    const resumed = events[1]!
    // The id dd-trace's writer leaves on the wire is the one form of it the reader accepts (SPEC §2).
    const executionArn = Option.getOrThrow(DurableEvent.executionArn(resumed))
    assert.strictEqual(checkpoint!.getId(), Checkpoint.ddTraceJsOperationId("_datadog_0", executionArn))

    const read = await Effect.runPromise(
      Effect.gen(function* () {
        const log = yield* CheckpointLog.make(resumed, Option.getOrThrow(DurableEvent.executionArn(resumed)))
        return yield* Reader.read(resumed, undefined, { log })
      }).pipe(Effect.provide(Layer.merge(DdTrace.layer(tracer), CheckpointStore.layerTest())))
    )
    assert.strictEqual(read.source, "checkpoint")
    const context = Option.getOrThrow(read.context)
    assert.strictEqual(BigInt(`0x${context.spanId}`).toString(10), payload["x-datadog-parent-id"])
    assert.strictEqual(BigInt(`0x${context.traceId.slice(16)}`).toString(10), payload["x-datadog-trace-id"])
  })
})
