/**
 * Runs a durable handler on the SDK's local runner (in process, time skipped) and prints the outcome and the
 * checkpoints durable-trace wrote: what the examples do when run directly (`node examples/src/<example>.ts`).
 */
import type { DurableLambdaHandler } from "@aws/durable-execution-sdk-js"
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"

export const runLocally = async (handler: DurableLambdaHandler, payload: unknown): Promise<void> => {
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
  try {
    const result = await new LocalDurableTestRunner({ handlerFunction: handler }).run({ payload })
    const checkpoints = result
      .getOperations()
      .map((operation) => operation.getName())
      .filter((name) => name?.startsWith("_datadog_"))
    console.log(`status: ${result.getStatus()}`)
    console.log(`invocations: ${result.getInvocations().length}`)
    console.log(`checkpoints: ${checkpoints.join(", ") || "none"}`)
    if (result.getStatus() !== "SUCCEEDED") process.exitCode = 1
  } finally {
    await LocalDurableTestRunner.teardownTestEnvironment()
  }
}
