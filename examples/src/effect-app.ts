/**
 * An Effect app: an order workflow whose body is an Effect, its services from a Layer, every durable operation an
 * Effect. It reserves each line item (a map with typed items), waits for a manager's approval (a callback),
 * charges the card (a step retried while the payment provider is unavailable, not when the card is declined) and
 * ships in a child context. Values and typed errors cross the durable
 * boundary through Schemas, so a replay sees `Date`s, `bigint`s and tagged errors, not JSON. The app's own
 * `Effect.withSpan` spans nest under the durable spans, in one trace across the invocations.
 * Run locally: `node examples/src/effect-app.ts`.
 */
import { createRetryStrategy } from "@aws/durable-execution-sdk-js"
import { WaitingOperationStatus } from "@aws/durable-execution-sdk-js-testing"
import * as DurableEffect from "@durable-trace/runtime/DurableEffect"
import * as InMemory from "@durable-trace/runtime/InMemory"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { runLocally } from "./runLocally.ts"

// The domain: what crosses the durable boundary has a Schema.
const Sku = Schema.String.pipe(Schema.check(Schema.isPattern(/^sku-\d+$/)), Schema.brand("Sku"))
const LineItem = Schema.Struct({ sku: Sku, quantity: Schema.Int })
const Order = Schema.Struct({ orderId: Schema.String, items: Schema.Array(LineItem), totalCents: Schema.BigInt })
type Order = typeof Order.Type
const Reservation = Schema.Struct({ sku: Sku, quantity: Schema.Int, reservedAt: Schema.Date })
const Approval = Schema.Struct({ approver: Schema.String, approvedAt: Schema.Date })
const Receipt = Schema.Struct({ chargeId: Schema.String, amountCents: Schema.BigInt })
const Label = Schema.Struct({ trackingNumber: Schema.String })

class OutOfStock extends Schema.TaggedError<OutOfStock>()("OutOfStock", { sku: Sku }) {}
class PaymentUnavailable extends Schema.TaggedError<PaymentUnavailable>()("PaymentUnavailable", {}) {}
class CardDeclined extends Schema.TaggedError<CardDeclined>()("CardDeclined", { reason: Schema.String }) {}
const PaymentError = Schema.Union([PaymentUnavailable, CardDeclined])

// The services: in memory here, your clients in production.
class Inventory extends Context.Service<
  Inventory,
  { readonly reserve: (item: typeof LineItem.Type) => Effect.Effect<typeof Reservation.Type, OutOfStock> }
>()("examples/Inventory") {
  static readonly layer = Layer.succeed(Inventory, {
    reserve: (item) =>
      Effect.succeed({ ...item, reservedAt: new Date() }).pipe(
        Effect.withSpan("Inventory.reserve", { attributes: { sku: item.sku } })
      )
  })
}

class Payments extends Context.Service<
  Payments,
  { readonly charge: (order: Order) => Effect.Effect<typeof Receipt.Type, PaymentUnavailable | CardDeclined> }
>()("examples/Payments") {
  // The provider is down on the first attempt: the step retries after a durable delay.
  static readonly layer = Layer.sync(Payments, () => {
    let attempts = 0
    return {
      charge: (order) =>
        Effect.suspend(() =>
          ++attempts === 1
            ? Effect.fail(new PaymentUnavailable())
            : Effect.succeed({ chargeId: `ch_${order.orderId}`, amountCents: order.totalCents })
        ).pipe(Effect.withSpan("Payments.charge"))
    }
  })
}

class Approvals extends Context.Service<
  Approvals,
  { readonly request: (callbackId: string, order: Order) => Effect.Effect<void> }
>()("examples/Approvals") {
  // Sends the callback id to the approver (a queue, an email); the approver completes the callback later.
  static readonly layer = Layer.succeed(Approvals, {
    request: (callbackId, order) =>
      Effect.log(`approval for ${order.orderId} requested: ${callbackId}`).pipe(Effect.withSpan("Approvals.request"))
  })
}

// The event is JSON: decoded through the schema's JSON codec (`totalCents` arrives as a string).
const decodeOrder = Schema.decodeUnknownEffect(Schema.toCodecJson(Order))

const workflow = (event: unknown) =>
  Effect.gen(function* () {
    const order = yield* decodeOrder(event)
    const inventory = yield* Inventory
    const payments = yield* Payments
    const approvals = yield* Approvals

    // A map with typed items: one child context per line item, each a step whose result is a Reservation.
    const reservations = yield* DurableEffect.map(
      "reserve",
      order.items,
      (item) =>
        DurableEffect.step("reserve-item", inventory.reserve(item), { success: Reservation, error: OutOfStock }),
      { success: Reservation, maxConcurrency: 4, itemNamer: (item) => item.sku }
    )
    // A callback: the workflow suspends (no compute billed) until the approver answers.
    const approval = yield* DurableEffect.waitForCallback(
      "approve",
      (callbackId) => approvals.request(callbackId, order),
      { success: Approval, timeout: { hours: 24 } }
    )
    // A retried step with a typed failure: retried while the provider is unavailable, never on a declined card.
    const receipt = yield* DurableEffect.step("charge", payments.charge(order), {
      success: Receipt,
      error: PaymentError,
      retryStrategy: createRetryStrategy({ maxAttempts: 5, initialDelay: { seconds: 30 } }),
      retryable: (error) => error._tag === "PaymentUnavailable"
    })
    // A child context groups the shipping operations under one span and one checkpointed result.
    const label = yield* DurableEffect.runInChildContext(
      "ship",
      Effect.gen(function* () {
        const label = yield* DurableEffect.step(
          "print-label",
          Effect.succeed({ trackingNumber: `1Z${order.orderId}` }).pipe(Effect.withSpan("Shipping.label")),
          { success: Label }
        )
        yield* DurableEffect.wait("await-pickup", { hours: 2 })
        return label
      }),
      { success: Label }
    )
    return {
      reserved: reservations.getResults().map((reservation) => reservation.sku),
      approvedBy: approval.approver,
      chargeId: receipt.chargeId,
      charged: receipt.amountCents.toString(),
      trackingNumber: label.trackingNumber
    }
  }).pipe(Effect.withSpan("order.workflow"))

// Swap for DdTrace.layer(tracer) or OpenTelemetry.layer() in production; in memory keeps this example self-contained.
const tracing = InMemory.make()

export const handler = DurableEffect.handler({
  backend: InMemory.layer(tracing),
  layer: Layer.mergeAll(Inventory.layer, Payments.layer, Approvals.layer),
  handler: workflow
})

if (import.meta.main) {
  const result = await runLocally(
    handler,
    {
      orderId: "o-42",
      items: [
        { sku: "sku-1", quantity: 2 },
        { sku: "sku-7", quantity: 1 }
      ],
      totalCents: "129900"
    },
    // The approver, answering from outside.
    async (runner) => {
      const approve = runner.getOperation("approve")
      await approve.waitForData(WaitingOperationStatus.SUBMITTED)
      await approve.sendCallbackSuccess(JSON.stringify({ approver: "dana", approvedAt: new Date().toISOString() }))
    }
  )
  const spans = tracing.spans()
  console.log(`traces: ${new Set(spans.map((span) => span.traceId)).size}`)
  console.log(
    `app spans: ${[...new Set(spans.filter((span) => !span.name.startsWith("aws.")).map((span) => span.name))].join(", ")}`
  )
  console.log(`result: ${JSON.stringify(result)}`)
}
