/** The workflow every consumer handler runs: three invocations (two waits), a log line in each step. */
import type { DurableContext } from "@aws/durable-execution-sdk-js"

export interface Order {
  readonly orderId: string
}

export const workflow = async (order: Order, context: DurableContext) => {
  const reservation = await context.step("reserve", async (step) => {
    step.logger.info("reserving")
    return `res_${order.orderId}`
  })
  await context.wait("cool-off", { minutes: 10 })
  const payment = await context.step("charge", async () => `pay_${order.orderId}`)
  await context.wait("settle", { hours: 1 })
  return context.step("ship", async () => ({ reservation, payment, shipped: true }))
}
