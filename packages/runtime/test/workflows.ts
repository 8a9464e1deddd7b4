/**
 * The end-to-end workflows (issue 5): each a durable handler factory (fresh state per run), how to drive it
 * on the local runner, and what tracing must produce.
 */
import type { DurableContext, DurableExecutionHandler } from "@aws/durable-execution-sdk-js"
import { type LocalDurableTestRunner, WaitingOperationStatus } from "@aws/durable-execution-sdk-js-testing"

export interface Workflow {
  readonly name: string
  readonly make: (hooks: WorkflowHooks) => DurableExecutionHandler<unknown, unknown>
  /** Runs alongside `runner.run` (e.g. completes a callback from outside). */
  readonly drive?: (runner: LocalDurableTestRunner) => Promise<void>
  readonly status: "SUCCEEDED" | "FAILED"
  /** Whether some invocation ends PENDING (so `_datadog_0` must be written). */
  readonly suspends: boolean
  /** Operation span names that must appear. */
  readonly spans: ReadonlyArray<string>
}

/** Called by workflows from inside steps, so tests can act at a known point. */
export interface WorkflowHooks {
  /** Runs inside the first step of a resumed invocation. */
  readonly onResume?: (() => void) | undefined
}

/**
 * Step `charge`, declined the first time it runs and retried after `retrySeconds`. Make one per run: the decline is
 * remembered across the run's invocations.
 */
export const chargeDeclinedOnce = (retrySeconds: number) => {
  let attempts = 0
  return (context: DurableContext) =>
    context.step(
      "charge",
      async () => {
        attempts++
        if (attempts === 1) throw new Error("card declined once")
        return "charged"
      },
      { retryStrategy: (_error, attempt) => ({ shouldRetry: attempt < 3, delay: { seconds: retrySeconds } }) }
    )
}

/** Completes callback `name` from outside once the workflow has submitted it, as a payment provider would. */
const completeCallback = (name: string) => async (runner: LocalDurableTestRunner) => {
  const operation = runner.getOperation(name)
  await operation.waitForData(WaitingOperationStatus.SUBMITTED)
  await operation.sendCallbackSuccess(JSON.stringify({ ok: true }))
}

const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }

export const WORKFLOWS: ReadonlyArray<Workflow> = [
  {
    name: "step, wait, step",
    status: "SUCCEEDED",
    suspends: true,
    spans: ["aws.durable.step", "aws.durable.wait"],
    make: (hooks) => async (event, context) => {
      const reserved = await context.step("reserve", async (step) => {
        step.logger.info("reserving stock")
        return { event, sku: "sku-1" }
      })
      await context.wait("cool-off", { seconds: 5 })
      const shipped = await context.step("ship", async (step) => {
        hooks.onResume?.()
        step.logger.info("shipping")
        return `shipped ${reserved.sku}`
      })
      return { shipped }
    }
  },
  {
    name: "steady state: suspends twice",
    status: "SUCCEEDED",
    suspends: true,
    spans: ["aws.durable.step", "aws.durable.wait", "aws.durable.wait_for_callback"],
    make: (hooks) => async (_event, context) => {
      await context.step("start", async () => "started")
      await context.wait("cool-off", { seconds: 5 })
      // Runs once, in the second invocation, before it suspends again on the callback.
      await context.step("middle", async () => {
        hooks.onResume?.()
        return "middle"
      })
      const approval = await context.waitForCallback("approve", async () => {})
      return { approval }
    },
    drive: completeCallback("approve")
  },
  {
    name: "waitForCallback completed from outside",
    status: "SUCCEEDED",
    suspends: true,
    spans: ["aws.durable.wait_for_callback"],
    make: () => async (_event, context) => {
      const approval = await context.waitForCallback("approve", async () => {})
      return { approval }
    },
    drive: completeCallback("approve")
  },
  {
    name: "step retry with a delay",
    status: "SUCCEEDED",
    suspends: true,
    spans: ["aws.durable.step"],
    make: () => {
      const charge = chargeDeclinedOnce(10)
      return async (_event, context) => ({ charged: await charge(context) })
    }
  },
  {
    name: "map over 20 items that each wait",
    status: "SUCCEEDED",
    suspends: true,
    spans: ["aws.durable.map", "aws.durable.child_context", "aws.durable.wait"],
    make: () => async (_event, context) => {
      const items = Array.from({ length: 20 }, (_, i) => i)
      const result = await context.map("items", items, async (item, value) => {
        await item.wait({ seconds: 1 })
        return value * 2
      })
      return { doubled: result.getResults() }
    }
  },
  {
    name: "parallel",
    status: "SUCCEEDED",
    suspends: true,
    spans: ["aws.durable.parallel", "aws.durable.child_context"],
    make: () => async (_event, context) => {
      const result = await context.parallel("branches", [
        async (branch) => {
          await branch.wait({ seconds: 1 })
          return branch.step("a", async () => "A")
        },
        async (branch) => {
          await branch.wait({ seconds: 2 })
          return "B"
        }
      ])
      return { branches: result.getResults() }
    }
  },
  {
    name: "child context",
    status: "SUCCEEDED",
    suspends: true,
    spans: ["aws.durable.child_context", "aws.durable.step"],
    make: () => async (_event, context) => {
      const inner = await context.runInChildContext("enrich", async (child) => {
        const a = await child.step("lookup", async () => 41)
        await child.wait({ seconds: 3 })
        return a + 1
      })
      return { inner }
    }
  },
  {
    name: "a workflow that fails",
    status: "FAILED",
    suspends: false,
    spans: ["aws.durable.step"],
    make: () => async (_event, context) => {
      await context.step("validate", async () => "ok")
      await context.step(
        "explode",
        async () => {
          throw new Error("invalid order")
        },
        noRetry
      )
      return "unreachable"
    }
  },
  {
    name: "finishes in a single invocation",
    status: "SUCCEEDED",
    suspends: false,
    spans: ["aws.durable.step"],
    make: () => async (_event, context) => {
      const a = await context.step("one", async () => 1)
      const b = await context.step("two", async () => 2)
      return { sum: a + b }
    }
  }
]
