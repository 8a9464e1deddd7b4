import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/testing/TestClock"
import * as CheckpointLog from "../src/CheckpointLog.ts"
import { CheckpointStore, CheckpointStoreRecorder } from "../src/CheckpointStore.ts"
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

  it.effect("fails at a repeated marker rather than return part of the state", () =>
    Effect.gen(function* () {
      const log = yield* CheckpointLog.make(durableEvent([executionOp()], "loop"), ARN)
      const error = yield* Effect.flip(log.all)
      assert.deepStrictEqual([error.location, error.reason], ["page_state", "marker loop"])
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

describe("CheckpointLog paging bounds (SPEC §3.3b)", () => {
  /** A store whose every page names a fresh next marker, after `delay` each (none: the page never settles). */
  const endless = (delay: "never" | number, requests: Array<string>) =>
    CheckpointStore.of({
      page: (marker) => {
        requests.push(marker)
        const answer = Effect.succeed(page([], `${marker}+`))
        return delay === "never" ? Effect.never : Effect.delay(answer, delay)
      },
      write: () => Effect.void
    })

  it.effect("fresh markers forever: fails after maxPages pages, the event's first included", () =>
    Effect.gen(function* () {
      const requests: Array<string> = []
      const log = yield* CheckpointLog.make(durableEvent([executionOp()], "m"), ARN, { maxPages: 5 }).pipe(
        Effect.provideService(CheckpointStore, endless(0, requests))
      )
      const error = yield* Effect.flip(log.all)
      assert.deepStrictEqual([error.location, error.reason], ["page_state", "too many pages"])
      assert.strictEqual(requests.length, 4)
    })
  )

  it.effect("the default bound is MAX_PAGES", () =>
    Effect.gen(function* () {
      const requests: Array<string> = []
      const log = yield* CheckpointLog.make(durableEvent([executionOp()], "m"), ARN).pipe(
        Effect.provideService(CheckpointStore, endless(0, requests))
      )
      yield* Effect.flip(log.all)
      assert.strictEqual(requests.length, CheckpointLog.MAX_PAGES - 1)
    })
  )

  for (const delay of ["never", 200] as const) {
    it.effect(`pages that ${delay === "never" ? "never settle" : "take 200 ms each"}: fail at the time bound`, () =>
      Effect.gen(function* () {
        const requests: Array<string> = []
        const log = yield* CheckpointLog.make(durableEvent([executionOp()], "m"), ARN, { timeout: "500 millis" }).pipe(
          Effect.provideService(CheckpointStore, endless(delay, requests))
        )
        const fiber = yield* Effect.forkChild(Effect.flip(log.all))
        yield* TestClock.adjust("499 millis")
        assert.isUndefined(fiber.pollUnsafe(), "still paging before the bound")
        yield* TestClock.adjust("1 millis")
        const error = yield* Fiber.join(fiber)
        assert.deepStrictEqual([error.location, error.reason], ["page_state", "timeout"])
        assert.strictEqual(requests.length, delay === "never" ? 1 : 3)
      })
    )
  }
})
