/** An Effect app on the Effect-native API, with OpenTelemetry, as the README shows it. */
import "./otelSetup.js"
import * as DurableEffect from "@durable-trace/runtime/DurableEffect"
import * as OpenTelemetry from "@durable-trace/runtime/OpenTelemetry"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type { Order } from "./workflow.js"

class Inventory extends Context.Service<Inventory, { readonly reserve: (id: string) => Effect.Effect<string> }>()(
  "consumer/Inventory"
) {
  static readonly layer = Layer.succeed(Inventory, {
    reserve: (id) => Effect.succeed(`res_${id}`).pipe(Effect.withSpan("Inventory.reserve"))
  })
}

export const handler = DurableEffect.handler({
  backend: OpenTelemetry.layer(),
  layer: Inventory.layer,
  handler: (order: Order) =>
    Effect.gen(function* () {
      const inventory = yield* Inventory
      const reservation = yield* DurableEffect.step("reserve", inventory.reserve(order.orderId))
      yield* DurableEffect.wait("cool-off", { minutes: 10 })
      yield* DurableEffect.step("charge", Effect.succeed(`pay_${order.orderId}`))
      yield* DurableEffect.wait("settle", { hours: 1 })
      return yield* DurableEffect.step("ship", Effect.succeed({ reservation, shipped: true }))
    }).pipe(Effect.withSpan("order.workflow"))
})
