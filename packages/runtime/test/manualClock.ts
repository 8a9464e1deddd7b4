/**
 * A clock the test moves by hand, standing in for `RealClock` (`vi.mock` of `adapters/src/RealClock.ts`): the
 * bounds durable-trace puts on its writes and flushes are asserted on it, never on the machine's speed (issue 14
 * item 19). Nothing here uses timers, so the local runner's fake timers do not touch it.
 */
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

interface Sleeper {
  readonly at: number
  readonly wake: () => void
}

let time = 1_800_000_000_000
const sleepers = new Set<Sleeper>()

/** Milliseconds now, on the manual clock. */
export const now = (): number => time

/** Sleeps that have not woken yet. */
export const sleeping = (): number => sleepers.size

/** Moves the clock on by `millis`, waking every sleep that is due. */
export const advance = (millis: number): void => {
  time += millis
  for (const sleeper of [...sleepers]) {
    if (sleeper.at <= time) {
      sleepers.delete(sleeper)
      sleeper.wake()
    }
  }
}

const sleep = (duration: Duration.Input): Effect.Effect<void> =>
  Effect.callback<void>((resume) => {
    const sleeper: Sleeper = {
      at: time + Duration.toMillis(Duration.fromInputUnsafe(duration)),
      wake: () => resume(Effect.void)
    }
    sleepers.add(sleeper)
    return Effect.sync(() => {
      sleepers.delete(sleeper)
    })
  })

/** The manual clock as an Effect `Clock`. */
export const clock: Clock.Clock = {
  currentTimeMillisUnsafe: now,
  currentTimeMillis: Effect.sync(now),
  currentTimeNanosUnsafe: () => BigInt(time) * 1_000_000n,
  currentTimeNanos: Effect.sync(() => BigInt(time) * 1_000_000n),
  monotonicTimeNanosUnsafe: () => BigInt(time) * 1_000_000n,
  monotonicTimeNanos: Effect.sync(() => BigInt(time) * 1_000_000n),
  sleep
}

/** `RealClock.race` on the manual clock: `promise`'s value, or `onTimeout()` once the clock passed `millis`. */
export const race = <A>(promise: Promise<A>, millis: number, onTimeout: () => A): Promise<A> =>
  new Promise<A>((resolve) => {
    const sleeper: Sleeper = { at: time + millis, wake: () => resolve(onTimeout()) }
    sleepers.add(sleeper)
    void promise.then((value) => {
      sleepers.delete(sleeper)
      resolve(value)
    })
  })
