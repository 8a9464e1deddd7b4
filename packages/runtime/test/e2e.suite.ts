/**
 * The end-to-end suite (issue 5), run once per backend with its real engine on the durable SDK's local runner.
 * Every workflow runs untraced and traced; the traced run must produce one trace, anchored checkpoints, the
 * SPEC §5 spans and tags, enriched SDK log lines, and exactly the untraced outcome.
 */
import { withDurableExecution } from "@aws/durable-execution-sdk-js"
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"
import type { BackendLayer } from "@durable-trace/adapters/Backend"
import * as DurableMember from "@durable-trace/core/DurableMember"
import { assert, describe, it } from "@effect/vitest"
import * as Option from "effect/Option"
import { type InvocationSummary, withDurableTracing } from "../src/withDurableTracing.ts"
import { assertSpanLaws } from "./spanLaws.ts"
import { captureStdout } from "./support.ts"
import { chargeDeclinedOnce, WORKFLOWS, type Workflow, type WorkflowHooks } from "./workflows.ts"

/** A finished span, normalised across backends. */
export interface TestSpan {
  readonly name: string
  /** 32 lowercase hex. */
  readonly traceId: string
  readonly spanId: string
  readonly parentId: string | undefined
  readonly resource: string | undefined
  readonly tags: Readonly<Record<string, unknown>>
  /** Whether the backend flagged the span as failed (dd-trace's `error`, OpenTelemetry's ERROR status). */
  readonly error?: boolean | undefined
  /** Epoch milliseconds (fractional where the backend has finer times). */
  readonly start?: number | undefined
  readonly end?: number | undefined
  /** Its span links (dd-trace's `_dd.span_links`, OpenTelemetry's links), with their `durable.link.role`. */
  readonly links?: ReadonlyArray<TestLink> | undefined
  /** Whether its trace is kept: dd-trace's sampling priority above 0; OpenTelemetry exports sampled spans only. */
  readonly sampled?: boolean | undefined
}

/** A span link, normalised across backends. */
export interface TestLink {
  /** 32 lowercase hex. */
  readonly traceId: string
  readonly spanId: string
  readonly role: string | undefined
}

export interface Harness {
  readonly name: string
  readonly backend: () => BackendLayer
  readonly spans: () => ReadonlyArray<TestSpan>
  readonly reset: () => void
  /** Changes the active trace's sampling priority from user code, if the backend has one. */
  readonly keepTrace?: (() => void) | undefined
}

const operationsOf = (result: Awaited<ReturnType<LocalDurableTestRunner["run"]>>, withCheckpoints = false) =>
  result
    .getOperations()
    .map((op) => ({ name: op.getName(), type: op.getType(), subType: op.getSubType(), status: op.getStatus() }))
    .filter((op) => withCheckpoints || !op.name?.startsWith("_datadog_"))

interface CheckpointClient {
  checkpoint: (...args: Array<unknown>) => Promise<unknown>
}

/**
 * Wraps a Lambda handler to count `CheckpointDurableExecution` requests per invocation, on the client the local
 * runner hands each invocation.
 */
export const countingCheckpoints = (handler: unknown) => {
  const perInvocation: Array<number> = []
  const patched = new WeakSet<object>()
  const counted = (event: { durableExecutionClient?: CheckpointClient }, context: unknown) => {
    perInvocation.push(0)
    const client = event.durableExecutionClient
    if (client !== undefined && !patched.has(client)) {
      patched.add(client)
      const send = client.checkpoint.bind(client)
      client.checkpoint = (...args) => {
        perInvocation[perInvocation.length - 1]!++
        return send(...args)
      }
    }
    return (handler as (event: unknown, context: unknown) => Promise<unknown>)(event, context)
  }
  return { handler: counted, perInvocation }
}

const run = async (handler: Parameters<typeof withDurableExecution>[0] | unknown, workflow: Workflow) => {
  // A fresh environment per run: the runner's fake clock carries over between runs otherwise, and later waits
  // stop suspending.
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
  try {
    const runner = new LocalDurableTestRunner({ handlerFunction: handler as never })
    const driving = workflow.drive?.(runner)
    const result = await runner.run({ payload: { orderId: "o-1" } })
    await driving
    return { result, runner }
  } finally {
    await LocalDurableTestRunner.teardownTestEnvironment()
  }
}

/**
 * A step declined once and retried after a second, past a 5 s wait: the local runner's clock is then ahead of the
 * retry's due time, so the SDK retries in the same invocation instead of suspending (as it does in Lambda for a
 * retry due before the invocation's deadline).
 */
const RETRIED_IN_PROCESS: Workflow = {
  name: "step retried in the same invocation",
  status: "SUCCEEDED",
  suspends: true,
  spans: ["aws.durable.step"],
  make: () => {
    const charge = chargeDeclinedOnce(1)
    return async (_event, context) => {
      await context.wait("settle", { seconds: 5 })
      return charge(context)
    }
  }
}

export const runE2E = (harness: Harness) => {
  const traced = async (
    workflow: Workflow,
    options: { readonly enabled?: boolean; readonly earlyCheckpoint?: boolean; readonly hooks?: WorkflowHooks } = {}
  ) => {
    harness.reset()
    const summaries: Array<InvocationSummary> = []
    const handler = withDurableTracing(workflow.make(options.hooks ?? {}), {
      backend: harness.backend(),
      enabled: options.enabled ?? true,
      earlyCheckpoint: options.earlyCheckpoint ?? true,
      service: "orders",
      env: "test",
      onInvocation: (summary) => summaries.push(summary)
    })
    const { result, lines } = await captureStdout(() => run(handler, workflow))
    return { ...result, summaries, lines, spans: harness.spans() }
  }

  describe(`end to end on the local runner: ${harness.name}`, () => {
    for (const workflow of WORKFLOWS) {
      describe(workflow.name, () => {
        it("keeps one trace, anchored to the first execute span, with the expected checkpoints", async () => {
          const { result, spans, summaries } = await traced(workflow)
          assert.strictEqual(result.getStatus(), workflow.status)
          const invocations = result.getInvocations().length
          assert.strictEqual(summaries.length, invocations)

          const traceIds = new Set(spans.map((s) => s.traceId))
          assert.strictEqual(traceIds.size, 1, `one trace id, got ${[...traceIds].join(", ")}`)

          const lambdas = spans.filter((s) => s.name === "aws.lambda")
          const executes = spans.filter((s) => s.name === "aws.durable.execute")
          assert.strictEqual(lambdas.length, invocations)
          assert.strictEqual(executes.length, invocations)
          const first = executes.find((e) => e.parentId === lambdas.find((l) => l.parentId === undefined)?.spanId)
          assert.isDefined(first, "the first invocation's execute span")
          for (const lambda of lambdas) {
            if (lambda.parentId !== undefined) assert.strictEqual(lambda.parentId, first!.spanId, "resumed aws.lambda")
          }
          assert.strictEqual(
            lambdas.filter((l) => l.parentId === undefined).length,
            1,
            "only the first aws.lambda is a root"
          )

          // Persisted early, in the SDK's first batch of each invocation (issue 7), whether or not the execution
          // suspends later: the first invocation's context, then each later invocation's number (SPEC §11).
          const checkpoints = result.getOperations().filter((op) => op.getName()?.startsWith("_datadog_"))
          assert.deepStrictEqual(
            checkpoints.map((c) => c.getName()),
            checkpoints.map((_, n) => `_datadog_${n}`)
          )
          assert.isAtLeast(checkpoints.length, 1)
          assert.isAtMost(checkpoints.length, invocations, "at most one checkpoint per invocation")
          assert.deepStrictEqual(
            checkpoints.map((c) => DurableMember.invocationOf(c.getStepDetails()?.result as Record<string, string>)),
            checkpoints.map((_, n) => Option.some(n + 1)),
            "each numbered by the invocation that wrote it"
          )
          // ... at no extra round trip: the suspend write finds the context unchanged.
          assert.isFalse(
            summaries.some((s) => s.write?._tag === "Written"),
            "no separate checkpoint request"
          )
          for (const name of workflow.spans) {
            assert.isTrue(
              spans.some((s) => s.name === name),
              `span ${name} in ${[...new Set(spans.map((s) => s.name))]}`
            )
          }
        })

        it("follows the span laws: parents first, one operation span per operation, waits as recorded, attempts as run", async () => {
          const { result, spans } = await traced(workflow)
          assertSpanLaws(result, spans, workflow.status)
        })

        it("changes nothing in the workflow's outcome", async () => {
          const { result: plain } = await captureStdout(() => run(withDurableExecution(workflow.make({})), workflow))
          const { result } = await traced(workflow)
          assert.strictEqual(result.getStatus(), plain.result.getStatus())
          const outcome = (r: typeof result) => (r.getStatus() === "FAILED" ? r.getError() : r.getResult())
          assert.deepStrictEqual(outcome(result), outcome(plain.result))
          assert.deepStrictEqual(operationsOf(result), operationsOf(plain.result))
          assert.strictEqual(result.getInvocations().length, plain.result.getInvocations().length)
        })
      })
    }

    it("without the early checkpoint: written on suspend only, never when the first invocation ends the execution", async () => {
      for (const workflow of WORKFLOWS) {
        const { result, summaries } = await traced(workflow, { earlyCheckpoint: false })
        const checkpoints = operationsOf(result, true).filter((op) => op.name?.startsWith("_datadog_"))
        // Each suspending invocation writes its number (SPEC §11); the one that ends the execution writes nothing.
        const suspended = summaries.filter((summary) => summary.status === "PENDING")
        assert.strictEqual(suspended.length, workflow.suspends ? summaries.length - 1 : 0, workflow.name)
        assert.deepStrictEqual(
          checkpoints.map((c) => c.name),
          suspended.map((_, n) => `_datadog_${n}`),
          workflow.name
        )
        for (const summary of suspended) assert.strictEqual(summary.write?._tag, "Written", workflow.name)
        assert.strictEqual(summaries[0]!.write?._tag, workflow.suspends ? "Written" : undefined, workflow.name)
      }
    })

    it("costs no extra checkpoint request: the same count per invocation as untraced, for every workflow", async () => {
      for (const workflow of WORKFLOWS) {
        const plain = countingCheckpoints(withDurableExecution(workflow.make({})))
        await captureStdout(() => run(plain.handler, workflow))
        harness.reset()
        const traced = countingCheckpoints(
          withDurableTracing(workflow.make({}), { backend: harness.backend(), earlyCheckpoint: true })
        )
        await captureStdout(() => run(traced.handler, workflow))
        assert.isTrue(
          plain.perInvocation.some((n) => n > 0),
          "requests were counted"
        )
        assert.deepStrictEqual(traced.perInvocation, plain.perInvocation, workflow.name)
      }
    })

    it("without the early checkpoint: one extra request per suspending invocation, none for the last", async () => {
      for (const workflow of WORKFLOWS) {
        const plain = countingCheckpoints(withDurableExecution(workflow.make({})))
        await captureStdout(() => run(plain.handler, workflow))
        harness.reset()
        const traced = countingCheckpoints(
          withDurableTracing(workflow.make({}), { backend: harness.backend(), earlyCheckpoint: false })
        )
        await captureStdout(() => run(traced.handler, workflow))
        const extra = traced.perInvocation.map((n, i) => n - (plain.perInvocation[i] ?? 0))
        // The suspend write carries the invocation's number (SPEC §11): without the ride-along it is a request.
        assert.deepStrictEqual(
          extra,
          extra.map((_, i) => (i < extra.length - 1 ? 1 : 0)),
          workflow.name
        )
      }
    })

    it("tags spans as SPEC §5 says", async () => {
      const { spans } = await traced(WORKFLOWS[0]!)
      const lambdas = spans.filter((s) => s.name === "aws.lambda")
      for (const lambda of lambdas) {
        for (const tag of [
          "aws.durable.first_invocation",
          "aws.durable.execution_status",
          "cold_start",
          "request_id"
        ]) {
          assert.isDefined(lambda.tags[tag], `aws.lambda ${tag}`)
        }
        assert.include(["SUCCEEDED", "PENDING"], String(lambda.tags["aws.durable.execution_status"]))
      }
      assert.deepStrictEqual(
        lambdas.map((l) => String(l.tags["aws.durable.first_invocation"])),
        ["true", "false"]
      )
      const executes = spans.filter((s) => s.name === "aws.durable.execute")
      assert.deepStrictEqual(
        executes.map((e) => String(e.tags["aws.durable.invocation_status"])),
        ["pending", "succeeded"]
      )
      assert.deepStrictEqual(
        executes.map((e) => String(e.tags["aws.durable.replayed"])),
        ["false", "true"]
      )
      for (const e of executes) assert.isDefined(e.tags["aws.durable.execution_arn"])
      const reserve = spans.find(
        (s) => s.name === "aws.durable.step" && s.tags["aws.durable.operation_name"] === "reserve"
      )
      assert.isDefined(reserve)
      assert.strictEqual(reserve!.resource, "reserve")
      assert.strictEqual(reserve!.parentId, executes[0]!.spanId)
      assert.strictEqual(reserve!.tags["aws.durable.span_role"], "operation")
      assert.strictEqual(String(reserve!.tags["aws.durable.replayed"]), "false")
      assert.isDefined(reserve!.tags["aws.durable.operation_id"])
      const attempt = spans.find((s) => s.name === "aws.durable.attempt" && s.parentId === reserve!.spanId)
      assert.isDefined(attempt, "the step's attempt under its operation span")
      assert.strictEqual(String(attempt!.tags["aws.durable.operation_attempt"]), "0")
      assert.strictEqual(String(attempt!.tags["aws.durable.attempt"]), "1")
      assert.strictEqual(attempt!.tags["aws.durable.attempt_outcome"], "succeeded")
    })

    it("flags only the attempt that failed: each attempt of a retry in the same invocation is its own span", async () => {
      const { result, spans } = await traced(RETRIED_IN_PROCESS)
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.strictEqual(result.getInvocations().length, 2)
      const step = spans.filter(
        (s) => s.name === "aws.durable.step" && s.tags["aws.durable.operation_name"] === "charge"
      )
      assert.strictEqual(step.length, 1, "one operation span for the step")
      const charges = spans.filter(
        (s) => s.name === "aws.durable.attempt" && s.tags["aws.durable.operation_name"] === "charge"
      )
      assert.deepStrictEqual(
        charges.map((s) => s.parentId),
        [step[0]!.spanId, step[0]!.spanId],
        "both attempts under the step's span"
      )
      assert.deepStrictEqual(
        charges.map((s) => [String(s.tags["aws.durable.attempt"]), s.error, s.tags["aws.durable.attempt_outcome"]]),
        [
          ["1", true, "failed"],
          ["2", false, "succeeded"]
        ]
      )
    })

    it("keeps map items low-cardinality: every item span shares one resource", async () => {
      const { spans } = await traced(WORKFLOWS.find((w) => w.name.startsWith("map"))!)
      const items = spans.filter(
        (s) => s.name === "aws.durable.child_context" && s.tags["aws.durable.span_role"] === "operation"
      )
      assert.strictEqual(items.length, 20, "one operation span per item")
      assert.strictEqual(new Set(items.map((s) => s.resource)).size, 1)
    })

    it("enriches SDK logger lines with the active span's ids", async () => {
      const { lines, spans } = await traced(WORKFLOWS[0]!)
      const logs = lines
        .filter((line) => line.includes('"message"'))
        .map((line) => JSON.parse(line) as Record<string, string>)
        .filter((log) => log.message === "reserving stock" || log.message === "shipping")
      assert.strictEqual(logs.length, 2)
      const decimal = (hex: string) => BigInt(`0x${hex.slice(-16)}`).toString(10)
      for (const log of logs) {
        const step = spans.find((s) => decimal(s.spanId) === log["dd.span_id"])
        assert.isDefined(step, `a span with id ${log["dd.span_id"]}`)
        assert.strictEqual(step!.name, "aws.durable.attempt", "the step's attempt is active while it runs")
        assert.strictEqual(log["dd.trace_id"], decimal(step!.traceId))
        assert.strictEqual(log["dd.service"], "orders")
        assert.strictEqual(log["dd.env"], "test")
      }
    })

    it("writes nothing when the flag is off, and the trace breaks as it would without us", async () => {
      const { result, spans } = await traced(WORKFLOWS[0]!, { enabled: false })
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.deepStrictEqual(
        operationsOf(result, true).filter((op) => op.name?.startsWith("_datadog_")),
        []
      )
      assert.strictEqual(new Set(spans.map((s) => s.traceId)).size, 2)
    })

    if (harness.keepTrace !== undefined) {
      const keepTrace = harness.keepTrace
      it("writes a new N only when a non-volatile field changed (sampling priority), with the same anchor", async () => {
        const steady = WORKFLOWS.find((w) => w.name.startsWith("steady state"))!
        const { result } = await traced(steady, { hooks: { onResume: keepTrace } })
        assert.strictEqual(result.getStatus(), "SUCCEEDED")
        const checkpoints = result
          .getOperations()
          .filter((op) => op.getName()?.startsWith("_datadog_"))
          .map((op) => op.getStepDetails()?.result as Record<string, string>)
        const first = checkpoints[0]!
        const numberOf = (payload: Record<string, string>) => Option.getOrThrow(DurableMember.invocationOf(payload))
        assert.strictEqual(first["x-datadog-sampling-priority"], "1")
        assert.strictEqual(checkpoints.at(-1)!["x-datadog-sampling-priority"], "2", "the kept trace is saved")
        for (const [i, payload] of checkpoints.entries()) {
          assert.strictEqual(payload["x-datadog-parent-id"], first["x-datadog-parent-id"], "the same anchor")
          const prior = checkpoints[i - 1]
          // A second checkpoint of one invocation (its early one, then its suspend) only for the priority.
          if (prior !== undefined && numberOf(prior) === numberOf(payload)) {
            assert.notStrictEqual(payload["x-datadog-sampling-priority"], prior["x-datadog-sampling-priority"])
          }
        }
        assert.isAbove(new Set(checkpoints.map(numberOf)).size, 1)
      })
    }
  })
}
