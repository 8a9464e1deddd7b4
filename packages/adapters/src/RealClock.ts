/**
 * An Effect `Clock` on the timers this module found when it loaded. The write bound (SPEC §4.1) protects the
 * Lambda deadline, which is real time: a clock faked later (tests, the durable SDK's local runner with
 * `skipTime`) must not fire it early or hold it forever. In Lambda nothing fakes timers and this behaves
 * exactly like Effect's default clock.
 */
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

const realSetTimeout = globalThis.setTimeout
const realClearTimeout = globalThis.clearTimeout
const realDateNow = Date.now.bind(Date)
const realHrtime = process.hrtime.bigint.bind(process.hrtime)
const MAX_TIMER_MILLIS = 2 ** 31 - 1

/** Wall-clock milliseconds, unaffected by fake timers installed after load. */
export const now = (): number => realDateNow()

const sleepMillis = (millis: number): Effect.Effect<void> => {
  if (millis <= 0) return Effect.yieldNow
  if (!Number.isFinite(millis)) return Effect.never
  return Effect.callback<void>((resume) => {
    const chunk = Math.min(millis, MAX_TIMER_MILLIS)
    const handle = realSetTimeout(() => resume(millis > chunk ? sleepMillis(millis - chunk) : Effect.void), chunk)
    return Effect.sync(() => realClearTimeout(handle))
  })
}

/** The real-time clock; provide it with `Effect.provideService(Clock.Clock, RealClock.clock)`. */
export const clock: Clock.Clock = {
  currentTimeMillisUnsafe: realDateNow,
  currentTimeMillis: Effect.sync(realDateNow),
  currentTimeNanosUnsafe: () => BigInt(realDateNow()) * 1_000_000n,
  currentTimeNanos: Effect.sync(() => BigInt(realDateNow()) * 1_000_000n),
  monotonicTimeNanosUnsafe: realHrtime,
  monotonicTimeNanos: Effect.sync(realHrtime),
  sleep: (duration) => sleepMillis(Duration.toMillis(duration))
}

/**
 * `promise`'s value, or `onTimeout()`'s once `millis` of real time passed first (the timer is cleared when
 * `promise` settles). `promise` must not reject. A bound without a fiber, for an invocation's per-call I/O.
 */
export const race = <A>(promise: Promise<A>, millis: number, onTimeout: () => A): Promise<A> =>
  new Promise<A>((resolve) => {
    const handle = realSetTimeout(() => resolve(onTimeout()), Math.min(Math.max(0, millis), MAX_TIMER_MILLIS))
    void promise.then((value) => {
      realClearTimeout(handle)
      resolve(value)
    })
  })
