/**
 * Nothing per execution outlives its invocation (issue 14 item 14): a warm container serves executions without
 * end, so a token, state or span kept after an invocation returns is a leak. The tracked client follows each
 * invocation's chain of checkpoint tokens while it runs; whatever path the invocation took (traced, or run
 * untraced because our setup failed), no chain may be left once it returned. Counted, not timed or weighed:
 * after every run, the executions of which the tracked clients still hold a chain.
 */
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"
import type { BackendService } from "@durable-trace/adapters/Backend"
import * as DurableClient from "@durable-trace/adapters/DurableClient"
import { assert, describe, it } from "@effect/vitest"
import { withDurableTracing } from "../src/withDurableTracing.ts"
import { inMemoryServices, layerFrom, type RunnerEvent } from "./faults.harness.ts"
import { muteStdout } from "./support.ts"

const EXECUTIONS = 20

/** Runs `EXECUTIONS` executions through one traced handler; returns the tokens still held and the outcomes. */
const runMany = async (options: {
  readonly backend: (base: BackendService) => BackendService
  readonly context?: (context: object) => object
}) => {
  const { memory, backend, propagation, telemetry } = inMemoryServices()
  const traced = withDurableTracing(
    async (_event: unknown, context) => {
      const a = await context.step("one", async () => 1)
      await context.wait("pause", { seconds: 1 })
      return context.step("two", async () => a + 1)
    },
    { backend: layerFrom(options.backend(backend), propagation, telemetry), earlyCheckpoint: false }
  )
  const seen: Array<{ readonly client: RunnerEvent["durableExecutionClient"]; readonly arn: string }> = []
  const handler = (event: RunnerEvent, context: object) => {
    seen.push({ client: event.durableExecutionClient, arn: event.DurableExecutionArn })
    return traced(event as never, (options.context?.(context) ?? context) as never)
  }
  const statuses: Array<string> = []
  await muteStdout(async () => {
    await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
    try {
      for (let i = 0; i < EXECUTIONS; i++) {
        const result = await new LocalDurableTestRunner({ handlerFunction: handler as never }).run({ payload: { i } })
        statuses.push(String(result.getStatus()))
      }
    } finally {
      await LocalDurableTestRunner.teardownTestEnvironment()
    }
  })
  // A probe chain of each execution that ran: `overlapping` means some invocation's chain is still held.
  const retained = seen.filter(({ client, arn }) => {
    if (!DurableClient.isTracked(client)) return false
    const probe = DurableClient.track(client).seed(arn, "probe")
    probe.forget()
    return probe.overlapping
  }).length
  return { retained, invocations: seen.length, statuses, memory }
}

describe("nothing per execution outlives its invocation", () => {
  it("when our setup fails (the backend throws opening aws.lambda), no checkpoint token is retained", async () => {
    const run = await runMany({
      backend: (base) => ({
        ...base,
        startSpan: (name, options) => {
          if (name === "aws.lambda") throw new Error("backend down")
          return base.startSpan(name, options)
        }
      })
    })
    assert.deepStrictEqual(new Set(run.statuses), new Set(["SUCCEEDED"]), "every execution ran as untraced")
    assert.isAbove(run.invocations, EXECUTIONS, "some executions resumed")
    assert.strictEqual(run.retained, 0, "tokens retained")
  })

  it("a non-string invokedFunctionArn neither fails the setup nor leaves a token behind", async () => {
    const run = await runMany({
      backend: (base) => base,
      context: (context) => ({ ...context, invokedFunctionArn: 42, awsRequestId: { not: "a string" } })
    })
    assert.deepStrictEqual(new Set(run.statuses), new Set(["SUCCEEDED"]))
    assert.strictEqual(run.retained, 0, "tokens retained")
    const lambdas = run.memory.spans().filter((span) => span.name === "aws.lambda")
    assert.strictEqual(lambdas.length, run.invocations, "every invocation is traced")
    assert.isTrue(lambdas.every((span) => span.tags.function_arn === undefined))
    assert.deepStrictEqual(
      run.memory.increments().map((i) => i.location),
      [],
      "no setup failure"
    )
  })
})
