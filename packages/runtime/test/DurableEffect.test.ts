/**
 * The Effect-native API (issue 5): an Effect workflow on the real local runner, its services from a Layer, its
 * own `Effect.withSpan` spans nested under the durable spans of the backend, one trace across invocations.
 */
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"
import * as InMemory from "@durable-trace/adapters/InMemory"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as DurableEffect from "../src/DurableEffect.ts"

class Payments extends Context.Service<Payments, { readonly charge: (order: string) => Effect.Effect<string> }>()(
  "test/Payments"
) {
  static readonly layer = Layer.succeed(Payments, {
    charge: (order) => Effect.succeed(`charged ${order}`).pipe(Effect.withSpan("Payments.charge"))
  })
}

const run = async (handler: ReturnType<typeof DurableEffect.handler>) => {
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
  try {
    return await new LocalDurableTestRunner({ handlerFunction: handler }).run({ payload: { orderId: "o-7" } })
  } finally {
    await LocalDurableTestRunner.teardownTestEnvironment()
  }
}

describe("DurableEffect", () => {
  it("runs an Effect workflow with its layer; app spans nest under durable spans in one trace", async () => {
    const memory = InMemory.make()
    const handler = DurableEffect.handler({
      backend: memory.layer,
      layer: Payments.layer,
      handler: (event: { readonly orderId: string }) =>
        Effect.gen(function* () {
          const payments = yield* Payments
          const charged = yield* DurableEffect.step("charge", payments.charge(event.orderId))
          yield* DurableEffect.wait("settle", { seconds: 30 })
          const shipped = yield* DurableEffect.step("ship", Effect.succeed(`shipped ${event.orderId}`))
          return { charged, shipped }
        }).pipe(Effect.withSpan("order.workflow"))
    })
    const result = await run(handler)
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    assert.deepStrictEqual(result.getResult(), { charged: "charged o-7", shipped: "shipped o-7" })

    const spans = memory.spans()
    assert.strictEqual(new Set(spans.map((s) => s.traceId)).size, 1, "one trace")
    const byId = new Map(spans.map((s) => [s.spanId, s]))
    const charge = spans.find((s) => s.name === "Payments.charge")
    assert.isDefined(charge)
    // Payments.charge ran inside the durable step "charge": its parent is that step's span.
    const parent = byId.get(charge!.parentId!)
    assert.strictEqual(parent?.name, "aws.durable.step")
    assert.strictEqual(parent?.resource, "charge")
    const workflows = spans.filter((s) => s.name === "order.workflow")
    assert.strictEqual(workflows.length, result.getInvocations().length, "the handler re-runs on every invocation")
    for (const workflow of workflows) assert.strictEqual(byId.get(workflow.parentId!)?.name, "aws.durable.execute")
  })

  it("reads its settings through Effect Config: the flag off in the app's ConfigProvider writes nothing", async () => {
    const memory = InMemory.make()
    const handler = DurableEffect.handler({
      backend: memory.layer,
      layer: Layer.empty,
      configProvider: ConfigProvider.fromEnvRecord({ DD_DURABLE_CROSS_INVOCATION_TRACING_ENABLED: "false" }),
      handler: () =>
        Effect.gen(function* () {
          yield* DurableEffect.step("one", Effect.succeed(1))
          yield* DurableEffect.wait("pause", { seconds: 5 })
          return 2
        })
    })
    const result = await run(handler)
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    assert.deepStrictEqual(
      result
        .getOperations()
        .map((op) => op.getName())
        .filter((name) => name?.startsWith("_datadog_")),
      []
    )
  })

  it("a typed failure fails the execution, as a thrown error would", async () => {
    const memory = InMemory.make()
    const handler = DurableEffect.handler({
      backend: memory.layer,
      layer: Layer.empty,
      handler: () => Effect.fail({ _tag: "OutOfStock" as const })
    })
    const result = await run(handler)
    assert.strictEqual(result.getStatus(), "FAILED")
  })
})
