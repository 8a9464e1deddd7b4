/**
 * The telemetry port: where failures go once they reach the boundary (SPEC §4.7). The default layer counts
 * `integration_errors{integration, location, error_type}` with an Effect `Metric` and logs at debug level;
 * adapters provide dd-trace's dogstatsd or OpenTelemetry metrics instead. `degrade` is the single boundary
 * combinator: it turns any failure, typed or thrown, into a log line, a counter and a fallback value.
 */
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import { DurableTraceError, errorType, type Location } from "./Errors.ts"

/** The `integration` tag value on every counter increment. */
export const INTEGRATION = "aws-durable-execution-sdk-js"

/** The counter's name (snake_case, as Datadog names it). */
export const INTEGRATION_ERRORS = "integration_errors"

/** One counter increment, as recorded by `layerTest`. */
export interface Increment {
  readonly integration: string
  readonly location: Location
  readonly errorType: string
}

/** The telemetry port. Implementations must not fail; `degrade` guards them anyway. */
export class Telemetry extends Context.Service<
  Telemetry,
  {
    /** Report one failure: a debug log naming it with identifiers, and one counter increment. */
    readonly failure: (error: DurableTraceError) => Effect.Effect<void>
  }
>()("@durable-trace/core/Telemetry") {
  /** Effect's own `Metric` counter and `Effect.logDebug`: works with any Effect metrics exporter. */
  static readonly layer: Layer.Layer<Telemetry> = Layer.sync(Telemetry, () => {
    const counter = Metric.counter(INTEGRATION_ERRORS, {
      description: "durable-trace failures, degraded to telemetry",
      incremental: true
    })
    return Telemetry.of({
      failure: (error) =>
        Effect.logDebug(`durable-trace: ${error.message}`, error.identifiers ?? {}).pipe(
          Effect.andThen(
            Metric.update(
              Metric.withAttributes(counter, {
                integration: INTEGRATION,
                location: error.location,
                error_type: errorType(error)
              }),
              1
            )
          )
        )
    })
  })

  /** Records increments in memory for tests; read them back with `TelemetryRecorder`. */
  static readonly layerTest: Layer.Layer<Telemetry | TelemetryRecorder> = Layer.effectContext(
    Effect.sync(() => {
      // Appended in place: copying the array on each increment made a run with many failures quadratic.
      const recorded: Array<Increment> = []
      const telemetry = Telemetry.of({
        failure: (error) =>
          Effect.sync(() => {
            recorded.push({ integration: INTEGRATION, location: error.location, errorType: errorType(error) })
          })
      })
      return Context.make(Telemetry, telemetry).pipe(
        Context.add(TelemetryRecorder, { increments: Effect.sync(() => recorded.slice()) })
      )
    })
  )
}

/** Reads what `Telemetry.layerTest` recorded. */
export class TelemetryRecorder extends Context.Service<
  TelemetryRecorder,
  { readonly increments: Effect.Effect<ReadonlyArray<Increment>> }
>()("@durable-trace/core/TelemetryRecorder") {}

/** Turns a defect (a vendor's throw) into a typed error at `location`. */
export const fromDefect = (location: Location, cause: unknown): DurableTraceError =>
  cause instanceof DurableTraceError ? cause : new DurableTraceError({ location, reason: "unexpected throw", cause })

/**
 * Reports a failure through `Telemetry` and swallows anything the telemetry itself throws: reporting can never
 * fail the caller.
 */
export const report = (error: DurableTraceError): Effect.Effect<void, never, Telemetry> =>
  Effect.gen(function* () {
    const telemetry = yield* Telemetry
    yield* telemetry.failure(error)
  }).pipe(Effect.catchCause(() => Effect.void))

/** The failure a cause stands for: its typed error, else its defect as an error at `location`. */
export const causeToError = (
  cause: Cause.Cause<DurableTraceError>,
  location: Location = "unknown"
): DurableTraceError => {
  const typed = Cause.findErrorOption(cause)
  return typed._tag === "Some" ? typed.value : fromDefect(location, Cause.squash(cause))
}

/**
 * The boundary: runs `self`; on a typed failure or a defect (named at `location`, default `unknown`), reports
 * it and succeeds with `fallback(error)`. Interruption is left alone.
 */
export const degradeWith =
  <B>(fallback: (error: DurableTraceError) => B, location: Location = "unknown") =>
  <A, R>(self: Effect.Effect<A, DurableTraceError, R>): Effect.Effect<A | B, never, R | Telemetry> =>
    Effect.catchCause(self, (cause) => {
      if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
      const error = causeToError(cause, location)
      return Effect.as(report(error), fallback(error))
    })

/** `degradeWith` for a constant fallback. */
export const degrade = <B>(fallback: B, location: Location = "unknown") => degradeWith(() => fallback, location)
