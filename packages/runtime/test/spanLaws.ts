/**
 * The span laws of issue 13, checked on one traced execution run on the local runner: no span starts before its
 * parent (or ends before it starts), each durable operation has exactly one operation span, a wait or a chained
 * invoke lasts what the service recorded, a step has one attempt span per attempt the SDK made, and the execution
 * has one execution span with its status. Shared by the end-to-end suite and the chained-invoke laws.
 *
 * What the service recorded, on the local runner: a wait's or an invoke's `StartTimestamp`, but no `EndTimestamp`
 * (its checkpoint server marks them done with a history event only, `WaitSucceeded` / `ChainedInvokeSucceeded`,
 * and the invocation's state is all the plugin sees), so there the span's start is checked and its length only
 * where an end was recorded; `OperationSpans.window`'s property tests cover the recorded end.
 */
import type { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"
import { assert } from "@effect/vitest"
import type { TestSpan } from "./e2e.suite.ts"

type TestResult = Awaited<ReturnType<LocalDurableTestRunner["run"]>>

/** Float rounding of dd-trace's nanosecond times read back as milliseconds. */
export const EPSILON = 0.001

/** A span's role (`operation`, `attempt`, `execution`, ...), as durable-trace tags it on both backends. */
export const role = (span: TestSpan) => span.tags["aws.durable.span_role"]

/** Operations the service completes itself, whose span is drawn from its recorded start and end. */
const RECORDED = new Set(["WAIT", "CHAINED_INVOKE"])

/**
 * Asserts the laws. `spans` is the whole trace (parents are checked across it, a chained invoke's callee
 * included); `ofExecution` picks the spans of the execution `result` ran, where several executions share it.
 */
export const assertSpanLaws = (
  result: TestResult,
  spans: ReadonlyArray<TestSpan>,
  status: "SUCCEEDED" | "FAILED",
  ofExecution: (span: TestSpan) => boolean = () => true
) => {
  const byId = new Map(spans.map((span) => [span.spanId, span]))
  for (const span of spans) {
    assert.isAtMost(span.start!, span.end! + EPSILON, `${span.name} ends before it starts`)
    const parent = span.parentId === undefined ? undefined : byId.get(span.parentId)
    if (parent !== undefined) {
      assert.isAtLeast(span.start! + EPSILON, parent.start!, `${span.name} starts before its parent ${parent.name}`)
    }
  }
  const own = spans.filter(ofExecution)
  const operations = result
    .getOperations()
    .filter((op) => op.getType() !== "EXECUTION" && op.getName()?.startsWith("_datadog_") !== true)
  assert.isAbove(operations.length, 0)
  const operationSpans = own.filter((span) => role(span) === "operation")
  for (const op of operations) {
    const spansOfOp = operationSpans.filter((span) => span.tags["aws.durable.operation_id"] === op.getId())
    assert.strictEqual(spansOfOp.length, 1, `${op.getType()} ${op.getName()}: one operation span`)
    const recordedStart = op.getStartTimestamp()?.getTime()
    const recordedEnd = op.getEndTimestamp()?.getTime()
    if (RECORDED.has(op.getType() ?? "") && recordedStart !== undefined) {
      const [span] = spansOfOp
      // dd-trace exports nanoseconds: a millisecond comes back within float rounding.
      assert.closeTo(span!.start!, recordedStart, 0.01, `${op.getType()} ${op.getName()} starts when the service says`)
      if (recordedEnd !== undefined) {
        assert.closeTo(span!.end! - span!.start!, recordedEnd - recordedStart, 0.01, `${op.getName()} as recorded`)
      }
    }
    if (op.getType() === "STEP" && op.getSubType() === "Step") {
      const attempts = own.filter(
        (span) => role(span) === "attempt" && span.tags["aws.durable.operation_id"] === op.getId()
      )
      assert.strictEqual(attempts.length, op.getStepDetails()?.attempt ?? 1, `${op.getName()}: attempts`)
    }
  }
  assert.strictEqual(operationSpans.length, operations.length, "no operation span for anything else")
  const executions = own.filter((span) => role(span) === "execution")
  assert.strictEqual(executions.length, 1, "one execution span")
  assert.strictEqual(executions[0]!.tags["aws.durable.execution_status"], status.toLowerCase())
}
