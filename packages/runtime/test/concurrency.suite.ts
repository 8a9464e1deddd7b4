/**
 * Concurrent invocations in one process (issue 14 item 9, SPEC §8): Lambda Managed Instances run many
 * invocations at once in one event loop, through one handler. Here 32 executions run interleaved on the local
 * runner through one `withDurableTracing` handler; every user span, every operation span and every SDK log line
 * must belong to its own execution's trace.
 */
import { type DurableExecutionHandler, withDurableExecution } from "@aws/durable-execution-sdk-js"
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"
import { Backend } from "@durable-trace/adapters/Backend"
import { DurableTracePlugin } from "@durable-trace/adapters/DurablePlugin"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { withDurableTracing } from "../src/withDurableTracing.ts"
import type { Harness, TestSpan } from "./e2e.suite.ts"
import { captureStdout, isTraceLine } from "./support.ts"

/** A harness that can also open a span the way user code does, with the backend's own tracer. */
export interface ConcurrencyHarness extends Harness {
  /** Runs `fn` inside a user span named `name` tagged `execution: id`, child of the active span. */
  readonly userSpan: <A>(name: string, id: string, fn: () => Promise<A>) => Promise<A>
}

/** Executions run at once through the one handler. */
export const EXECUTIONS = 32

/** Lets other invocations run: a macrotask turn (the runner fakes timers, not `setImmediate`). */
const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve))

const decimal = (hex: string): string => BigInt(`0x${hex.slice(-16)}`).toString(10)

/** The workflow every execution runs: user spans and SDK log lines inside steps, a suspend, a child context. */
const workflow =
  (harness: ConcurrencyHarness): DurableExecutionHandler<{ readonly id: string }, unknown> =>
  async (event, context) => {
    context.logger.info(`start ${event.id}`)
    const reserved = await context.step("reserve", async (step) => {
      await yieldTurn()
      return harness.userSpan("user.reserve", event.id, async () => {
        await yieldTurn()
        step.logger.info(`reserving ${event.id}`)
        return `r-${event.id}`
      })
    })
    await context.wait("cool-off", { seconds: 5 })
    const shipped = await context.runInChildContext("ship", async (child) =>
      child.step("label", async (step) => {
        await yieldTurn()
        return harness.userSpan("user.ship", event.id, async () => {
          await yieldTurn()
          step.logger.info(`shipping ${event.id}`)
          return `s-${reserved}`
        })
      })
    )
    context.logger.info(`done ${event.id}`)
    return { shipped }
  }

/** Plugin mode (`DURABLE_EXECUTION_PLUGINS`): the SDK's handler with the plugin alone, no wrapper. */
const pluginOnly = async (harness: ConcurrencyHarness) => {
  const runtime = ManagedRuntime.make(harness.backend())
  const backend = await runtime.runPromise(Effect.service(Backend))
  const plugin = new DurableTracePlugin(
    {
      runtime,
      writeEnabled: false,
      writeTimeoutMillis: 2000,
      deadlineMarginMillis: 500,
      handlerName: "handler",
      service: "orders",
      env: "test"
    },
    backend
  )
  return withDurableExecution(workflow(harness), { plugins: [plugin] })
}

export const runConcurrency = (harness: ConcurrencyHarness) => {
  describe(`concurrent executions through one handler: ${harness.name}`, () => {
    // With the wrapper, one trace per execution; the plugin alone cannot write, so one trace per invocation.
    const modes: ReadonlyArray<readonly [string, () => Promise<unknown>, boolean]> = [
      [
        "withDurableTracing",
        async () =>
          withDurableTracing(workflow(harness), { backend: harness.backend(), service: "orders", env: "test" }),
        true
      ],
      ["the plugin alone (DURABLE_EXECUTION_PLUGINS)", () => pluginOnly(harness), false]
    ]
    for (const [mode, make, oneTrace] of modes) {
      it(`${mode}: ${EXECUTIONS} interleaved executions, every user span and SDK log line in its own trace`, async () => {
        harness.reset()
        const handler = await make()
        await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
        const ids = Array.from({ length: EXECUTIONS }, (_, i) => `e${i}`)
        const { result: results, lines } = await captureStdout(async () => {
          try {
            return await Promise.all(
              ids.map((id) =>
                new LocalDurableTestRunner({ handlerFunction: handler as never }).run({ payload: { id } })
              )
            )
          } finally {
            await LocalDurableTestRunner.teardownTestEnvironment()
          }
        })
        for (const result of results) assert.strictEqual(result.getStatus(), "SUCCEEDED")
        const spans = harness.spans()

        // Each execution's traces, from its execute spans (tagged with its ARN). No two executions share one.
        const tracesOfArn = new Map<string, Set<string>>()
        const arnOfTrace = new Map<string, string>()
        for (const span of spans.filter((s) => s.name === "aws.durable.execute")) {
          const arn = String(span.tags["aws.durable.execution_arn"])
          const traces = tracesOfArn.get(arn) ?? new Set<string>()
          traces.add(span.traceId)
          tracesOfArn.set(arn, traces)
          const other = arnOfTrace.get(span.traceId)
          assert.isTrue(other === undefined || other === arn, `no two executions share trace ${span.traceId}`)
          arnOfTrace.set(span.traceId, arn)
        }
        assert.strictEqual(tracesOfArn.size, EXECUTIONS, "execute spans of every execution")
        if (oneTrace) for (const [arn, traces] of tracesOfArn) assert.strictEqual(traces.size, 1, `one trace: ${arn}`)
        const inOwn = (arn: string | undefined, traceId: string | undefined): boolean =>
          arn !== undefined && traceId !== undefined && arnOfTrace.get(traceId) === arn

        const logs = lines
          .filter((line) => !isTraceLine(line) && line.startsWith("{") && line.includes('"executionArn"'))
          .map((line) => JSON.parse(line) as Record<string, string>)
        const arnOfId = new Map<string, string>()
        for (const log of logs) {
          const match = /^(?:start|reserving|shipping|done) (e\d+)$/.exec(String(log.message))
          if (match !== null) arnOfId.set(match[1]!, log.executionArn!)
        }
        assert.strictEqual(arnOfId.size, EXECUTIONS, "every execution logged")

        // Every user span: in its own execution's trace, under one of its operation spans.
        const byId = new Map<string, TestSpan>(spans.map((s) => [s.spanId, s]))
        const users = spans.filter((s) => s.name.startsWith("user."))
        assert.strictEqual(users.length, 2 * EXECUTIONS, "one user span per step per execution")
        let misplacedSpans = 0
        for (const span of users) {
          const parent = span.parentId === undefined ? undefined : byId.get(span.parentId)
          if (
            !inOwn(arnOfId.get(String(span.tags.execution)), span.traceId) ||
            parent?.name !== "aws.durable.attempt"
          ) {
            misplacedSpans++
          }
        }
        // Every operation span: in its own execution's trace.
        let misplacedOperations = 0
        for (const span of spans.filter((s) => s.name.startsWith("aws.durable.") && s.name !== "aws.durable.execute")) {
          let root: TestSpan | undefined = span
          while (root !== undefined && root.name !== "aws.durable.execute") {
            root = root.parentId === undefined ? undefined : byId.get(root.parentId)
          }
          if (root === undefined || root.traceId !== span.traceId) misplacedOperations++
        }
        // Every SDK log line written inside the workflow: the ids of a span of its own execution's trace.
        const spanTrace = new Map(spans.map((s) => [decimal(s.spanId), s.traceId]))
        let misplacedLogs = 0
        let enriched = 0
        for (const log of logs.filter((l) => /^(?:start|reserving|shipping|done) e\d+$/.test(String(l.message)))) {
          enriched++
          const trace = spanTrace.get(log["dd.span_id"]!)
          if (!inOwn(log.executionArn, trace) || log["dd.trace_id"] !== decimal(trace!)) misplacedLogs++
        }
        assert.isAtLeast(enriched, 4 * EXECUTIONS, "every workflow log line was seen")
        assert.deepStrictEqual(
          { misplacedSpans, misplacedOperations, misplacedLogs },
          { misplacedSpans: 0, misplacedOperations: 0, misplacedLogs: 0 }
        )
      })
    }
  })
}
