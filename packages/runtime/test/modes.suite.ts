/**
 * Trace modes and whole-execution sampling (SPEC §11), run once per backend with its real engine on the local
 * runner: in linked mode one trace per invocation whose links resolve to the anchor (the first invocation's
 * execute span) and to the previous invocation's execute span; with a sampling ratio every span of an execution,
 * over six invocations, shares one decision, the one `Sampling.keep` gives its ARN.
 */
import type { DurableExecutionHandler } from "@aws/durable-execution-sdk-js"
import * as Sampling from "@durable-trace/core/Sampling"
import { assert, describe, it } from "@effect/vitest"
import { type InvocationSummary, withDurableTracing } from "../src/withDurableTracing.ts"
import type { Harness, TestSpan } from "./e2e.suite.ts"
import { runOnce } from "./support.ts"

/**
 * Five waits between six steps: six invocations. Each wait a different length: the runner's skipped clock lets a
 * wait as long as one already waited complete without suspending.
 */
const WAITS = 5
const fiveWaits: DurableExecutionHandler<unknown, unknown> = async (_event, context) => {
  for (let i = 0; i < WAITS; i++) {
    await context.step(`step-${i}`, async () => i)
    await context.wait(`pause-${i}`, { seconds: i + 1 })
  }
  return context.step("done", async () => "done")
}

const runTraced = async (
  harness: Harness,
  options: { readonly traceMode?: "continuous" | "linked"; readonly sampleRatio?: number }
) => {
  const invocations: Array<InvocationSummary> = []
  const handler = withDurableTracing(fiveWaits, {
    backend: harness.backend(),
    handlerName: "fiveWaits",
    ...options,
    onInvocation: (summary) => invocations.push(summary)
  })
  // Not muted: dd-trace's harness reads its spans off stdout.
  const result = await runOnce(handler, {})
  return { result, invocations }
}

const byName = (spans: ReadonlyArray<TestSpan>, name: string) => spans.filter((span) => span.name === name)

export const runModes = (harness: Harness) => {
  describe(`trace modes and sampling: ${harness.name}`, () => {
    it("linked: one trace per invocation, linked to the anchor and to the previous invocation", async () => {
      harness.reset()
      const { result, invocations } = await runTraced(harness, { traceMode: "linked" })
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.strictEqual(invocations.length, WAITS + 1)
      const spans = harness.spans()
      const lambdas = byName(spans, "aws.lambda")
      const executes = byName(spans, "aws.durable.execute")
      assert.strictEqual(lambdas.length, WAITS + 1)
      // One trace per invocation: every invocation span a root of a trace of its own.
      assert.strictEqual(new Set(lambdas.map((span) => span.traceId)).size, WAITS + 1)
      for (const lambda of lambdas) assert.isUndefined(lambda.parentId, "an invocation span is a root")
      // Each execute span lives in its invocation's trace; order invocations by the order of their traces.
      const executeOf = (lambda: TestSpan) => executes.find((span) => span.parentId === lambda.spanId)!
      const [first, ...rest] = lambdas.map((lambda) => ({ lambda, execute: executeOf(lambda) }))
      assert.isDefined(first!.execute)
      assert.deepStrictEqual(first!.lambda.links ?? [], [], "the first invocation has nothing to link to")
      const resolve = (link: { traceId: string; spanId: string }) =>
        spans.find((span) => span.traceId === link.traceId && span.spanId === link.spanId)
      let previous = first!.execute
      for (const { lambda, execute } of rest) {
        const links = lambda.links ?? []
        const anchor = links.find((link) => link.role === "anchor")
        const prior = links.find((link) => link.role === "previous")
        assert.strictEqual(resolve(anchor!), first!.execute, "the anchor link resolves to the first execute span")
        assert.strictEqual(resolve(prior!), previous, "the previous link resolves to the previous execute span")
        previous = execute
      }
      // Every span of the run belongs to one of the invocations' traces.
      const traces = new Set(lambdas.map((span) => span.traceId))
      for (const span of spans) assert.isTrue(traces.has(span.traceId), span.name)
    })

    it("names attributes by the backend's convention: OpenTelemetry's faas.*/cloud.*/durable.*, Datadog's aws.durable.*", async () => {
      harness.reset()
      await runTraced(harness, {})
      const spans = harness.spans()
      const otel = harness.name.startsWith("OpenTelemetry")
      const lambda = byName(spans, "aws.lambda")[0]!
      const step = spans.find(
        (span) => span.name === "aws.durable.step" && span.tags["aws.durable.operation_name"] === "step-1"
      )!
      const wait = byName(spans, "aws.durable.wait")[0]!
      const execute = byName(spans, "aws.durable.execute")[0]!
      assert.strictEqual(step.tags["aws.durable.operation_type"], "STEP", "Datadog's names on both backends")
      if (otel) {
        assert.strictEqual(lambda.tags["cloud.provider"], "aws")
        assert.strictEqual(lambda.tags["cloud.platform"], "aws_lambda")
        assert.isString(lambda.tags["faas.invocation_id"])
        assert.isBoolean(lambda.tags["faas.coldstart"])
        assert.isBoolean(lambda.tags["durable.invocation.first"])
        assert.strictEqual(step.tags["durable.operation.name"], "step-1")
        assert.strictEqual(step.tags["durable.operation.type"], "STEP")
        assert.strictEqual(step.tags["durable.operation.subtype"], "Step")
        assert.isString(step.tags["durable.operation.id"])
        const attempt = spans.find(
          (span) => span.name === "aws.durable.attempt" && span.tags["aws.durable.operation_name"] === "step-1"
        )!
        assert.strictEqual(attempt.tags["durable.operation.attempt"], 1)
        assert.strictEqual(attempt.tags["durable.attempt.number"], 1, "AWS's plugin's name on attempt spans")
        assert.strictEqual(attempt.tags["durable.attempt.outcome"], "succeeded")
        assert.strictEqual(wait.tags["durable.operation.type"], "WAIT")
        // The execution's ARN on every operation span, as on the execute span.
        assert.strictEqual(step.tags["durable.execution.arn"], execute.tags["aws.durable.execution_arn"])
        assert.strictEqual(wait.tags["durable.execution.arn"], execute.tags["aws.durable.execution_arn"])
      } else {
        for (const span of spans) {
          for (const key of Object.keys(span.tags)) assert.notMatch(key, /^(faas|cloud|durable)\./, span.name)
        }
      }
    })

    for (const traceMode of ["continuous", "linked"] as const) {
      it(`${traceMode}: always on keeps every span of all six invocations`, async () => {
        harness.reset()
        const { result } = await runTraced(harness, { traceMode, sampleRatio: 1 })
        assert.strictEqual(result.getStatus(), "SUCCEEDED")
        const spans = harness.spans()
        assert.strictEqual(byName(spans, "aws.lambda").length, WAITS + 1)
        for (const span of spans) assert.isTrue(span.sampled, span.name)
      })

      it(`${traceMode}: always off drops every span of all six invocations, outcome unchanged`, async () => {
        harness.reset()
        const { result, invocations } = await runTraced(harness, { traceMode, sampleRatio: 0 })
        assert.strictEqual(result.getStatus(), "SUCCEEDED")
        assert.strictEqual(invocations.length, WAITS + 1)
        // The decision still travels in the checkpoints: written by the first invocation (early, or on suspend).
        const first = invocations[0]!
        assert.isTrue(first.early !== undefined || first.write?._tag === "Written")
        for (const span of harness.spans()) assert.isFalse(span.sampled, span.name)
      })

      it(`${traceMode}: a ratio keeps or drops each execution whole, as its ARN decides`, async () => {
        const seen = new Set<boolean>()
        for (let run = 0; run < 4; run++) {
          harness.reset()
          const { invocations } = await runTraced(harness, { traceMode, sampleRatio: 0.5 })
          const arn = invocations[0]!.executionArn
          const kept = Sampling.keep(arn, 0.5)
          seen.add(kept)
          const spans = harness.spans()
          if (kept) assert.strictEqual(byName(spans, "aws.lambda").length, WAITS + 1)
          for (const span of spans) assert.strictEqual(span.sampled, kept, `${arn} ${span.name}`)
        }
        // Not a claim about this sample: the loop above holds for whichever decisions came up.
        assert.isAtLeast(seen.size, 1)
      })
    }
  })
}
