/**
 * Our writer, their reader (issue 5): a workflow wrapped by datadog-lambda-js's `datadog()` continues one trace
 * across invocations from durable-trace's checkpoints. datadog-lambda-js's durable extractor reads
 * `_datadog_{N}` on every invocation; our checkpoint must be what it continues.
 */
import "./ddtrace.offline.ts"
import "./datadog-lambda.offline.ts"

import { createRequire } from "node:module"
import { assert, describe, it } from "@effect/vitest"
import { captureStdout, checkpointOperation, exportedSpans, runOnce } from "./support.ts"

const require = createRequire(import.meta.url)
const tracer = require("dd-trace") as typeof import("dd-trace").default
tracer.init()
const { datadog } = require("datadog-lambda-js") as {
  datadog: <H>(handler: H) => H
}
const { LocalDurableTestRunner, WaitingOperationStatus } = await import("@aws/durable-execution-sdk-js-testing")
const DdTrace = await import("@durable-trace/adapters/DdTrace")
const { withDurableTracing } = await import("../src/withDurableTracing.ts")

/** The headers a run's checkpoint `name` holds, as the service stored them. */
const checkpointPayload = (
  result: { getOperations: () => ReadonlyArray<{ getName: () => string | undefined; getStepDetails: () => unknown }> },
  name: string
) =>
  (
    result
      .getOperations()
      .find((op) => op.getName() === name)
      ?.getStepDetails() as { result?: unknown } | undefined
  )?.result as Record<string, string> | undefined

interface DurableEventLike {
  readonly DurableExecutionArn: string
  readonly CheckpointToken: string
  InitialExecutionState: { readonly Operations: ReadonlyArray<{ readonly Name?: string }> }
}

describe("interop: durable-trace's writer, datadog-lambda-js's reader", () => {
  it("datadog() continues one trace across invocations from our checkpoint", async () => {
    const handler = datadog(
      withDurableTracing(
        async (_event: unknown, ctx) => {
          await ctx.step("reserve", async () => "ok")
          await ctx.wait("pause", { seconds: 2 })
          return ctx.step("ship", async () => "shipped")
        },
        { backend: DdTrace.layer(tracer) }
      )
    )
    const { result, lines } = await captureStdout(() => runOnce(handler, {}))
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const checkpoint = result.getOperations().find((op) => op.getName() === "_datadog_0")
    assert.isDefined(checkpoint, "durable-trace wrote _datadog_0")
    const payload = checkpoint!.getStepDetails()?.result as Record<string, string> | undefined
    const anchor = payload?.["x-datadog-parent-id"]
    assert.isDefined(anchor)

    const spans = exportedSpans(lines)
    // datadog-lambda-js's own aws.lambda spans are the ones without our context-source tag.
    const theirs = spans.filter((s) => s.name === "aws.lambda" && s.meta["durable_trace.context_source"] === undefined)
    assert.strictEqual(theirs.length, 2, "one datadog-lambda-js aws.lambda per invocation")
    const [first, resumed] = theirs
    assert.strictEqual(resumed!.trace_id, first!.trace_id, "the resumed invocation continues the first's trace")
    assert.strictEqual(BigInt(`0x${resumed!.parent_id}`).toString(10), anchor, "parented on our anchor")
    assert.strictEqual(new Set(spans.map((s) => s.trace_id)).size, 1, "every span in one trace")
  })

  it("numbered checkpoints: datadog() continues every invocation, the execution span counts them", async () => {
    // Continuous mode writes one checkpoint per suspending invocation now, each with its number in our own
    // tracestate member: datadog-lambda-js must continue each one from the same anchor.
    const handler = datadog(
      withDurableTracing(
        async (_event: unknown, ctx) => {
          await ctx.step("reserve", async () => "ok")
          await ctx.wait("pause", { seconds: 1 })
          await ctx.step("charge", async () => "charged")
          await ctx.wait("cool-off", { seconds: 2 })
          await ctx.step("pack", async () => "packed")
          await ctx.wait("hand-over", { seconds: 3 })
          return ctx.step("ship", async () => "shipped")
        },
        { backend: DdTrace.layer(tracer) }
      )
    )
    const { result, lines } = await captureStdout(() => runOnce(handler, {}))
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const count = result.getInvocations().length
    assert.strictEqual(count, 4)
    const anchor = checkpointPayload(result, "_datadog_0")?.["x-datadog-parent-id"]
    assert.isDefined(anchor)
    for (let n = 0; n < count - 1; n++) {
      const payload = checkpointPayload(result, `_datadog_${n}`)
      assert.strictEqual(payload?.["x-datadog-parent-id"], anchor, `_datadog_${n} keeps the anchor`)
      assert.include(payload?.tracestate ?? "", `durabletrace=n:${n + 1}`, `_datadog_${n} carries its number`)
    }

    const spans = exportedSpans(lines)
    const theirs = spans.filter((s) => s.name === "aws.lambda" && s.meta["durable_trace.context_source"] === undefined)
    assert.strictEqual(theirs.length, count, "one datadog-lambda-js aws.lambda per invocation")
    const [first, ...resumed] = theirs
    for (const span of resumed) {
      assert.strictEqual(span.trace_id, first!.trace_id, "datadog() continues the anchor's trace")
      assert.strictEqual(BigInt(`0x${span.parent_id}`).toString(10), anchor, "parented on our anchor")
    }
    assert.deepStrictEqual(
      theirs.map((span) => span.metrics["aws.durable.invocation_number"]),
      [1, 2, 3, 4],
      "their invocation span, which durable-trace adopts, carries the number"
    )
    const execution = spans.filter((s) => s.name === "aws.durable.execution")
    assert.strictEqual(execution.length, 1)
    assert.strictEqual(execution[0]!.metrics["aws.durable.invocation_count"], count)
  })

  it("a corrupt latest checkpoint is healed, so datadog() continues the trace again", async () => {
    // A broken writer's `_datadog_1` (our id, a payload that is no JSON) sits above our `_datadog_0` in every
    // event from the second invocation on. datadog-lambda-js reads only the highest N: it loses the trace in the
    // second invocation; our writer then writes the context again as `_datadog_2`, and the third continues it.
    const traced = datadog(
      withDurableTracing(
        async (_event: unknown, ctx) => {
          await ctx.step("reserve", async () => "ok")
          await ctx.wait("pause", { seconds: 2 })
          await ctx.step("charge", async () => "charged")
          // Completed from outside: the invocation must suspend for it.
          await ctx.waitForCallback("approve", async () => {})
          return ctx.step("ship", async () => "shipped")
        },
        // datadog-lambda-js's own durable extractor must stay the one its aws.lambda uses (the reader under test),
        // while durable-trace's writer follows its own reader: durable-trace opens its own aws.lambda. Under
        // datadog() in the default (`auto`) mode without durable-trace's extractor, the writer would follow
        // Datadog's lost trace and rightly refuse to write another trace over the checkpoint's.
        { backend: DdTrace.layer(tracer), invocationSpan: "standalone" }
      )
    )
    const handler = (event: DurableEventLike, context: unknown) => {
      const state = event.InitialExecutionState
      if (state.Operations.some((op) => op.Name === "_datadog_0")) {
        const corrupt = checkpointOperation(1, event.DurableExecutionArn, "{not json", 1)
        event.InitialExecutionState = { ...state, Operations: [...state.Operations, corrupt] }
      }
      return traced(event as never, context as never)
    }
    await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
    const { result, lines } = await captureStdout(async () => {
      try {
        const runner = new LocalDurableTestRunner({ handlerFunction: handler as never })
        const approve = async () => {
          const operation = runner.getOperation("approve")
          await operation.waitForData(WaitingOperationStatus.SUBMITTED)
          await operation.sendCallbackSuccess(JSON.stringify({ ok: true }))
        }
        const [run] = await Promise.all([runner.run({ payload: {} }), approve()])
        return run
      } finally {
        await LocalDurableTestRunner.teardownTestEnvironment()
      }
    })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const payloadOf = (name: string) => checkpointPayload(result, name)
    const anchor = payloadOf("_datadog_0")?.["x-datadog-parent-id"]
    assert.isDefined(anchor)
    assert.strictEqual(payloadOf("_datadog_2")?.["x-datadog-parent-id"], anchor, "healed with the same anchor")

    const spans = exportedSpans(lines)
    const theirs = spans.filter((s) => s.name === "aws.lambda" && s.meta["durable_trace.context_source"] === undefined)
    assert.strictEqual(theirs.length, 3, "one datadog-lambda-js aws.lambda per invocation")
    const [first, , third] = theirs
    assert.strictEqual(third!.trace_id, first!.trace_id, "the third invocation continues the first's trace")
    assert.strictEqual(BigInt(`0x${third!.parent_id}`).toString(10), anchor, "parented on our anchor")
  })

  it("linked mode: datadog() still continues the anchor from checkpoints that name the previous invocation", async () => {
    // Linked checkpoints keep the anchor's context and add one tracestate member: datadog-lambda-js's durable
    // extractor must accept them and continue the anchor, invocation after invocation.
    const handler = datadog(
      withDurableTracing(
        async (_event: unknown, ctx) => {
          await ctx.step("reserve", async () => "ok")
          await ctx.wait("pause", { seconds: 2 })
          await ctx.step("charge", async () => "charged")
          await ctx.wait("cool-off", { seconds: 3 })
          return ctx.step("ship", async () => "shipped")
        },
        { backend: DdTrace.layer(tracer), invocationSpan: "standalone", traceMode: "linked" }
      )
    )
    const { result, lines } = await captureStdout(() => runOnce(handler, {}))
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const payloadOf = (name: string) => checkpointPayload(result, name)
    const anchor = payloadOf("_datadog_0")?.["x-datadog-parent-id"]
    const linked = payloadOf("_datadog_1")
    assert.isDefined(anchor)
    assert.strictEqual(linked?.["x-datadog-parent-id"], anchor, "the linked checkpoint keeps the anchor")
    assert.match(
      linked?.tracestate ?? "",
      /durabletrace=n:2;l:[0-9a-f]{32}-[0-9a-f]{16}/,
      "and names the previous one, with its number"
    )

    const spans = exportedSpans(lines)
    const theirs = spans.filter((s) => s.name === "aws.lambda" && s.meta["durable_trace.context_source"] === undefined)
    assert.strictEqual(theirs.length, 3, "one datadog-lambda-js aws.lambda per invocation")
    const [first, ...resumed] = theirs
    for (const span of resumed) {
      assert.strictEqual(span.trace_id, first!.trace_id, "datadog() continues the anchor's trace")
      assert.strictEqual(BigInt(`0x${span.parent_id}`).toString(10), anchor, "parented on our anchor")
    }
    // Ours: one trace per invocation.
    const ours = spans.filter((s) => s.name === "aws.lambda" && s.meta["durable_trace.context_source"] !== undefined)
    assert.strictEqual(new Set(ours.map((s) => s.trace_id)).size, 3)
  })
})
