/**
 * The order workflow both deployed flavours run: three steps around two waits, so one execution spans three
 * invocations (each wait suspends it; the service invokes it again when the wait ends). Tracer-free on purpose:
 * the flavours differ only in the backend they wrap it with.
 */
import type { DurableContext } from "@aws/durable-execution-sdk-js"

export interface Order {
  readonly orderId: string
}

export interface Shipment {
  readonly reservation: string
  readonly charged: boolean
  readonly shipped: boolean
}

export const fulfilOrder = async (order: Order, context: DurableContext): Promise<Shipment> => {
  const reservation = await context.step("reserve", async () => `res_${order.orderId}`)
  await context.wait("cool-off", { minutes: 10 })
  const charged = await context.step("charge", async () => true)
  await context.wait("carrier-pickup", { hours: 1 })
  return context.step("ship", async () => ({ reservation, charged, shipped: true }))
}
