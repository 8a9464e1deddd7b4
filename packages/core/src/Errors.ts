/**
 * The one error type of durable-trace. Every failure carries a bounded `location` (SPEC §4.7) so telemetry
 * stays low-cardinality, plus the identifiers a debug log needs. Errors stay typed up to the boundary
 * (`Telemetry.degrade`), where they become a debug line and a counter, never a changed workflow outcome.
 * `Data.TaggedError` rather than a Schema class: Schema would weigh on every cold start (bench/RESULTS.md,
 * measurement notes).
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** Where a failure happened: the `location` tag of `integration_errors` (SPEC §4.7). */
export type Location =
  | "inject"
  | "read_checkpoint"
  | "resolve_parent_id"
  | "allocate_n"
  | "write_checkpoint"
  | "page_state"
  | "extract"
  | "flush"
  | "unknown"

/** Every location, in SPEC order. */
export const LOCATIONS: ReadonlyArray<Location> = [
  "inject",
  "read_checkpoint",
  "resolve_parent_id",
  "allocate_n",
  "write_checkpoint",
  "page_state",
  "extract",
  "flush",
  "unknown"
]

/** Identifiers worth logging with a failure: span id, checkpoint name, operation id, N. */
export type Identifiers = Readonly<Record<string, string | number>>

/**
 * A durable-trace failure. `reason` is a short, fixed phrase (`"timeout"`, `"corrupt payload"`); `cause` is
 * whatever the vendor threw, kept for the debug log and to name `error_type`.
 */
export class DurableTraceError extends Data.TaggedError("DurableTraceError")<{
  readonly location: Location
  readonly reason: string
  readonly identifiers?: Identifiers
  readonly cause?: unknown
}> {
  override get message(): string {
    return `${this.location}: ${this.reason}`
  }
}

/**
 * The `error_type` tag: the name of the underlying cause when it has one (`ThrottlingException`,
 * `TimeoutError`), else the reason. Bounded by construction: names are class names, reasons are literals.
 */
export const errorType = (error: DurableTraceError): string => {
  const cause = error.cause
  if (typeof cause === "object" && cause !== null) {
    const name = (cause as { readonly name?: unknown }).name
    if (typeof name === "string" && name.length > 0 && name.length <= 64) return name
  }
  return error.reason
}

/**
 * `effect` bounded by `timeout`: past it, a `DurableTraceError` at `location` with reason `"timeout"` and the
 * bound in `timeoutMillis`. No bound when `timeout` is undefined.
 */
export const timeoutAt = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  location: Location,
  timeout: Duration.Input | undefined
): Effect.Effect<A, E | DurableTraceError, R> =>
  timeout === undefined
    ? effect
    : Effect.timeoutOrElse(effect, {
        duration: timeout,
        orElse: () =>
          Effect.fail(
            new DurableTraceError({
              location,
              reason: "timeout",
              identifiers: { timeoutMillis: Duration.toMillis(Duration.fromInputUnsafe(timeout)) }
            })
          )
      })
