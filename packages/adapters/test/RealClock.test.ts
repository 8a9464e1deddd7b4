/**
 * `RealClock.race`, the flush's bound (SPEC §4.8): the promise's value when it settles first, the timeout's
 * otherwise, on the timers found at load (a clock faked later neither fires nor holds it).
 */
import { assert, describe, it } from "@effect/vitest"
import * as RealClock from "../src/RealClock.ts"

describe("RealClock.race", () => {
  it("gives the promise's value when it settles first", async () => {
    assert.strictEqual(await RealClock.race(Promise.resolve("flushed"), 60_000, () => "timeout"), "flushed")
  })

  it("gives the timeout's value when the promise never settles", async () => {
    assert.strictEqual(await RealClock.race(new Promise<string>(() => {}), 1, () => "timeout"), "timeout")
  })
})
