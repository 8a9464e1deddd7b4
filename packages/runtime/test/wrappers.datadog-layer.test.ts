/**
 * With the Datadog layer's handler redirect (issue 18): the function's handler is datadog-lambda-js's
 * `handler.mjs`, which initialises dd-trace, loads `DD_LAMBDA_HANDLER` and `DD_TRACE_EXTRACTOR` from
 * `LAMBDA_TASK_ROOT`, and wraps the one with `datadog(handler, { traceExtractor })`. Exactly as in Lambda, on the
 * local runner with dd-trace's log exporter: one `aws.lambda` per invocation, one trace, under the anchor.
 */
import "./ddtrace.offline.ts"
import "./datadog-lambda.offline.ts"

import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { captureStdout, exportedSpans, runOnce } from "./support.ts"

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "lambda")
process.env.LAMBDA_TASK_ROOT = FIXTURES
process.env.DD_LAMBDA_HANDLER = "dd-layer-handler.handler"
process.env.DD_TRACE_EXTRACTOR = "dd-layer-handler.traceExtractor"

const DdTrace = await import("@durable-trace/adapters/DdTrace")
const { withDurableTracing } = await import("../src/withDurableTracing.ts")
const { traceExtractor } = await import("../src/DatadogExtractor.ts")
const { WORKFLOWS } = await import("./workflows.ts")

const steady = WORKFLOWS.find((w) => w.name === "steady state: suspends twice")!
;(globalThis as Record<symbol, unknown>)[Symbol.for("@durable-trace/test/dd-layer-handler")] = {
  // The layer initialises dd-trace before it loads the handler module: `DdTrace.layerGlobal()` takes that tracer.
  handler: withDurableTracing(steady.make({}), { backend: DdTrace.layerGlobal() }),
  traceExtractor
}
// The layer's entry point: what `handler` of a function using the Datadog layer is set to.
const layerEntry = "datadog-lambda-js/dist/handler.mjs"
const { handler } = (await import(/* @vite-ignore */ layerEntry)) as {
  handler: (event: unknown, context: unknown) => Promise<unknown>
}

describe("with the Datadog layer: DD_LAMBDA_HANDLER and DD_TRACE_EXTRACTOR", () => {
  it("one aws.lambda per invocation (Datadog's), one trace, resumed invocations under the anchor", async () => {
    const { result, lines } = await captureStdout(() => runOnce(handler, steady))
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const invocations = result.getInvocations().length
    assert.isAtLeast(invocations, 3)
    const spans = exportedSpans(lines)
    const lambdas = spans.filter((s) => s.name === "aws.lambda")
    assert.strictEqual(lambdas.length, invocations, "exactly one aws.lambda per invocation")
    assert.isTrue(
      lambdas.every((s) => s.meta.datadog_lambda !== undefined),
      "each is datadog-lambda-js's"
    )
    assert.strictEqual(new Set(spans.map((s) => s.trace_id)).size, 1, "every span in one trace")
    const executes = spans.filter((s) => s.name === "aws.durable.execute")
    const anchor = executes.find((s) => s.meta["aws.durable.replayed"] === "false")?.span_id
    const resumed = lambdas.filter((s) => s.meta["durable_trace.context_source"] === "checkpoint")
    assert.strictEqual(resumed.length, invocations - 1, "every resumed aws.lambda parented by durable-trace's reader")
    for (const lambda of resumed) assert.strictEqual(lambda.parent_id, anchor, "resumed under the anchor")
  })
})
