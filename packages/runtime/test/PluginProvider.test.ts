/**
 * `DURABLE_EXECUTION_PLUGINS` loading, no wrapper: the SDK imports the provider module itself. Spans, log
 * enrichment and reading work; writing does not (no client, no token: SPEC §7).
 */
import { withDurableExecution } from "@aws/durable-execution-sdk-js"
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"
import { assert, describe, it } from "@effect/vitest"
import { context, propagation, trace } from "@opentelemetry/api"
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks"
import { W3CTraceContextPropagator } from "@opentelemetry/core"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { captureStdout } from "./support.ts"

const exporter = new InMemorySpanExporter()
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))
propagation.setGlobalPropagator(new W3CTraceContextPropagator())

process.env.DURABLE_EXECUTION_PLUGINS = new URL("../src/PluginProvider.ts", import.meta.url).href
process.env.DURABLE_TRACE_BACKEND = "opentelemetry"

const CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
const CALLER_SPAN = "00f067aa0ba902b7"

describe("durableExecutionPluginProvider (DURABLE_EXECUTION_PLUGINS)", () => {
  it("is loaded by the SDK: execute and operation spans, the caller's context, enriched logs, no writes", async () => {
    const handler = withDurableExecution(async (_event: unknown, ctx) => {
      await ctx.step("reserve", async (step) => {
        step.logger.info("reserving")
        return "ok"
      })
      await ctx.wait("pause", { seconds: 2 })
      return "done"
    })
    await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
    const { result, lines } = await captureStdout(async () => {
      try {
        return await new LocalDurableTestRunner({ handlerFunction: handler }).run({
          payload: { orderId: "o-1", _datadog: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` } }
        })
      } finally {
        await LocalDurableTestRunner.teardownTestEnvironment()
      }
    })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const spans = exporter.getFinishedSpans()
    const executes = spans.filter((s) => s.name === "aws.durable.execute")
    assert.strictEqual(executes.length, result.getInvocations().length)
    // Both invocations continue the caller's trace read from the input (nothing wrote a checkpoint).
    for (const execute of executes) {
      assert.strictEqual(execute.spanContext().traceId, CALLER_TRACE)
      assert.strictEqual(execute.parentSpanContext?.spanId, CALLER_SPAN)
    }
    const reserve = spans.find((s) => s.name === "aws.durable.step")
    assert.strictEqual(reserve?.parentSpanContext?.spanId, executes[0]!.spanContext().spanId)
    assert.deepStrictEqual(
      result
        .getOperations()
        .map((op) => op.getName())
        .filter((name) => name?.startsWith("_datadog_")),
      []
    )
    const log = lines.map((line) => line.trim()).find((line) => line.includes('"reserving"'))
    assert.isDefined(log)
    const fields = JSON.parse(log!) as Record<string, string>
    const attempt = spans.find(
      (s) => s.name === "aws.durable.attempt" && s.parentSpanContext?.spanId === reserve!.spanContext().spanId
    )
    assert.isDefined(attempt, "the step's attempt, active while it ran")
    assert.strictEqual(fields["dd.span_id"], BigInt(`0x${attempt!.spanContext().spanId}`).toString(10))
  })
})
