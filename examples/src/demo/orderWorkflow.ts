/**
 * The demo's workflow: an order that reserves stock, waits for a payment callback, charges the card (the
 * gateway fails once, the step retries after a delay), waits a day, and ships. Each wait, pending callback and
 * retry delay suspends the execution, so it runs as several invocations: the point of the demo is that
 * durable-trace keeps them in one trace. The workflow itself knows nothing about tracing.
 */
import type { DurableExecutionHandler } from "@aws/durable-execution-sdk-js"

export interface Order {
  readonly orderId: string
  readonly sku: string
  readonly quantity: number
}

export interface Receipt {
  readonly orderId: string
  readonly chargeId: string
  readonly trackingNumber: string
}

/** The callback the payment provider completes from outside. */
export const PAYMENT_CALLBACK = "payment"

/** A payment gateway that times out on its first call, as real ones sometimes do. */
export const makeGateway = () => {
  let calls = 0
  return {
    charge: async (order: Order): Promise<string> => {
      calls++
      if (calls === 1) throw new Error("card network timeout")
      return `ch_${order.orderId}_${calls}`
    }
  }
}

export const makeOrderWorkflow =
  (gateway = makeGateway()): DurableExecutionHandler<Order, Receipt> =>
  async (order, context) => {
    const reservation = await context.step("reserve-stock", async (step) => {
      step.logger.info("reserving stock", { sku: order.sku, quantity: order.quantity })
      return { reservationId: `res_${order.orderId}` }
    })

    const payment = await context.waitForCallback(PAYMENT_CALLBACK, async (callbackId, step) => {
      step.logger.info("payment link sent", { callbackId })
    })

    const chargeId = await context.step("charge", async () => gateway.charge(order), {
      retryStrategy: (_error, attempt) => ({ shouldRetry: attempt < 3, delay: { minutes: 5 } })
    })

    await context.wait("cooling-off", { days: 1 })

    const trackingNumber = await context.step("ship", async (step) => {
      step.logger.info("shipping", { reservation: reservation.reservationId, payment })
      return `trk_${order.orderId}`
    })
    return { orderId: order.orderId, chargeId, trackingNumber }
  }
