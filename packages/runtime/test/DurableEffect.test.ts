/**
 * The Effect-native API (issues 5, 16) on the real local runner: services from a Layer, app spans under durable
 * spans, and what crosses the durable boundary: values through Schemas (decoded on replay, or a typed error when
 * stored data no longer decodes), typed failures identical on the first run and after replay, retries decided by
 * the typed failure, scopes released when an invocation suspends, a durable workflow timeout.
 * Backend-independent (the in-memory tracer); `DurableEffect.suite.ts` runs every operation under both backends.
 */
import { createRetryStrategy } from "@aws/durable-execution-sdk-js"
import { LocalDurableTestRunner, WaitingOperationStatus } from "@aws/durable-execution-sdk-js-testing"
import * as InMemory from "@durable-trace/adapters/InMemory"
import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { expectTypeOf } from "vitest"
import * as DurableEffect from "../src/DurableEffect.ts"

class Payments extends Context.Service<Payments, { readonly charge: (order: string) => Effect.Effect<string> }>()(
  "test/Payments"
) {
  static readonly layer = Layer.succeed(Payments, {
    charge: (order) => Effect.succeed(`charged ${order}`).pipe(Effect.withSpan("Payments.charge"))
  })
}

class OutOfStock extends Schema.TaggedError<OutOfStock>()("OutOfStock", { sku: Schema.String }) {}
class Transient extends Schema.TaggedError<Transient>()("Transient", { attempt: Schema.Number }) {}
class Fatal extends Schema.TaggedError<Fatal>()("Fatal", { attempt: Schema.Number }) {}

const Sku = Schema.String.pipe(Schema.check(Schema.isPattern(/^sku-\d+$/)), Schema.brand("Sku"))
const Reservation = Schema.Struct({ at: Schema.Date, units: Schema.BigInt, sku: Sku })

type Runner = LocalDurableTestRunner<unknown>
type Handler = ReturnType<typeof DurableEffect.handler>

const run = async (handler: Handler, drive?: (runner: Runner) => Promise<void>) => {
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
  try {
    const runner = new LocalDurableTestRunner({ handlerFunction: handler })
    const driving = drive?.(runner)
    const result = await runner.run({ payload: { orderId: "o-7" } })
    await driving
    return result
  } finally {
    await LocalDurableTestRunner.teardownTestEnvironment()
  }
}

const operation = (result: Awaited<ReturnType<typeof run>>, name: string) => {
  const found = result.getOperations().find((op) => op.getName() === name)
  assert.isDefined(found, name)
  return found!
}

/** A handler on the in-memory backend with no services of its own. */
const plain = <A, E>(workflow: () => Effect.Effect<A, E, DurableEffect.DurableContext>) =>
  DurableEffect.handler({ backend: InMemory.layer(), layer: Layer.empty, handler: workflow })

const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }

describe("DurableEffect", () => {
  it("runs an Effect workflow with its layer; app spans nest under durable spans in one trace", async () => {
    const memory = InMemory.make()
    const handler = DurableEffect.handler({
      backend: InMemory.layer(memory),
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
    // Payments.charge ran inside the durable step "charge": its parent is that step's attempt, under the step.
    const parent = byId.get(charge!.parentId!)
    assert.strictEqual(parent?.name, "aws.durable.attempt")
    assert.strictEqual(parent?.resource, "charge")
    assert.strictEqual(byId.get(parent!.parentId!)?.name, "aws.durable.step")
    const workflows = spans.filter((s) => s.name === "order.workflow")
    assert.strictEqual(workflows.length, result.getInvocations().length, "the handler re-runs on every invocation")
    for (const workflow of workflows) assert.strictEqual(byId.get(workflow.parentId!)?.name, "aws.durable.execute")
  })

  it("builds its backend once per container: the workflow's spans and durable-trace's share it", async () => {
    const memory = InMemory.make()
    let builds = 0
    const counted = Layer.unwrap(
      Effect.sync(() => {
        builds++
        return InMemory.layer(memory)
      })
    )
    const handler = DurableEffect.handler({
      backend: counted,
      layer: Layer.empty,
      handler: () =>
        Effect.gen(function* () {
          yield* DurableEffect.step("one", Effect.succeed(1))
          yield* DurableEffect.wait("pause", { seconds: 5 })
          return yield* DurableEffect.step("two", Effect.succeed(2))
        }).pipe(Effect.withSpan("workflow"))
    })
    const result = await run(handler)
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    assert.isAbove(result.getInvocations().length, 1, "the workflow suspended and resumed")
    assert.strictEqual(builds, 1, "one build for every invocation and for both the Effect tracer and the plugin")
    const names = new Set(memory.spans().map((span) => span.name))
    assert.isTrue(names.has("workflow") && names.has("aws.durable.execute") && names.has("aws.lambda"))
  })

  it("reads its settings through Effect Config: the flag off in the app's ConfigProvider writes nothing", async () => {
    const handler = DurableEffect.handler({
      backend: InMemory.layer(),
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
    const result = await run(plain(() => Effect.fail({ _tag: "OutOfStock" as const })))
    assert.strictEqual(result.getStatus(), "FAILED")
  })

  describe("Schemas at the durable boundary", () => {
    it("a replayed step returns its Date, bigint and branded value decoded, as on the first run", async () => {
      const seen: Array<{ readonly at: boolean; readonly units: string; readonly sku: string }> = []
      const handler = plain(() =>
        Effect.gen(function* () {
          const reservation = yield* DurableEffect.step(
            "reserve",
            Effect.succeed({ at: new Date(0), units: 2n ** 64n, sku: Schema.decodeSync(Sku)("sku-1") }),
            { success: Reservation }
          )
          seen.push({
            at: reservation.at instanceof Date,
            units: typeof reservation.units,
            sku: reservation.sku
          })
          yield* DurableEffect.wait("settle", { seconds: 5 })
          return { at: reservation.at.toISOString(), units: reservation.units.toString() }
        })
      )
      const result = await run(handler)
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.deepStrictEqual(result.getResult(), { at: "1970-01-01T00:00:00.000Z", units: "18446744073709551616" })
      // First run, then the replay of the stored step in the second invocation.
      assert.deepStrictEqual(seen, [
        { at: true, units: "bigint", sku: "sku-1" },
        { at: true, units: "bigint", sku: "sku-1" }
      ])
      // Checkpointed in its encoded JSON form.
      const stored = operation(result, "reserve").getStepDetails()?.result
      assert.deepStrictEqual(typeof stored === "string" ? JSON.parse(stored) : stored, {
        at: "1970-01-01T00:00:00.000Z",
        units: "18446744073709551616",
        sku: "sku-1"
      })
    })

    it("stored data that no longer decodes is a typed DurableSchemaError, not a wrong value", async () => {
      // The code changed between invocations: the second one reads the step back with a stricter schema.
      let invocation = 0
      const V1 = Schema.Struct({ sku: Schema.String })
      const V2 = Schema.Struct({ sku: Sku })
      const handler = plain(() =>
        Effect.gen(function* () {
          invocation++
          const reserved = yield* DurableEffect.step("reserve", Effect.succeed({ sku: "legacy" }), {
            success: invocation === 1 ? V1 : V2
          })
          yield* DurableEffect.wait("settle", { seconds: 5 })
          return reserved.sku
        }).pipe(
          Effect.catchTag("DurableSchemaError", (error) =>
            Effect.succeed({ reason: error.reason, operation: error.operation })
          )
        )
      )
      const result = await run(handler)
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.deepStrictEqual(result.getResult(), { reason: "Decode", operation: "reserve" })
    })

    it("a result its own schema refuses fails the step with Encode, without retrying it", async () => {
      let attempts = 0
      const handler = plain(() =>
        DurableEffect.step(
          "reserve",
          Effect.sync(() => {
            attempts++
            return { sku: "not a sku" as typeof Sku.Type }
          }),
          { success: Schema.Struct({ sku: Sku }) }
        ).pipe(Effect.catchTag("DurableSchemaError", (error) => Effect.succeed(error.reason)))
      )
      const result = await run(handler)
      assert.strictEqual(result.getResult(), "Encode")
      assert.strictEqual(attempts, 1)
    })

    it("a callback's payload is decoded with its schema", async () => {
      const Approval = Schema.Struct({ approvedAt: Schema.Date })
      const handler = plain(() =>
        Effect.map(
          DurableEffect.waitForCallback("approve", () => Effect.void, { success: Approval }),
          (approval) => approval.approvedAt instanceof Date && approval.approvedAt.getTime()
        )
      )
      const result = await run(handler, async (runner) => {
        const operation = runner.getOperation("approve")
        await operation.waitForData(WaitingOperationStatus.SUBMITTED)
        await operation.sendCallbackSuccess(JSON.stringify({ approvedAt: "2026-01-02T03:04:05.000Z" }))
      })
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.strictEqual(result.getResult(), Date.UTC(2026, 0, 2, 3, 4, 5))
    })

    it("a polled condition's state is checkpointed with its schema and decoded for the next check", async () => {
      const seen: Array<string> = []
      const handler = plain(() =>
        DurableEffect.waitForCondition(
          "poll",
          (polls: bigint) =>
            Effect.sync(() => {
              seen.push(typeof polls)
              return polls + 1n
            }),
          {
            initialState: 0n,
            success: Schema.BigInt,
            waitStrategy: (polls) =>
              polls >= 3n ? { shouldContinue: false } : { shouldContinue: true, delay: { seconds: 1 } }
          }
        ).pipe(Effect.map(String))
      )
      const result = await run(handler)
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.strictEqual(result.getResult(), "3")
      assert.deepStrictEqual(seen, ["bigint", "bigint", "bigint"])
    })

    it("map items and a child context's result come back decoded after replay", async () => {
      const seen: Array<ReadonlyArray<string>> = []
      const handler = plain(() =>
        Effect.gen(function* () {
          const batch = yield* DurableEffect.map(
            "price",
            [1n, 2n],
            (units) => DurableEffect.step("quote", Effect.succeed(units * 10n ** 20n), { success: Schema.BigInt }),
            { success: Schema.BigInt }
          )
          const shipped = yield* DurableEffect.runInChildContext(
            "ship",
            Effect.gen(function* () {
              yield* DurableEffect.wait("pack", { seconds: 1 })
              return new Date(86_400_000)
            }),
            { success: Schema.Date }
          )
          seen.push([...batch.getResults().map((n) => typeof n), shipped.constructor.name])
          yield* DurableEffect.wait("settle", { seconds: 5 })
          return batch.getResults().map(String)
        })
      )
      const result = await run(handler)
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.deepStrictEqual(result.getResult(), ["100000000000000000000", "200000000000000000000"])
      assert.isAtLeast(seen.length, 2)
      for (const types of seen) assert.deepStrictEqual(types, ["bigint", "bigint", "Date"])
    })
  })

  describe("typed errors", () => {
    it("a step's typed failure is the same tagged error on the first run and after replay", async () => {
      const seen: Array<unknown> = []
      const handler = plain(() =>
        Effect.gen(function* () {
          const error = yield* DurableEffect.step("reserve", Effect.fail(new OutOfStock({ sku: "sku-9" })), {
            error: OutOfStock,
            ...noRetry
          }).pipe(Effect.flip)
          seen.push(error)
          yield* DurableEffect.wait("settle", { seconds: 5 })
          return error._tag
        })
      )
      const result = await run(handler)
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.strictEqual(seen.length, 2, "first run, then the replay")
      for (const error of seen) {
        assert.instanceOf(error, OutOfStock)
        assert.deepStrictEqual({ ...(error as OutOfStock) }, { _tag: "OutOfStock", sku: "sku-9" })
      }
    })

    it("without an error schema, the typed failure is a DurableOperationFailure carrying the SDK's error, on every run", async () => {
      const seen: Array<unknown> = []
      const handler = plain(() =>
        Effect.gen(function* () {
          const error = yield* DurableEffect.step(
            "reserve",
            Effect.fail(new OutOfStock({ sku: "sku-9" })),
            noRetry
          ).pipe(Effect.flip)
          seen.push(error)
          yield* DurableEffect.wait("settle", { seconds: 5 })
          return error._tag
        })
      )
      const result = await run(handler)
      assert.strictEqual(result.getResult(), "DurableOperationFailure")
      assert.strictEqual(seen.length, 2)
      for (const error of seen) {
        assert.instanceOf(error, DurableEffect.DurableOperationFailure)
        const failure = error as DurableEffect.DurableOperationFailure
        assert.strictEqual(failure.operation, "reserve")
        assert.strictEqual(failure.cause.name, "StepError")
        assert.strictEqual(failure.cause.message, "OutOfStock")
      }
    })

    it("retries follow the SDK's strategy; `retryable` stops them on a typed failure that will not pass", async () => {
      const attempts = { transient: 0, fatal: 0 }
      const strategy = createRetryStrategy({ maxAttempts: 4, initialDelay: { seconds: 1 } })
      const handler = plain(() =>
        Effect.gen(function* () {
          const charged = yield* DurableEffect.step(
            "charge",
            Effect.suspend(() =>
              ++attempts.transient < 3
                ? Effect.fail(new Transient({ attempt: attempts.transient }))
                : Effect.succeed("ok")
            ),
            { error: Transient, retryStrategy: strategy, retryable: (error) => error._tag === "Transient" }
          )
          const fatal = yield* DurableEffect.step(
            "refund",
            Effect.suspend(() => Effect.fail(new Fatal({ attempt: ++attempts.fatal }))),
            { error: Fatal, retryStrategy: strategy, retryable: (error) => error._tag !== "Fatal" }
          ).pipe(Effect.flip)
          return { charged, fatal: fatal._tag }
        })
      )
      const result = await run(handler)
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.deepStrictEqual(result.getResult(), { charged: "ok", fatal: "Fatal" })
      assert.deepStrictEqual(attempts, { transient: 3, fatal: 1 })
    })

    it("a map item's typed failure decodes from its batch result, on the first run and after replay", async () => {
      const seen: Array<unknown> = []
      const handler = plain(() =>
        Effect.gen(function* () {
          const batch = yield* DurableEffect.map(
            "reserve",
            ["sku-1", "sku-2"],
            (sku) =>
              sku === "sku-2"
                ? DurableEffect.step("reserve-item", Effect.fail(new OutOfStock({ sku })), {
                    error: OutOfStock,
                    ...noRetry
                  })
                : DurableEffect.step("reserve-item", Effect.succeed(sku)),
            { error: OutOfStock, completionConfig: { toleratedFailureCount: 1 } }
          )
          seen.push(...batch.failed().map((item) => DurableEffect.failureOf("reserve", item.error, OutOfStock)))
          yield* DurableEffect.wait("settle", { seconds: 5 })
          return batch.getResults()
        })
      )
      const result = await run(handler)
      assert.deepStrictEqual(result.getResult(), ["sku-1"])
      assert.strictEqual(seen.length, 2, "first run, then the replay")
      for (const error of seen) {
        assert.instanceOf(error, OutOfStock)
        assert.strictEqual((error as OutOfStock).sku, "sku-2")
      }
    })

    it("a callback submitter's typed failure reaches the workflow", async () => {
      const handler = plain(() =>
        DurableEffect.waitForCallback("approve", () => Effect.fail(new OutOfStock({ sku: "sku-5" })), {
          error: OutOfStock,
          ...noRetry
        }).pipe(
          Effect.flip,
          Effect.map((error) => (error instanceof OutOfStock ? `OutOfStock ${error.sku}` : error._tag))
        )
      )
      const result = await run(handler)
      assert.strictEqual(result.getResult(), "OutOfStock sku-5")
    })

    it("an invoked workflow's typed failure reaches the caller with the same error schema", async () => {
      const caller = DurableEffect.handler({
        backend: InMemory.layer(),
        layer: Layer.empty,
        handler: () =>
          DurableEffect.invoke("reserve", "inventory", { sku: "sku-4" }, { error: OutOfStock }).pipe(
            Effect.flip,
            Effect.map((error) => (error instanceof OutOfStock ? `OutOfStock ${error.sku}` : error._tag))
          )
      })
      const callee = DurableEffect.handler({
        backend: InMemory.layer(),
        layer: Layer.empty,
        error: OutOfStock,
        handler: (request: { readonly sku: string }) =>
          Effect.gen(function* () {
            yield* DurableEffect.step("check", Effect.succeed(0))
            return yield* new OutOfStock({ sku: request.sku })
          })
      })
      await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
      try {
        const runner = new LocalDurableTestRunner({ handlerFunction: caller }).registerDurableFunction(
          "inventory",
          callee
        )
        const result = await runner.run({ payload: {} })
        assert.strictEqual(result.getStatus(), "SUCCEEDED")
        assert.strictEqual(result.getResult(), "OutOfStock sku-4")
      } finally {
        await LocalDurableTestRunner.teardownTestEnvironment()
      }
    })

    it("a child context's typed failure survives replay with its error schema", async () => {
      const seen: Array<unknown> = []
      const handler = plain(() =>
        Effect.gen(function* () {
          const error = yield* DurableEffect.runInChildContext(
            "reserve-all",
            Effect.gen(function* () {
              yield* DurableEffect.step("reserve", Effect.succeed(1))
              return yield* new OutOfStock({ sku: "sku-3" })
            }),
            { error: OutOfStock }
          ).pipe(Effect.flip)
          seen.push(error)
          yield* DurableEffect.wait("settle", { seconds: 5 })
          return error._tag
        })
      )
      const result = await run(handler)
      assert.strictEqual(result.getResult(), "OutOfStock")
      assert.strictEqual(seen.length, 2)
      for (const error of seen) assert.instanceOf(error, OutOfStock)
    })
  })

  describe("interruption and suspension", () => {
    it("a suspended invocation's fiber is interrupted: acquireRelease scopes release before the next one runs", async () => {
      const events: Array<string> = []
      const resource = (name: string) =>
        Effect.acquireRelease(
          Effect.sync(() => events.push(`acquire ${name}`)),
          () => Effect.sync(() => events.push(`release ${name}`))
        )
      const handler = plain(() =>
        Effect.scoped(
          Effect.gen(function* () {
            yield* resource("workflow")
            yield* DurableEffect.runInChildContext(
              "child",
              Effect.scoped(
                Effect.gen(function* () {
                  yield* resource("child")
                  yield* DurableEffect.wait("pause", { seconds: 5 })
                })
              )
            )
            return "done"
          })
        )
      )
      const result = await run(handler)
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.strictEqual(result.getInvocations().length, 2)
      assert.deepStrictEqual(events, [
        "acquire workflow",
        "acquire child",
        // The suspend: both scopes release before the second invocation starts.
        "release child",
        "release workflow",
        "acquire workflow",
        "acquire child",
        "release child",
        "release workflow"
      ])
    })

    it("acquireRelease inside a step releases on success and on failure", async () => {
      const events: Array<string> = []
      const guarded = <A, E>(name: string, body: Effect.Effect<A, E>) =>
        Effect.scoped(
          Effect.acquireRelease(
            Effect.sync(() => events.push(`acquire ${name}`)),
            () => Effect.sync(() => events.push(`release ${name}`))
          ).pipe(Effect.andThen(body))
        )
      const handler = plain(() =>
        Effect.gen(function* () {
          yield* DurableEffect.step("ok", guarded("ok", Effect.succeed(1)))
          yield* DurableEffect.step("ko", guarded("ko", Effect.fail(new Fatal({ attempt: 1 }))), noRetry).pipe(
            Effect.flip
          )
          return events.length
        })
      )
      const result = await run(handler)
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.deepStrictEqual(events, ["acquire ok", "release ok", "acquire ko", "release ko"])
    })

    it("a workflow timeout is a durable wait, checkpointed, that fails the workflow with DurableTimeoutError", async () => {
      const handler = plain(() =>
        DurableEffect.waitForCallback("approve", () => Effect.void).pipe(
          DurableEffect.timeout("deadline", { hours: 24 }),
          Effect.catchTag("DurableTimeoutError", (error) => Effect.succeed(`timed out: ${error.operation}`))
        )
      )
      const result = await run(handler)
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.strictEqual(result.getResult(), "timed out: deadline")
      // A checkpointed WAIT, not an in-memory timer: its deadline holds whichever invocation is running.
      const deadline = operation(result, "deadline")
      assert.strictEqual(deadline.getType(), "WAIT")
      assert.strictEqual(deadline.getStatus(), "SUCCEEDED")
    })

    it("a workflow that finishes first is not timed out", async () => {
      const handler = plain(() =>
        DurableEffect.step("quick", Effect.succeed("done")).pipe(DurableEffect.timeout("deadline", { hours: 24 }))
      )
      const result = await run(handler)
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      assert.strictEqual(result.getResult(), "done")
    })
  })

  it("types: your errors only with an error schema, the decoded type with a success schema", () => {
    const failing = Effect.fail(new OutOfStock({ sku: "sku-1" })) as Effect.Effect<number, OutOfStock>
    expectTypeOf(DurableEffect.step("a", failing)).toEqualTypeOf<
      Effect.Effect<number, DurableEffect.DurableError, DurableEffect.DurableContext>
    >()
    expectTypeOf(DurableEffect.step("a", failing, { error: OutOfStock })).toEqualTypeOf<
      Effect.Effect<number, OutOfStock | DurableEffect.DurableError, DurableEffect.DurableContext>
    >()
    expectTypeOf(DurableEffect.waitForCallback("b", () => Effect.void)).toEqualTypeOf<
      Effect.Effect<string, DurableEffect.DurableError, DurableEffect.DurableContext>
    >()
    expectTypeOf(DurableEffect.waitForCallback("b", () => Effect.void, { success: Reservation })).toEqualTypeOf<
      Effect.Effect<typeof Reservation.Type, DurableEffect.DurableError, DurableEffect.DurableContext>
    >()
    expectTypeOf(
      DurableEffect.runInChildContext("c", DurableEffect.step("a", failing, { error: OutOfStock }), {
        error: OutOfStock
      })
    ).toEqualTypeOf<Effect.Effect<number, OutOfStock | DurableEffect.DurableError, DurableEffect.DurableContext>>()
    expectTypeOf(DurableEffect.invoke("d", "fn", { a: 1 }, { success: Reservation })).toEqualTypeOf<
      Effect.Effect<typeof Reservation.Type, DurableEffect.DurableError, DurableEffect.DurableContext>
    >()
  })

  describe("the durable runtime as a Layer", () => {
    const memory = InMemory.make()
    const Durable = DurableEffect.layer({ backend: InMemory.layer(memory) }).pipe(
      Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnvRecord({}))),
      Layer.merge(Payments.layer)
    )

    it.effect("builds the handler from the app's layers and runs it on the local runner", () =>
      Effect.gen(function* () {
        memory.reset()
        const handler = yield* DurableEffect.makeHandler((order: { readonly orderId: string }) =>
          Effect.gen(function* () {
            const payments = yield* Payments
            const charged = yield* DurableEffect.step("charge", payments.charge(order.orderId))
            yield* DurableEffect.wait("settle", { seconds: 30 })
            return charged
          })
        )
        const result = yield* Effect.promise(() => run(handler))
        assert.strictEqual(result.getStatus(), "SUCCEEDED")
        assert.strictEqual(result.getResult(), "charged o-7")
        const charge = memory.spans().find((span) => span.name === "Payments.charge")
        assert.isDefined(charge, "the app's span landed in the layer's backend")
      }).pipe(Effect.provide(Durable))
    )
  })
})
