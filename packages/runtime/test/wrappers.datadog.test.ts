/**
 * With datadog-lambda-js (issue 18): `datadog()` around `withDurableTracing`, durable-trace's reader as its custom
 * trace extractor, dd-trace's log exporter. One `aws.lambda` per invocation (Datadog's), one trace, resumed
 * invocations under the anchor, every checkpoint written once by one writer, and a corrupt latest checkpoint
 * skipped because our extractor runs before datadog-lambda-js's own.
 */
import "./ddtrace.offline.ts"
import "./datadog-lambda.offline.ts"

import { createRequire } from "node:module"
import type { BackendLayer } from "@durable-trace/adapters/Backend"
import * as DurableMember from "@durable-trace/core/DurableMember"
import * as Headers from "@durable-trace/core/Headers"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import {
  captureConsoleLog,
  captureStdout,
  type ExportedSpan,
  exportedSpans,
  runOnce,
  stepOperation
} from "./support.ts"
import { WORKFLOWS } from "./workflows.ts"

const require = createRequire(import.meta.url)
// Before `tracer.init()`: dd-trace's own hook on datadog-lambda-js (6.21) re-wraps `datadog` and drops its second
// argument, the config that carries `traceExtractor`.
const { datadog } = require("datadog-lambda-js") as {
  datadog: <H>(handler: H, config?: { readonly traceExtractor?: unknown }) => H
}
const tracer = require("dd-trace") as typeof import("dd-trace").default
tracer.init()
const DdTrace = await import("@durable-trace/adapters/DdTrace")
const { withDurableTracing } = await import("../src/withDurableTracing.ts")
const DatadogExtractor = await import("../src/DatadogExtractor.ts")

/** Three invocations: a wait, then a callback completed from outside. */
const steady = WORKFLOWS.find((w) => w.name === "steady state: suspends twice")!

interface Event {
  readonly InitialExecutionState?: { Operations?: Array<Record<string, unknown>> }
}

/** A checkpoint above every real one whose payload is not JSON: what a crashed or foreign writer can leave. */
const CORRUPT = stepOperation("_datadog_7", "c".repeat(32), "{not json")

const run = async (options: {
  readonly ours: boolean
  readonly corruptLatest?: boolean
  readonly invocationSpan?: "standalone" | undefined
  readonly keepBuiltInWriter?: boolean
  /** The backend both are given: `withDurableTracing` and `DatadogExtractor.make({ backend })`. */
  readonly shared?: BackendLayer
}) => {
  const backend = options.shared ?? DdTrace.layer(tracer, { disableBuiltInDurablePlugin: !options.keepBuiltInWriter })
  const traceExtractor =
    options.shared === undefined ? DatadogExtractor.traceExtractor : DatadogExtractor.make({ backend: options.shared })
  const wrapped = datadog(
    withDurableTracing(steady.make({}), { backend, invocationSpan: options.invocationSpan }),
    options.ours ? { traceExtractor } : {}
  )
  const handler = async (event: Event, context: unknown) => {
    const operations = event.InitialExecutionState?.Operations
    if (options.corruptLatest && operations?.some((op) => op.Name === "_datadog_0")) operations.push(CORRUPT)
    return (wrapped as unknown as (event: Event, context: unknown) => Promise<unknown>)(event, context)
  }
  // Effect's default logger, which the warnings go through, writes with `console.log`.
  const {
    result: { result, lines },
    logged
  } = await captureConsoleLog(() => captureStdout(() => runOnce(handler, steady)))
  const spans = exportedSpans(lines)
  const checkpoints = result.getOperations().filter((op) => op.getName()?.startsWith("_datadog_"))
  const anchorDecimal = (
    checkpoints.find((op) => op.getName() === "_datadog_0")?.getStepDetails()?.result as
      | Record<string, string>
      | undefined
  )?.["x-datadog-parent-id"]
  const anchor = anchorDecimal === undefined ? undefined : BigInt(anchorDecimal).toString(16).padStart(16, "0")
  const warnings = logged.filter((line) => line.includes("durable-trace: "))
  return { result, spans, checkpoints, anchor, warnings }
}

const byName = (spans: ReadonlyArray<ExportedSpan>, name: string) => spans.filter((span) => span.name === name)

describe("with datadog-lambda-js: datadog() and durable-trace's extractor", () => {
  it("one aws.lambda per invocation, one trace, resumed invocations under the anchor, each checkpoint written once", async () => {
    const { result, spans, checkpoints, anchor, warnings } = await run({ ours: true })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const invocations = result.getInvocations().length
    assert.isAtLeast(invocations, 3)

    const lambdas = byName(spans, "aws.lambda")
    assert.strictEqual(lambdas.length, invocations, "exactly one aws.lambda per invocation")
    assert.strictEqual(new Set(spans.map((s) => s.trace_id)).size, 1, "every span in one trace")
    const lambdaIds = new Set(lambdas.map((s) => s.span_id))
    for (const lambda of lambdas) assert.isFalse(lambdaIds.has(lambda.parent_id), "no aws.lambda nested in another")

    const executes = byName(spans, "aws.durable.execute")
    assert.strictEqual(executes.length, invocations)
    for (const execute of executes) assert.isTrue(lambdaIds.has(execute.parent_id), "execute under Datadog's span")

    assert.isDefined(anchor)
    assert.strictEqual(executes[0]!.span_id, anchor, "the anchor is the first invocation's execute span")
    const resumed = lambdas.filter((s) => s.meta["durable_trace.context_source"] === "checkpoint")
    assert.strictEqual(resumed.length, invocations - 1, "every resumed aws.lambda was parented by our reader")
    for (const lambda of resumed) assert.strictEqual(lambda.parent_id, anchor, "resumed under the anchor")

    const names = checkpoints.map((op) => op.getName())
    assert.strictEqual(new Set(names).size, names.length, "no checkpoint name written twice")
    // The trace's propagated state survives datadog-lambda-js's decimal-id rebuild: each resumed invocation's
    // checkpoint says what the first said, but for its number (SPEC §11).
    assert.deepStrictEqual(
      names,
      names.map((_, n) => `_datadog_${n}`)
    )
    const unnumbered = checkpoints.map((op) =>
      Headers.stable(DurableMember.withInvocation(op.getStepDetails()?.result as Record<string, string>, Option.none()))
    )
    for (const stable of unnumbered) assert.deepStrictEqual(stable, unnumbered[0], "nothing but the number changed")
    const tids = new Set(lambdas.map((s) => s.meta["_dd.p.tid"]))
    assert.strictEqual(tids.size, 1, "every invocation's chunk carries the same high 64 trace-id bits")
    assert.isDefined([...tids][0])
    for (const lambda of lambdas) assert.strictEqual(lambda.meta["_dd.p.dm"], "-0", "the decision maker survives")
    for (const op of checkpoints) assert.match(op.getId() ?? "", /^[0-9a-f]{32}$/, "only durable-trace's writer")
    assert.deepStrictEqual(warnings, [], "a correct setup warns about nothing")
  })

  it("the extractor and the wrapper given one backend layer build it once, for every invocation", async () => {
    let builds = 0
    const counted = Layer.unwrap(
      Effect.sync(() => {
        builds++
        return DdTrace.layer(tracer, { disableBuiltInDurablePlugin: true })
      })
    )
    const { result, spans, anchor } = await run({ ours: true, shared: counted })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    assert.isAtLeast(result.getInvocations().length, 3)
    assert.strictEqual(builds, 1, "one build: the extractor runs on the wrapped handler's container runtime")
    const lambdas = byName(spans, "aws.lambda")
    assert.strictEqual(lambdas.length, result.getInvocations().length)
    assert.strictEqual(new Set(spans.map((s) => s.trace_id)).size, 1, "one trace")
    for (const lambda of lambdas.slice(1)) assert.strictEqual(lambda.parent_id, anchor, "resumed under the anchor")
  })

  it("a corrupt latest checkpoint is skipped: our extractor runs before datadog-lambda-js's", async () => {
    const { result, spans, anchor } = await run({ ours: true, corruptLatest: true })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const lambdas = byName(spans, "aws.lambda")
    assert.strictEqual(lambdas.length, result.getInvocations().length)
    assert.strictEqual(new Set(spans.map((s) => s.trace_id)).size, 1, "the trace survives the corrupt checkpoint")
    for (const lambda of lambdas.slice(1)) assert.strictEqual(lambda.parent_id, anchor, "resumed under the anchor")
  })

  it("without our extractor, datadog-lambda-js's own breaks on that checkpoint, and durable-trace says why once", async () => {
    const { result, spans, warnings } = await run({ ours: false, corruptLatest: true })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    const lambdas = byName(spans, "aws.lambda")
    assert.strictEqual(lambdas.length, result.getInvocations().length, "still one aws.lambda per invocation")
    assert.isAbove(new Set(spans.map((s) => s.trace_id)).size, 1, "their reader stops at the corrupt checkpoint")
    assert.strictEqual(warnings.length, 1, "one warning, at cold start")
    assert.include(warnings[0], "DD_TRACE_EXTRACTOR")
  })

  it("standalone forced under datadog(): two invocation spans, reported once at cold start", async () => {
    const { result, spans, warnings } = await run({ ours: true, invocationSpan: "standalone" })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    assert.strictEqual(byName(spans, "aws.lambda").length, 2 * result.getInvocations().length)
    assert.strictEqual(warnings.length, 1, "one warning for all invocations")
    assert.include(warnings[0], "two")
  })

  it("an extract style list that cannot read the checkpoints is reported once, and changes no outcome", async () => {
    process.env.DD_TRACE_PROPAGATION_STYLE_EXTRACT = "b3multi"
    try {
      const { result, warnings } = await run({ ours: true })
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.strictEqual(warnings.length, 1)
      assert.include(warnings[0], "(b3multi)")
    } finally {
      delete process.env.DD_TRACE_PROPAGATION_STYLE_EXTRACT
    }
  })

  it("dd-trace's built-in writer left on: two writers, reported once", async () => {
    // dd-trace's plugin stays off here (earlier `make` calls turned it off): only the report is under test.
    const { result, warnings } = await run({ ours: true, keepBuiltInWriter: true })
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    assert.strictEqual(warnings.length, 1)
    assert.include(warnings[0], "two writers")
  })
})
