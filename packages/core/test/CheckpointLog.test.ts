import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as CheckpointLog from "../src/CheckpointLog.ts"
import { CheckpointStoreRecorder } from "../src/CheckpointStore.ts"
import { ARN, checkpointOp, ddHeaders, durableEvent, executionOp, page, testLayer } from "./fixtures.ts"

describe("CheckpointLog numbering (SPEC §4.5)", () => {
  it.effect("1,000 concurrent allocations are distinct and contiguous", () =>
    Effect.gen(function* () {
      const log = yield* CheckpointLog.make(durableEvent([executionOp(), checkpointOp(6, ddHeaders("1"))]), ARN)
      const ns = yield* Effect.all(
        Array.from({ length: 1000 }, () => log.allocate),
        { concurrency: "unbounded" }
      )
      const sorted = [...ns].sort((a, b) => a - b)
      assert.strictEqual(new Set(ns).size, 1000)
      assert.deepStrictEqual(
        sorted,
        Array.from({ length: 1000 }, (_, i) => i + 7)
      )
    }).pipe(Effect.provide(testLayer()))
  )

  it.effect("seeds from the highest N over all pages, paging once for all callers", () =>
    Effect.gen(function* () {
      const event = durableEvent([executionOp(), checkpointOp(1, ddHeaders("1"))], "m2")
      const log = yield* CheckpointLog.make(event, ARN)
      const ns = yield* Effect.all([log.allocate, log.allocate, log.all], { concurrency: "unbounded" })
      assert.deepStrictEqual(ns.slice(0, 2).sort(), [10, 11])
      assert.deepStrictEqual(yield* (yield* CheckpointStoreRecorder).pageRequests, ["m2"])
    }).pipe(Effect.provide(testLayer({ pages: { m2: page([checkpointOp(9, "garbage")]) } })))
  )

  it.effect("a fresh log per invocation starts from the event again", () =>
    Effect.gen(function* () {
      const event = durableEvent([executionOp()])
      const first = yield* CheckpointLog.make(event, ARN)
      yield* first.allocate
      yield* first.allocate
      const second = yield* CheckpointLog.make(event, ARN)
      assert.strictEqual(yield* second.allocate, 0)
    }).pipe(Effect.provide(testLayer()))
  )

  it.effect("stops paging at a repeated marker", () =>
    Effect.gen(function* () {
      const log = yield* CheckpointLog.make(durableEvent([executionOp()], "loop"), ARN)
      const scan = yield* log.all
      assert.strictEqual(scan.pages, 2)
    }).pipe(Effect.provide(testLayer({ pages: { loop: page([], "loop") } })))
  )

  it.effect("N beyond MAX_SAFE_INTEGER fails at allocate_n", () =>
    Effect.gen(function* () {
      const log = yield* CheckpointLog.make(
        durableEvent([executionOp(), checkpointOp(Number.MAX_SAFE_INTEGER, ddHeaders("1"))]),
        ARN
      )
      const error = yield* Effect.flip(log.allocate)
      assert.strictEqual(error.location, "allocate_n")
    }).pipe(Effect.provide(testLayer()))
  )
})
