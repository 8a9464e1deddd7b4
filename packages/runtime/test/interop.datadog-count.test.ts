/**
 * Their writer, our reader, and the invocation count (SPEC §11): a checkpoint dd-trace's built-in durable
 * integration wrote carries no invocation number, so durable-trace continuing it knows the trace but not how many
 * invocations came before, and tags no count. Its own file: dd-trace's integration keeps per-process state of the
 * executions it wrote for, and the local runner's ARNs repeat.
 */

import { assert, describe, it } from "@effect/vitest"
import { LocalDurableTestRunner, sdk, tracer } from "./ddtrace.builtin.ts"
import { captureStdout, exportedSpans } from "./support.ts"

const DdTrace = await import("@durable-trace/adapters/DdTrace")
const { withDurableTracing } = await import("../src/withDurableTracing.ts")

describe("interop: dd-trace's checkpoint, durable-trace's count", () => {
  it("a checkpoint dd-trace wrote carries no number: the count stays unknown, no tag is guessed", async () => {
    // The first invocation runs under dd-trace's built-in integration alone (it writes _datadog_0, Datadog's form);
    // the later ones run under durable-trace, which continues it but cannot know how many invocations came before.
    const workflow = async (_event: unknown, ctx: import("@aws/durable-execution-sdk-js").DurableContext) => {
      await ctx.step("reserve", async () => "ok")
      await ctx.wait("pause", { seconds: 1 })
      await ctx.step("charge", async () => "charged")
      await ctx.wait("cool-off", { seconds: 2 })
      return ctx.step("ship", async () => "shipped")
    }
    const theirs = sdk.withDurableExecution(workflow)
    // dd-trace's integration stays on for the first invocation: durable-trace's SDK copy (ESM) is not the one it hooks.
    const ours = withDurableTracing(workflow, {
      backend: DdTrace.layer(tracer, { disableBuiltInDurablePlugin: false }),
      handlerName: "orders"
    })
    let calls = 0
    const handler = (event: unknown, context: unknown) =>
      calls++ === 0 ? theirs(event as never, context as never) : ours(event as never, context as never)
    await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
    const { result, lines } = await captureStdout(async () => {
      try {
        return await new LocalDurableTestRunner({ handlerFunction: handler as never }).run({ payload: {} })
      } finally {
        await LocalDurableTestRunner.teardownTestEnvironment()
      }
    })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    assert.strictEqual(result.getInvocations().length, 3)
    const payloadOf = (name: string) =>
      result
        .getOperations()
        .find((op) => op.getName() === name)
        ?.getStepDetails()?.result as Record<string, string> | undefined
    const datadogs = payloadOf("_datadog_0")
    assert.isDefined(datadogs, "dd-trace's integration wrote _datadog_0")
    assert.notInclude(datadogs?.tracestate ?? "", "durabletrace", "Datadog's checkpoint has no member of ours")

    const spans = exportedSpans(lines)
    const execution = spans.filter((s) => s.name === "aws.durable.execution")
    assert.strictEqual(execution.length, 1, "durable-trace ended the execution")
    assert.notProperty(execution[0]!.metrics, "aws.durable.invocation_count")
    assert.notProperty(execution[0]!.meta, "aws.durable.invocation_count")
    const lambdas = spans.filter((s) => s.name === "aws.lambda" && s.meta["durable_trace.context_source"] !== undefined)
    assert.strictEqual(lambdas.length, 2, "durable-trace's invocation spans: the second and third")
    for (const span of lambdas) {
      assert.strictEqual(span.meta["durable_trace.context_source"], "checkpoint", "Datadog's checkpoint continued")
      assert.notProperty(span.metrics, "aws.durable.invocation_number")
    }
    // What durable-trace wrote on from there carries no number either: none is invented.
    const ourWrite = payloadOf("_datadog_1")
    assert.isDefined(ourWrite)
    assert.notInclude(ourWrite?.tracestate ?? "", "n:")
  })
})
