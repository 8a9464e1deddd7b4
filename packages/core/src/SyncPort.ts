/**
 * The tracer port's calls, synchronously: every backend's `extract`, `inject` and `spanId` is synchronous vendor
 * work behind an Effect, so a call's result is read without a fiber when the adapter returned an `Exit`, and with
 * one short synchronous run otherwise. What the settled read and the settled write decisions use: no runtime round
 * trip on the invocation's hot path (SPEC §3, §4.2).
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type { DurableTraceError, Location } from "./Errors.ts"
import { fromDefect } from "./Telemetry.ts"

/**
 * The result of the port call `call`: its `Exit` as is, else the effect run synchronously. A throw (a backend that
 * throws instead of failing its Effect) is a defect, as it would be when run by a fiber; so is an effect that
 * turns out asynchronous, which no backend's port call is.
 */
export const exitOf = <A>(call: () => Effect.Effect<A, DurableTraceError>): Exit.Exit<A, DurableTraceError> => {
  let effect: Effect.Effect<A, DurableTraceError>
  try {
    effect = call()
  } catch (cause) {
    return Exit.die(cause)
  }
  return Exit.isExit(effect) ? (effect as Exit.Exit<A, DurableTraceError>) : Effect.runSyncExit(effect)
}

/** An `Exit` of a synchronous port implementation: `try`'s value, or `catch`'s failure for what it throws. */
export const attempt = <A>(
  evaluate: () => A,
  onThrow: (cause: unknown) => DurableTraceError
): Exit.Exit<A, DurableTraceError> => {
  try {
    return Exit.succeed(evaluate())
  } catch (cause) {
    return Exit.fail(onThrow(cause))
  }
}

/** A port call's failure as one error: its typed error, else its defect as an error at `location`. */
export const failureAt = (cause: Cause.Cause<DurableTraceError>, location: Location): DurableTraceError =>
  Option.getOrElse(Cause.findErrorOption(cause), () => fromDefect(location, Cause.squash(cause)))
