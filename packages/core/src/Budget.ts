/**
 * Time budgets of the work durable-trace adds to an invocation (SPEC §4.1, §4.8): the suspend write and the
 * flush at the end of each invocation are awaited before the Lambda response returns, so each is cut at its
 * configured bound, and never runs past the Lambda deadline minus a margin. Gotcha: the bound is real time; run
 * `within` on a real clock where something fakes timers (the durable SDK's local runner).
 */
import * as Effect from "effect/Effect"
import { DurableTraceError, type Location } from "./Errors.ts"

/** What a budget is computed from, all in milliseconds. */
export interface BudgetInput {
  /** The configured upper bound. */
  readonly boundMillis: number
  /** Epoch ms by which the invocation must have returned, when the Lambda context tells. */
  readonly deadline?: number | undefined
  /** Epoch ms now. */
  readonly nowMillis: number
  /** Time kept free before the deadline. */
  readonly marginMillis: number
}

/** The milliseconds the work may take: the bound, cut to the time left before `deadline - margin`. */
export const millisLeft = (input: BudgetInput): number =>
  input.deadline === undefined
    ? input.boundMillis
    : Math.min(input.boundMillis, input.deadline - input.nowMillis - input.marginMillis)

/** The failure of work that had no time left to run (`millis <= 0`). */
export const noTimeLeft = (millis: number, location: Location): DurableTraceError =>
  new DurableTraceError({ location, reason: "no time left before the deadline", identifiers: { leftMillis: millis } })

/** The failure of work cut at its bound of `millis`. */
export const timedOut = (millis: number, location: Location): DurableTraceError =>
  new DurableTraceError({ location, reason: "timeout", identifiers: { timeoutMillis: millis } })

/**
 * Runs `self` for at most `millis`: past it, `self` is interrupted and the result is a `timeout` failure at
 * `location`. With no time left (`millis <= 0`) `self` does not start at all.
 */
export const within =
  (millis: number, location: Location) =>
  <A, R>(self: Effect.Effect<A, DurableTraceError, R>): Effect.Effect<A, DurableTraceError, R> =>
    millis <= 0
      ? Effect.fail(noTimeLeft(millis, location))
      : Effect.timeoutOrElse(self, {
          duration: `${millis} millis`,
          orElse: () => Effect.fail(timedOut(millis, location))
        })
