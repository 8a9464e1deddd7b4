/**
 * An Effect app: the workflow is an Effect, its services come from a Layer, durable steps take Effects, and
 * the app's own `Effect.withSpan` spans nest under the durable spans.
 * Run locally: `node examples/src/effect-app.ts`.
 */
import * as InMemory from "@durable-trace/adapters/InMemory"
import * as DurableEffect from "@durable-trace/runtime/DurableEffect"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { runLocally } from "./runLocally.ts"

class Inventory extends Context.Service<Inventory, { readonly reserve: (sku: string) => Effect.Effect<string> }>()(
  "examples/Inventory"
) {
  static readonly layer = Layer.succeed(Inventory, {
    reserve: (sku) => Effect.succeed(`res_${sku}`).pipe(Effect.withSpan("Inventory.reserve"))
  })
}

// Swap for DdTrace.make(tracer) or OpenTelemetry.layer in production; in memory keeps this example self-contained.
const tracing = InMemory.make()

export const handler = DurableEffect.handler({
  backend: tracing.layer,
  layer: Inventory.layer,
  handler: (order: { readonly sku: string }) =>
    Effect.gen(function* () {
      const inventory = yield* Inventory
      const reservation = yield* DurableEffect.step("reserve", inventory.reserve(order.sku))
      yield* DurableEffect.wait("settle", { minutes: 5 })
      return yield* DurableEffect.step("confirm", Effect.succeed({ reservation, confirmed: true }))
    }).pipe(Effect.withSpan("order.workflow"))
})

if (import.meta.main) {
  await runLocally(handler, { sku: "sku-1" })
  const spans = tracing.spans()
  console.log(`traces: ${new Set(spans.map((span) => span.traceId)).size}`)
  console.log(
    `app spans: ${spans
      .filter((span) => !span.name.startsWith("aws."))
      .map((span) => span.name)
      .join(", ")}`
  )
}
