/**
 * The demo's order workflow for the end-to-end benchmark, run on the durable SDK's local test runner with skipped
 * time: reserve stock, wait for a payment callback (completed from outside), charge (declined once, retried after a
 * delay), wait a day, ship. Five invocations, four of them resumes. `countCheckpoints` counts the
 * `CheckpointDurableExecution` calls each execution makes, by wrapping the client the runner's events carry.
 */
import type { DurableExecutionHandler, DurableLambdaHandler } from "@aws/durable-execution-sdk-js"
import { LocalDurableTestRunner, WaitingOperationStatus } from "@aws/durable-execution-sdk-js-testing"
import { now } from "./measure.ts"

/** The workflow's input. */
export interface Order {
  readonly orderId: string
}

/**
 * A fresh order workflow. Like a warm Lambda container, one instance serves many executions; the charge is
 * declined on the first attempt of each order.
 */
export const orderWorkflow = (): DurableExecutionHandler<Order, unknown> => {
  const declined = new Set<string>()
  return async function orderWorkflow(order, context) {
    const reservation = await context.step("reserve", async () => ({
      orderId: order.orderId,
      sku: "sku-000042",
      quantity: 2,
      warehouse: "eu-west-1a"
    }))
    const payment = await context.waitForCallback("payment", async () => {})
    const charge = await context.step(
      "charge",
      async () => {
        if (!declined.has(order.orderId)) {
          declined.add(order.orderId)
          throw new Error("card declined")
        }
        return { chargeId: `ch-${order.orderId}`, amount: 4200 }
      },
      { retryStrategy: (_error, attempt) => ({ shouldRetry: attempt < 3, delay: { seconds: 30 } }) }
    )
    await context.wait("cool-off", { days: 1 })
    const shipment = await context.step("ship", async () => ({ trackingId: `trk-${order.orderId}` }))
    return { reservation, payment, charge, shipment }
  }
}

/** Completes the payment callback from outside once the workflow waits on it. */
const pay = async (runner: LocalDurableTestRunner): Promise<void> => {
  const payment = runner.getOperation("payment")
  await payment.waitForData(WaitingOperationStatus.SUBMITTED)
  await payment.sendCallbackSuccess(JSON.stringify({ paid: true }))
}

/** Counts the checkpoint calls made through the clients of the events `handler` receives. */
export const countCheckpoints = (handler: DurableLambdaHandler) => {
  const counted = new WeakSet<object>()
  const counter = {
    calls: 0,
    updates: 0,
    handler: ((event, context) => {
      const client = (event as { durableExecutionClient?: { checkpoint: (...args: Array<never>) => Promise<unknown> } })
        .durableExecutionClient
      if (client !== undefined && !counted.has(client)) {
        counted.add(client)
        const checkpoint = client.checkpoint.bind(client)
        client.checkpoint = (params: { readonly Updates?: ReadonlyArray<unknown> }, ...rest: Array<never>) => {
          counter.calls++
          counter.updates += params.Updates?.length ?? 0
          return checkpoint(params as never, ...rest)
        }
      }
      return handler(event, context)
    }) as DurableLambdaHandler
  }
  return counter
}

/** One execution's outcome. */
export interface Execution {
  /** Wall time of `runner.run`, the callback completion included, ms. */
  readonly ms: number
  readonly status: string | undefined
  readonly invocations: number
  readonly operationNames: ReadonlyArray<string | undefined>
}

/** Runs one order to completion on a fresh local runner, timing the run only (not the environment setup). */
export const runOrder = async (handler: DurableLambdaHandler, orderId: string): Promise<Execution> => {
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
  try {
    const runner = new LocalDurableTestRunner({ handlerFunction: handler })
    const start = now()
    const [result] = await Promise.all([runner.run({ payload: { orderId } }), pay(runner)])
    const ms = now() - start
    return {
      ms,
      status: result.getStatus(),
      invocations: result.getInvocations().length,
      operationNames: result.getOperations().map((operation) => operation.getName())
    }
  } finally {
    await LocalDurableTestRunner.teardownTestEnvironment()
  }
}
