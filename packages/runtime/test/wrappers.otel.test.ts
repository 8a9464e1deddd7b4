/**
 * With OpenTelemetry's Lambda instrumentation (issue 18): `AwsLambdaInstrumentation` registered on a
 * `NodeTracerProvider` with the in-memory exporter, as a NodeSDK or the ADOT layer registers it, patching the
 * handler module when it is required. With durable-trace's `eventContextExtractor`, one invocation span per
 * invocation (the instrumentation's), one trace, durable-trace's spans under it, no second invocation span.
 */
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import type { BackendLayer } from "@durable-trace/adapters/Backend"
import { assert, describe, it } from "@effect/vitest"
import { AwsLambdaInstrumentation } from "@opentelemetry/instrumentation-aws-lambda"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { captureConsoleLog, runOnce } from "./support.ts"

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "lambda")
// What Lambda sets, and the instrumentation reads when it is constructed.
process.env.LAMBDA_TASK_ROOT = FIXTURES
process.env._HANDLER = "otel-handler.handler"

const exporter = new InMemorySpanExporter()
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
provider.register()

const OpenTelemetry = await import("@durable-trace/adapters/OpenTelemetry")
const { withDurableTracing } = await import("../src/withDurableTracing.ts")
type InvocationSummary = import("../src/withDurableTracing.ts").InvocationSummary
const OpenTelemetryExtractor = await import("../src/OpenTelemetryExtractor.ts")
const { eventContextExtractor } = OpenTelemetryExtractor
const { WORKFLOWS } = await import("./workflows.ts")
process.env.DURABLE_TRACE_BACKEND = "opentelemetry"
const { durableExecutionPluginProvider } = await import("../src/PluginProvider.ts")
const { withDurableExecution } = await import("@aws/durable-execution-sdk-js")

const INSTRUMENTATION = "@opentelemetry/instrumentation-aws-lambda"
const HANDLER = Symbol.for("@durable-trace/test/otel-handler")
const require = createRequire(import.meta.url)
const steady = WORKFLOWS.find((w) => w.name === "steady state: suspends twice")!

/** Requires the handler module fresh, so the instrumentation patches it as Lambda's runtime would load it. */
const patchedHandler = (traced: unknown): ((event: unknown, context: unknown) => Promise<unknown>) => {
  const file = join(FIXTURES, "otel-handler.cjs")
  delete require.cache[file]
  ;(globalThis as Record<symbol, unknown>)[HANDLER] = traced
  return (require(file) as { handler: (event: unknown, context: unknown) => Promise<unknown> }).handler
}

interface PagedEvent {
  readonly InitialExecutionState?: { Operations?: Array<{ Name?: string }>; NextMarker?: string }
  readonly durableExecutionClient?: {
    getExecutionState: (params: { Marker?: string }, ...rest: Array<unknown>) => Promise<unknown>
  }
}

const SECOND_PAGE = "durable-trace-test-page-2"

/**
 * Moves the checkpoints of a resumed invocation's event to a second page, served by the event's own client, as
 * the service does for a long execution: the SDK and durable-trace's reader page to it, a synchronous hook cannot.
 */
const checkpointsOnPageTwo = (event: PagedEvent): void => {
  const state = event.InitialExecutionState
  const client = event.durableExecutionClient
  const moved = state?.Operations?.filter((op) => op.Name?.startsWith("_datadog_")) ?? []
  if (state?.Operations === undefined || client === undefined || moved.length === 0) return
  state.Operations = state.Operations.filter((op) => !moved.includes(op))
  state.NextMarker = SECOND_PAGE
  const page = client.getExecutionState.bind(client)
  client.getExecutionState = async (params, ...rest) =>
    params.Marker === SECOND_PAGE ? { Operations: moved } : page(params, ...rest)
}

const run = async (options: {
  readonly ours: boolean
  readonly pluginOnly?: boolean
  readonly payload?: unknown
  readonly checkpointsOnPageTwo?: boolean
  /** The backend both are given: `withDurableTracing` and `OpenTelemetryExtractor.make({ backend })`. */
  readonly shared?: BackendLayer
}) => {
  const extractor =
    options.shared === undefined ? eventContextExtractor : OpenTelemetryExtractor.make({ backend: options.shared })
  const instrumentation = new AwsLambdaInstrumentation(options.ours ? { eventContextExtractor: extractor } : {})
  instrumentation.setTracerProvider(provider)
  exporter.reset()
  try {
    const { result: run, logged } = await captureConsoleLog(async () => {
      const summaries: Array<InvocationSummary> = []
      const patched = patchedHandler(
        options.pluginOnly
          ? withDurableExecution(steady.make({}), { plugins: [durableExecutionPluginProvider.createPlugin()] })
          : withDurableTracing(steady.make({}), {
              backend: options.shared ?? OpenTelemetry.layer(),
              onInvocation: (summary) => summaries.push(summary)
            })
      )
      const handler = (event: PagedEvent, context: unknown) => {
        if (options.checkpointsOnPageTwo) checkpointsOnPageTwo(event)
        return patched(event, context)
      }
      const result = await runOnce(handler, steady, options.payload)
      return { result, summaries, spans: exporter.getFinishedSpans() }
    })
    return { ...run, warnings: logged.filter((l) => l.includes("durable-trace: ")) }
  } finally {
    instrumentation.disable()
  }
}

const invocationSpans = (spans: ReadonlyArray<ReadableSpan>) =>
  spans.filter((s) => s.instrumentationScope.name === INSTRUMENTATION)
const named = (spans: ReadonlyArray<ReadableSpan>, name: string) => spans.filter((s) => s.name === name)
const byStart = (a: ReadableSpan, b: ReadableSpan) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]

describe("with OpenTelemetry's AwsLambdaInstrumentation and durable-trace's eventContextExtractor", () => {
  it("one invocation span per invocation (the instrumentation's), one trace, durable-trace's spans under it", async () => {
    const { result, spans, warnings } = await run({ ours: true })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const invocations = result.getInvocations().length
    assert.isAtLeast(invocations, 3)

    const theirs = invocationSpans(spans).sort(byStart)
    assert.strictEqual(theirs.length, invocations, "exactly one invocation span per invocation")
    assert.deepStrictEqual(named(spans, "aws.lambda"), [], "durable-trace opened no invocation span of its own")
    assert.strictEqual(new Set(spans.map((s) => s.spanContext().traceId)).size, 1, "every span in one trace")

    const invocationIds = new Set(theirs.map((s) => s.spanContext().spanId))
    const executes = named(spans, "aws.durable.execute").sort(byStart)
    assert.strictEqual(executes.length, invocations)
    for (const execute of executes) {
      assert.isTrue(invocationIds.has(execute.parentSpanContext?.spanId ?? ""), "execute under the invocation span")
    }
    const anchor = executes[0]!.spanContext().spanId
    for (const resumed of theirs.slice(1)) {
      assert.strictEqual(resumed.parentSpanContext?.spanId, anchor, "resumed invocations under the anchor")
      assert.strictEqual(resumed.attributes["durable_trace.context_source"], "checkpoint")
    }
    assert.deepStrictEqual(warnings, [], "a correct setup warns about nothing")
  })

  it("the extractor and the wrapper given one backend layer build it once, for every invocation", async () => {
    let builds = 0
    const counted = Layer.unwrap(
      Effect.sync(() => {
        builds++
        return OpenTelemetry.layer()
      })
    )
    const { result, spans } = await run({ ours: true, shared: counted })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const invocations = result.getInvocations().length
    assert.isAtLeast(invocations, 3)
    assert.strictEqual(builds, 1, "one build: the extractor runs on the wrapped handler's container runtime")
    const theirs = invocationSpans(spans).sort(byStart)
    assert.strictEqual(theirs.length, invocations)
    assert.strictEqual(new Set(spans.map((s) => s.spanContext().traceId)).size, 1, "one trace")
    const anchor = named(spans, "aws.durable.execute").sort(byStart)[0]!.spanContext().spanId
    for (const resumed of theirs.slice(1)) assert.strictEqual(resumed.parentSpanContext?.spanId, anchor)
  })

  it("without our extractor: still one invocation span each, but every invocation a new trace, and a warning once", async () => {
    const { result, spans, warnings } = await run({ ours: false })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const invocations = result.getInvocations().length
    assert.strictEqual(invocationSpans(spans).length, invocations)
    assert.deepStrictEqual(named(spans, "aws.lambda"), [])
    assert.strictEqual(new Set(spans.map((s) => s.spanContext().traceId)).size, invocations)
    assert.strictEqual(warnings.length, 1, "one warning, at cold start")
    assert.include(warnings[0], "eventContextExtractor")
  })

  it("the plugin alone (DURABLE_EXECUTION_PLUGINS mode) puts its execute spans under the invocation span", async () => {
    // A caller's context in the input: the instrumentation's span continues it, and the plugin must not bypass it.
    const caller = { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }
    const { result, spans } = await run({ ours: true, pluginOnly: true, payload: { _datadog: caller } })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const theirs = invocationSpans(spans)
    assert.strictEqual(theirs.length, result.getInvocations().length)
    const executes = named(spans, "aws.durable.execute")
    assert.strictEqual(executes.length, theirs.length)
    const invocationIds = new Set(theirs.map((s) => s.spanContext().spanId))
    for (const execute of executes) {
      assert.isTrue(invocationIds.has(execute.parentSpanContext?.spanId ?? ""), "execute under the invocation span")
    }
    assert.strictEqual(theirs[0]?.parentSpanContext?.spanId, "00f067aa0ba902b7", "the caller's context, read by us")
  })

  it("a checkpoint only past page 1: the synchronous hook cannot reach it, durable-trace still reads every page", async () => {
    const { result, spans, summaries } = await run({ ours: true, checkpointsOnPageTwo: true })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const theirs = invocationSpans(spans).sort(byStart)
    assert.strictEqual(theirs.length, result.getInvocations().length)
    // The documented limit: the instrumentation starts these spans before any page can be read.
    for (const resumed of theirs.slice(1)) assert.isUndefined(resumed.parentSpanContext, "a new trace")
    // What withDurableTracing read itself, every page, since the hook's read was incomplete.
    assert.deepStrictEqual(
      summaries.map((s) => s.read?.source),
      ["none", "checkpoint", "checkpoint"]
    )
    assert.deepStrictEqual(named(spans, "aws.lambda"), [], "still no second invocation span")
  })
})
