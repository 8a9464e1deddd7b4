/**
 * The invocation count (SPEC §11), run once per backend with its real engine on the local runner: every invocation
 * span carries its number, 1 to n in order, and the execution span the number of invocations the runner reports, in
 * both trace modes; OpenTelemetry also gets the attribute table's names.
 */
import type { DurableExecutionHandler } from "@aws/durable-execution-sdk-js"
import { assert, describe, it } from "@effect/vitest"
import { type InvocationSummary, withDurableTracing } from "../src/withDurableTracing.ts"
import type { Harness, TestSpan } from "./e2e.suite.ts"
import { runOnce } from "./support.ts"

/** Four waits between five steps: five invocations (each wait longer than the last, so each one suspends). */
const WAITS = 4
const fourWaits: DurableExecutionHandler<unknown, unknown> = async (_event, context) => {
  for (let i = 0; i < WAITS; i++) {
    await context.step(`step-${i}`, async () => i)
    await context.wait(`pause-${i}`, { seconds: i + 1 })
  }
  return context.step("done", async () => "done")
}

const byName = (spans: ReadonlyArray<TestSpan>, name: string) => spans.filter((span) => span.name === name)

export const runCount = (harness: Harness) => {
  const otel = harness.name.startsWith("OpenTelemetry")
  describe(`invocation count: ${harness.name}`, () => {
    for (const traceMode of ["continuous", "linked"] as const) {
      it(`${traceMode}: the execution span counts the runner's invocations, each aws.lambda has its number`, async () => {
        harness.reset()
        const invocations: Array<InvocationSummary> = []
        const handler = withDurableTracing(fourWaits, {
          backend: harness.backend(),
          handlerName: "fourWaits",
          traceMode,
          onInvocation: (summary) => invocations.push(summary)
        })
        const result = await runOnce(handler, {})
        assert.strictEqual(result.getStatus(), "SUCCEEDED")
        const count = result.getInvocations().length
        assert.isAtLeast(count, WAITS + 1)
        // Every invocation's number rode along in its first SDK batch: no request of its own at the suspend.
        assert.strictEqual(invocations.filter((summary) => summary.early !== undefined).length, count)
        assert.isFalse(invocations.some((summary) => summary.write?._tag === "Written"))

        const spans = harness.spans()
        const executions = byName(spans, "aws.durable.execution")
        assert.strictEqual(executions.length, 1)
        assert.strictEqual(executions[0]!.tags["aws.durable.invocation_count"], count)
        if (otel) assert.strictEqual(executions[0]!.tags["durable.execution.invocation_count"], count)

        const lambdas = byName(spans, "aws.lambda").toSorted((a, b) => (a.start ?? 0) - (b.start ?? 0))
        assert.strictEqual(lambdas.length, count)
        assert.deepStrictEqual(
          lambdas.map((span) => span.tags["aws.durable.invocation_number"]),
          Array.from({ length: count }, (_, i) => i + 1),
          "numbered 1 to n, in order"
        )
        if (otel) {
          assert.deepStrictEqual(
            lambdas.map((span) => span.tags["durable.invocation.number"]),
            Array.from({ length: count }, (_, i) => i + 1)
          )
        }
      })
    }
  })
}
