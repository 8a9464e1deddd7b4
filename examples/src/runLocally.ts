/**
 * Runs a durable handler on the SDK's local runner (in process, time skipped) and prints the outcome and the
 * checkpoints durable-trace wrote: what the examples do when run directly (`node examples/src/<example>.ts`).
 * `drive` plays the outside world while the execution runs (e.g. completes a callback, as an approver would).
 */
import type { DurableLambdaHandler } from "@aws/durable-execution-sdk-js"
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"

export const runLocally = async (
  handler: DurableLambdaHandler,
  payload: unknown,
  drive?: (runner: LocalDurableTestRunner<unknown>) => Promise<void>
): Promise<unknown> => {
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
  try {
    const runner = new LocalDurableTestRunner({ handlerFunction: handler })
    const driving = drive?.(runner)
    const result = await runner.run({ payload })
    await driving
    const checkpoints = result
      .getOperations()
      .map((operation) => operation.getName())
      .filter((name) => name?.startsWith("_datadog_"))
    console.log(`status: ${result.getStatus()}`)
    console.log(`invocations: ${result.getInvocations().length}`)
    console.log(`checkpoints: ${checkpoints.join(", ") || "none"}`)
    if (result.getStatus() !== "SUCCEEDED") process.exitCode = 1
    return result.getStatus() === "SUCCEEDED" ? result.getResult() : undefined
  } finally {
    await LocalDurableTestRunner.teardownTestEnvironment()
  }
}
