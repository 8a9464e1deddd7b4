/**
 * Every durable operation of the Effect-native API (issue 16), run once per backend with its real engine on the
 * durable SDK's local runner: one workflow that steps, waits, waits for and creates callbacks, polls a condition,
 * maps, runs parallel branches and a child context, invokes another durable function and uses the four
 * combinators. It must keep one trace across its invocations (and into the invoked function), give every
 * operation its SPEC §5 span, and nest the app's own `Effect.withSpan` spans under the operation that ran them.
 */
import { LocalDurableTestRunner, WaitingOperationStatus } from "@aws/durable-execution-sdk-js-testing"
import { assert, describe, it } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as DurableEffect from "../src/DurableEffect.ts"
import type { Harness, TestSpan } from "./e2e.suite.ts"
import { captureStdout } from "./support.ts"

class Inventory extends Context.Service<Inventory, { readonly reserve: (sku: string) => Effect.Effect<string> }>()(
  "test/Inventory"
) {
  static readonly layer = Layer.succeed(Inventory, {
    reserve: (sku) => Effect.succeed(`res-${sku}`).pipe(Effect.withSpan("Inventory.reserve"))
  })
}

class Declined extends Schema.TaggedError<Declined>()("Declined", { reason: Schema.String }) {}

const Approval = Schema.Struct({ by: Schema.String, at: Schema.Date })
const noRetry = { retryStrategy: () => ({ shouldRetry: false }) }

const workflow = (order: { readonly orderId: string }) =>
  Effect.gen(function* () {
    const inventory = yield* Inventory
    const reservation = yield* DurableEffect.step("reserve", inventory.reserve(order.orderId))
    yield* DurableEffect.wait("cool-off", { seconds: 5 })
    const approval = yield* DurableEffect.waitForCallback(
      "approve",
      (callbackId) => Effect.annotateCurrentSpan("callback.id", callbackId).pipe(Effect.withSpan("approval.submit")),
      { success: Approval }
    )
    const [confirmation, confirmationId] = yield* DurableEffect.createCallback("confirm", { success: Approval })
    yield* DurableEffect.step("send-confirmation", Effect.void.pipe(Effect.withSpan("confirmation.send")))
    const confirmed = yield* confirmation
    const polls = yield* DurableEffect.waitForCondition(
      "poll",
      (checks: number) => Effect.succeed(checks + 1).pipe(Effect.withSpan("poll.check")),
      {
        initialState: 0,
        waitStrategy: (checks) =>
          checks >= 2 ? { shouldContinue: false } : { shouldContinue: true, delay: { seconds: 1 } }
      }
    )
    const charges = yield* DurableEffect.map(
      "charge",
      [1n, 2n, 3n],
      (cents) =>
        DurableEffect.step("charge-item", Effect.succeed(cents * 10n).pipe(Effect.withSpan("charge.item")), {
          success: Schema.BigInt
        }),
      { success: Schema.BigInt, maxConcurrency: 2, itemNamer: (cents) => `item-${cents}` }
    )
    const notified = yield* DurableEffect.parallel("notify", [
      {
        name: "email",
        effect: DurableEffect.step("email", Effect.succeed("mailed").pipe(Effect.withSpan("notify.email")))
      },
      DurableEffect.step("sms", Effect.succeed("texted"))
    ])
    const label = yield* DurableEffect.runInChildContext(
      "ship",
      Effect.gen(function* () {
        yield* DurableEffect.wait("pack", { seconds: 1 })
        return yield* DurableEffect.step("label", Effect.succeed("L-1"))
      }).pipe(Effect.withSpan("ship.plan"))
    )
    const receipt = yield* DurableEffect.invoke("pay", "payments", { orderId: order.orderId, amount: 499 })
    const pair = yield* DurableEffect.all("pair", [
      DurableEffect.step("left", Effect.succeed("L")),
      DurableEffect.step("right", Effect.succeed("R"))
    ])
    const settled = yield* DurableEffect.allSettled(
      "outcomes",
      [
        DurableEffect.step("fine", Effect.succeed("fine")),
        DurableEffect.step("declined", Effect.fail(new Declined({ reason: "card" })), { error: Declined, ...noRetry })
      ],
      { error: Declined }
    )
    const first = yield* DurableEffect.any("first", [
      DurableEffect.step("fails", Effect.fail(new Declined({ reason: "first" })), noRetry),
      DurableEffect.step("works", Effect.succeed("works"))
    ])
    const winner = yield* DurableEffect.race("fastest", [
      DurableEffect.step("quick", Effect.succeed("quick")),
      DurableEffect.wait("slow", { hours: 1 }).pipe(Effect.as("slow"))
    ])
    return {
      reservation,
      approvedBy: approval.by,
      approvedAt: approval.at.toISOString(),
      confirmed: confirmed.by,
      confirmationId: typeof confirmationId,
      polls,
      charges: charges.getResults().map(String),
      notified: notified.getResults(),
      label,
      receipt,
      pair,
      settled: settled.map((outcome) => (Result.isSuccess(outcome) ? outcome.success : outcome.failure._tag)),
      first,
      winner
    }
  }).pipe(Effect.withSpan("order.workflow"))

const payments = (request: { readonly orderId: string; readonly amount: number }) =>
  DurableEffect.step("charge-card", Effect.succeed({ charged: request.orderId, amount: request.amount }))

const completeCallback = async (
  runner: LocalDurableTestRunner<unknown>,
  name: string,
  status: WaitingOperationStatus
) => {
  const operation = runner.getOperation(name)
  await operation.waitForData(status)
  await operation.sendCallbackSuccess(JSON.stringify({ by: name, at: "2026-12-02T06:00:00.000Z" }))
}

const runWorkflow = async (harness: Harness) => {
  harness.reset()
  const backend = harness.backend()
  const caller = DurableEffect.handler({ backend, layer: Inventory.layer, handler: workflow })
  const callee = DurableEffect.handler({ backend, layer: Layer.empty, handler: payments })
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
  try {
    const runner = new LocalDurableTestRunner({ handlerFunction: caller }).registerDurableFunction("payments", callee)
    const driving = (async () => {
      await completeCallback(runner, "approve", WaitingOperationStatus.SUBMITTED)
      await completeCallback(runner, "confirm", WaitingOperationStatus.STARTED)
    })()
    const { result } = await captureStdout(() => runner.run({ payload: { orderId: "o-1" } }))
    await driving
    return { result, spans: harness.spans() }
  } finally {
    await LocalDurableTestRunner.teardownTestEnvironment()
  }
}

/** `span`'s ancestors, nearest first. */
const ancestors = (spans: ReadonlyArray<TestSpan>, span: TestSpan): Array<TestSpan> => {
  const byId = new Map(spans.map((s) => [s.spanId, s]))
  const chain: Array<TestSpan> = []
  for (let parent = byId.get(span.parentId ?? ""); parent !== undefined; parent = byId.get(parent.parentId ?? "")) {
    chain.push(parent)
  }
  return chain
}

export const runDurableEffectSuite = (harness: Harness) => {
  describe(`DurableEffect, every operation: ${harness.name}`, () => {
    it("runs the whole durable context as Effects, one trace, app spans under the operations that ran them", async () => {
      const { result, spans } = await runWorkflow(harness)
      assert.strictEqual(
        result.getStatus(),
        "SUCCEEDED",
        result.getStatus() === "FAILED" ? JSON.stringify(result.getError()) : ""
      )
      assert.deepStrictEqual(result.getResult(), {
        reservation: "res-o-1",
        approvedBy: "approve",
        approvedAt: "2026-12-02T06:00:00.000Z",
        confirmed: "confirm",
        confirmationId: "string",
        polls: 2,
        charges: ["10", "20", "30"],
        notified: ["mailed", "texted"],
        label: "L-1",
        receipt: { charged: "o-1", amount: 499 },
        pair: ["L", "R"],
        settled: ["fine", "Declined"],
        first: "works",
        winner: "quick"
      })
      assert.isAtLeast(result.getInvocations().length, 3)
      assert.strictEqual(new Set(spans.map((s) => s.traceId)).size, 1, "one trace, the invoked function's included")

      for (const name of [
        "step",
        "wait",
        "wait_for_callback",
        "create_callback",
        "wait_for_condition",
        "map",
        "parallel",
        "child_context",
        "invoke"
      ]) {
        assert.isTrue(
          spans.some((s) => s.name === `aws.durable.${name}`),
          `an aws.durable.${name} span`
        )
      }

      const app = (name: string) => {
        const found = spans.filter((s) => s.name === name)
        assert.isNotEmpty(found, `the app span ${name}`)
        return found
      }
      const under = (name: string, operation: string, resource: string, direct = false) => {
        for (const span of app(name)) {
          const chain = ancestors(spans, span)
          const operations = direct ? chain.slice(0, 1) : chain
          assert.isTrue(
            operations.some((s) => s.name === `aws.durable.${operation}` && s.resource === resource),
            `${name} under aws.durable.${operation} ${resource}: ${chain.map((s) => `${s.name}(${s.resource})`).join(" < ")}`
          )
        }
      }
      // A step's work runs under its attempt's span, which hangs under the step's one operation span.
      under("Inventory.reserve", "attempt", "reserve", true)
      under("Inventory.reserve", "step", "reserve")
      under("confirmation.send", "attempt", "send-confirmation", true)
      under("approval.submit", "wait_for_callback", "approve")
      // A check runs under its attempt's span, in whichever invocation ran it (SPEC §5.2): the attempt hangs under the
      // poll's live span where the poll began in that invocation, else (the poll carried from an earlier invocation,
      // which the local runner's timing decides) directly under that invocation's execute span, where the poll has
      // no span of its own; never under an unrelated span.
      under("poll.check", "attempt", "poll", true)
      const poll = (s: TestSpan | undefined) => s?.name === "aws.durable.wait_for_condition" && s.resource === "poll"
      for (const check of app("poll.check")) {
        const chain = ancestors(spans, check)
        const parent = chain[1]
        assert.isTrue(
          poll(parent) ||
            (parent?.name === "aws.durable.execute" && !spans.some((s) => s.parentId === parent.spanId && poll(s))),
          `poll.check's attempt under the poll's live span or, carried, its invocation's execute span: ${chain.map((s) => `${s.name}(${s.resource})`).join(" < ")}`
        )
      }
      under("charge.item", "map", "charge")
      under("notify.email", "parallel", "notify")
      // The child context's function runs under its live span where the context began in that invocation; carried
      // from an earlier one (suspended on `pack`, as the runner's timing decides), it has no span there (SPEC §5.2:
      // its span is made when it completes, under the anchor), so its work runs under the span that ran the child,
      // the workflow's span of that invocation.
      const ship = (s: TestSpan | undefined) => s?.name === "aws.durable.child_context" && s.resource === "ship"
      for (const plan of app("ship.plan")) {
        const chain = ancestors(spans, plan)
        const [parent, execute] = chain
        assert.isTrue(
          ship(parent) ||
            (parent?.name === "order.workflow" &&
              execute?.name === "aws.durable.execute" &&
              !spans.some((s) => s.parentId === execute.spanId && ship(s))),
          `ship.plan under the child context's live span or, carried, its invocation's workflow span: ${chain.map((s) => `${s.name}(${s.resource})`).join(" < ")}`
        )
      }
      for (const span of app("order.workflow"))
        assert.strictEqual(ancestors(spans, span)[0]?.name, "aws.durable.execute")
      assert.strictEqual(app("order.workflow").length, result.getInvocations().length, "the workflow re-runs each time")
    })
  })
}
