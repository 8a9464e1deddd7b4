/**
 * Crash resilience (issue 7): an invocation that dies after it has checkpointed work but before its suspend write
 * (timeout, out of memory) is retried, and the retry must continue the same trace. Simulated on the local runner:
 * the first invocation "dies" right after its wait's START reached the service. From then on none of its calls
 * arrive (they hang, as a dead process sends nothing), so the suspend-time write never lands; the runner retries
 * once the wait is over.
 */
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"
import * as InMemory from "@durable-trace/adapters/InMemory"
import { assert, describe, it } from "@effect/vitest"
import { type InvocationSummary, withDurableTracing } from "../src/withDurableTracing.ts"

interface ClientLike {
  checkpoint: (
    params: { Updates?: ReadonlyArray<{ Type?: string; Action?: string }> },
    ...rest: Array<unknown>
  ) => Promise<unknown>
}

const crashOnce = async (earlyCheckpoint: boolean) => {
  const memory = InMemory.make()
  const summaries: Array<InvocationSummary> = []
  let invocations = 0
  const traced = withDurableTracing(
    async (_event: unknown, context) => {
      await context.step("charge", async () => "charged")
      await context.wait("settle", { seconds: 30 })
      return context.step("ship", async () => "shipped")
    },
    {
      backend: InMemory.layer(memory),
      earlyCheckpoint,
      writeTimeoutMillis: 100,
      onInvocation: (s) => summaries.push(s)
    }
  )
  const handler = async (event: { durableExecutionClient: ClientLike }, context: never) => {
    invocations++
    if (invocations === 1) {
      // Kill the first invocation once its wait has started: later requests never reach the service.
      const client = event.durableExecutionClient
      const send = client.checkpoint.bind(client)
      let dead = false
      client.checkpoint = async (params, ...rest) => {
        if (dead) return new Promise(() => {})
        const response = await send(params, ...rest)
        if (params.Updates?.some((u) => u.Type === "WAIT" && u.Action === "START")) dead = true
        return response
      }
    }
    return traced(event as never, context)
  }
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
  try {
    const result = await new LocalDurableTestRunner({ handlerFunction: handler as never }).run({ payload: {} })
    return { result, spans: memory.spans(), summaries }
  } finally {
    await LocalDurableTestRunner.teardownTestEnvironment()
  }
}

describe("crash resilience", () => {
  it("an invocation that dies before its suspend write is retried into the same trace", async () => {
    const { result, spans, summaries } = await crashOnce(true)
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    assert.deepStrictEqual(
      summaries.map((s) => [s.read?.source, s.write?._tag]),
      [
        ["none", "Unchanged"], // nothing new to write: _datadog_0 went out with the first batch
        ["checkpoint", undefined]
      ]
    )
    const lambdas = spans.filter((s) => s.name === "aws.lambda")
    assert.strictEqual(new Set(spans.map((s) => s.traceId)).size, 1, "one trace")
    const firstExecute = spans.find((s) => s.name === "aws.durable.execute" && s.parentId === lambdas[0]!.spanId)
    assert.strictEqual(lambdas[1]!.parentId, firstExecute!.spanId)
    // Its number went out with that batch too (SPEC §11): the dead invocation is counted.
    const execution = spans.find((s) => s.name === "aws.durable.execution")
    assert.strictEqual(execution?.tags["aws.durable.invocation_count"], result.getInvocations().length)
  })

  it("without the early checkpoint, the same crash loses the trace (what the early write prevents)", async () => {
    const { result, spans, summaries } = await crashOnce(false)
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    assert.deepStrictEqual(
      summaries.map((s) => [s.read?.source, s.write?._tag]),
      [
        ["none", "Failed"], // the suspend write never reached the service
        ["none", undefined]
      ]
    )
    assert.strictEqual(new Set(spans.map((s) => s.traceId)).size, 2)
    // No checkpoint, and the retry does not start the execution (it replays the charge): the count is unknown and
    // not guessed (SPEC §11).
    const execution = spans.find((s) => s.name === "aws.durable.execution")
    assert.isDefined(execution)
    assert.isUndefined(execution!.tags["aws.durable.invocation_count"])
    assert.isUndefined(
      spans.find((s) => s.name === "aws.lambda" && s.traceId === execution!.traceId)?.tags[
        "aws.durable.invocation_number"
      ]
    )
  })
})
