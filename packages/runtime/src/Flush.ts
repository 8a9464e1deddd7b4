/**
 * Flushing the backend, bounded like the write (SPEC §4.8): an exporter that stalls (a `SimpleSpanProcessor` whose
 * export never calls back, a `BatchSpanProcessor` waiting out its export timeout) costs the invocation at most the
 * bound, on the real clock; a flush cut short, or not awaited because no time is left, is counted at `flush`. The
 * flush is always started: if the process lives on, it still completes.
 */
import type { Backend } from "@durable-trace/adapters/Backend"
import { realClock, realNow } from "@durable-trace/adapters/DurableClient"
import type { PluginServices } from "@durable-trace/adapters/DurablePlugin"
import * as Budget from "@durable-trace/core/Budget"
import { DurableTraceError } from "@durable-trace/core/Errors"
import { degrade } from "@durable-trace/core/Telemetry"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as ManagedRuntime from "effect/ManagedRuntime"

/** Flushes `backend`, waiting at most `millis`; never fails. */
export const bounded = (backend: Backend["Service"], millis: number): Effect.Effect<void, never, PluginServices> =>
  Effect.suspend(() => {
    const flushing = Promise.resolve()
      .then(() => backend.flush())
      .then(
        () => undefined,
        (cause: unknown) => new DurableTraceError({ location: "flush", reason: "flush failed", cause })
      )
    return Effect.promise(() => flushing).pipe(
      Effect.flatMap((failed) => (failed === undefined ? Effect.void : Effect.fail(failed))),
      Budget.within(millis, "flush")
    )
  }).pipe(Effect.provideService(Clock.Clock, realClock), degrade(undefined, "flush"))

/** The flush at the end of an invocation: bounded, and never past the deadline minus the margin. */
export const beforeDeadline = (
  runtime: ManagedRuntime.ManagedRuntime<PluginServices, never>,
  backend: Backend["Service"],
  options: { readonly boundMillis: number; readonly marginMillis: number; readonly deadline: number | undefined }
): Promise<void> =>
  runtime
    .runPromise(
      bounded(
        backend,
        Budget.millisLeft({
          boundMillis: options.boundMillis,
          deadline: options.deadline,
          nowMillis: realNow(),
          marginMillis: options.marginMillis
        })
      )
    )
    .catch(() => undefined)
