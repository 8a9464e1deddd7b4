/**
 * Chained invokes (issue 7): with `withTraceContext()`, the invoked durable function's first invocation continues
 * the caller's trace as a child of the caller's `aws.durable.invoke` span, and sees its own input unchanged.
 * Without it, the callee starts its own trace. Runs on the local runner with `registerDurableFunction`.
 */
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"
import { assert, describe, it } from "@effect/vitest"
import { withTraceContext } from "../src/Invoke.ts"
import { withDurableTracing } from "../src/withDurableTracing.ts"
import type { Harness, TestSpan } from "./e2e.suite.ts"
import { assertSpanLaws, role } from "./spanLaws.ts"
import { captureStdout } from "./support.ts"

interface ChargeRequest {
  readonly orderId: string
  readonly amount: number
}

const runChain = async (harness: Harness, traceInvoke: boolean) => {
  harness.reset()
  const seen: Array<unknown> = []
  const backend = harness.backend()
  const caller = withDurableTracing(
    async (order: { readonly orderId: string }, context) => {
      const amount = await context.step("price", async () => 499)
      const request: ChargeRequest = { orderId: order.orderId, amount }
      return context.invoke("charge", "payments", request, traceInvoke ? withTraceContext() : undefined)
    },
    { backend }
  )
  const callee = withDurableTracing(
    async (request: ChargeRequest, context) => {
      seen.push(request)
      return context.step("charge-card", async () => ({ charged: request.orderId, amount: request.amount }))
    },
    { backend }
  )
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
  try {
    const runner = new LocalDurableTestRunner({ handlerFunction: caller }).registerDurableFunction("payments", callee)
    const { result } = await captureStdout(() => runner.run({ payload: { orderId: "o-9" } }))
    return { result, seen, spans: harness.spans() }
  } finally {
    await LocalDurableTestRunner.teardownTestEnvironment()
  }
}

export const runInvokeTests = (harness: Harness) => {
  describe(`chained invokes: ${harness.name}`, () => {
    it("the callee continues the caller's trace under its aws.durable.invoke span, with its input intact", async () => {
      const { result, seen, spans } = await runChain(harness, true)
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.deepStrictEqual(result.getResult(), { charged: "o-9", amount: 499 })
      assert.deepStrictEqual(seen, [{ orderId: "o-9", amount: 499 }], "the callee's input has no _datadog member")
      assert.strictEqual(new Set(spans.map((s) => s.traceId)).size, 1, "one trace for caller and callee")
      const invoke = spans.find((s) => s.name === "aws.durable.invoke")
      assert.isDefined(invoke)
      assert.strictEqual(invoke!.resource, "charge")
      const calleeLambda = spans.find(
        (s) => s.name === "aws.lambda" && s.tags["durable_trace.context_source"] === "input_payload"
      )
      assert.isDefined(calleeLambda, "the callee read the caller's context from its input")
      assert.strictEqual(calleeLambda!.parentId, invoke!.spanId)
    })

    it("follows the span laws across the chain: parents first, one span per operation, the invoke as recorded", async () => {
      const { result, spans } = await runChain(harness, true)
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      // Caller and callee are two executions in one trace: a span belongs to the nearest execution it or an ancestor
      // names (dd-trace names it on the execute and execution spans, OpenTelemetry on every span below them too).
      const byId = new Map(spans.map((span) => [span.spanId, span]))
      const executionOf = (span: TestSpan): unknown => {
        const arn = span.tags["aws.durable.execution_arn"] ?? span.tags["durable.execution.arn"]
        if (arn !== undefined) return arn
        const parent = span.parentId === undefined ? undefined : byId.get(span.parentId)
        return parent === undefined ? undefined : executionOf(parent)
      }
      const invoke = spans.find((s) => s.name === "aws.durable.invoke" && role(s) === "operation")
      assert.isDefined(invoke, "the caller's aws.durable.invoke operation span")
      const caller = executionOf(invoke!)
      assert.isDefined(caller)
      assertSpanLaws(result, spans, "SUCCEEDED", (span) => executionOf(span) === caller)
      // The callee runs on a runner of its own, whose operations the kit does not hand back; its workflow is one
      // step: one operation span, one attempt, one execution span, all in the callee's execution.
      const callee = spans.filter(
        (s) => executionOf(s) !== caller && ["operation", "attempt", "execution"].includes(String(role(s)))
      )
      assert.deepStrictEqual(callee.map((s) => `${role(s)} ${s.name} ${s.resource}`).sort(), [
        "attempt aws.durable.attempt charge-card",
        "execution aws.durable.execution handler",
        "operation aws.durable.step charge-card"
      ])
    })

    it("a callee invoked without a carrier starts its own trace", async () => {
      const { result, seen, spans } = await runChain(harness, false)
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.deepStrictEqual(seen, [{ orderId: "o-9", amount: 499 }])
      assert.strictEqual(new Set(spans.map((s) => s.traceId)).size, 2)
      assert.isFalse(spans.some((s) => s.tags["durable_trace.context_source"] === "input_payload"))
    })
  })
}
