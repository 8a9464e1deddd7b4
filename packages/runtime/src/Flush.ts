/**
 * Flushing the backend, bounded like the write (SPEC §4.8): an exporter that stalls (a `SimpleSpanProcessor` whose
 * export never calls back, a `BatchSpanProcessor` waiting out its export timeout) costs the invocation at most the
 * bound, on the real clock; a flush cut short, or not awaited because no time is left, is counted at `flush`. The
 * flush is always started: if the process lives on, it still completes.
 */
import type { Backend } from "@durable-trace/adapters/Backend"
import { realNow, realRace } from "@durable-trace/adapters/DurableClient"
import type { PluginServices } from "@durable-trace/adapters/DurablePlugin"
import * as Budget from "@durable-trace/core/Budget"
import { DurableTraceError } from "@durable-trace/core/Errors"
import { report } from "@durable-trace/core/Telemetry"
import * as Effect from "effect/Effect"
import type * as ManagedRuntime from "effect/ManagedRuntime"

/** Starts `backend`'s flush: its failure, if it fails (it never rejects). */
const started = (backend: Backend["Service"]): Promise<DurableTraceError | undefined> =>
  Promise.resolve()
    .then(() => backend.flush())
    .then(
      () => undefined,
      (cause: unknown) => new DurableTraceError({ location: "flush", reason: "flush failed", cause })
    )

/**
 * Flushes `backend`, waiting at most `millis` of real time, without running a fiber: the failure to report, if
 * the flush failed, was cut at `millis` or had no time at all. The flush is started in every case.
 */
export const within = (backend: Backend["Service"], millis: number): Promise<DurableTraceError | undefined> => {
  const flushing = started(backend)
  if (millis <= 0) return Promise.resolve(Budget.noTimeLeft(millis, "flush"))
  return realRace(flushing, millis, () => Budget.timedOut(millis, "flush"))
}

/** Flushes `backend`, waiting at most `millis`; never fails (the SIGTERM task's flush). */
export const bounded = (backend: Backend["Service"], millis: number): Effect.Effect<void, never, PluginServices> =>
  Effect.promise(() => within(backend, millis)).pipe(
    Effect.flatMap((failed) => (failed === undefined ? Effect.void : report(failed)))
  )

/** The flush at the end of an invocation: bounded, and never past the deadline minus the margin. */
export const beforeDeadline = async (
  runtime: ManagedRuntime.ManagedRuntime<PluginServices, never>,
  backend: Backend["Service"],
  options: { readonly boundMillis: number; readonly marginMillis: number; readonly deadline: number | undefined }
): Promise<void> => {
  const failed = await within(
    backend,
    Budget.millisLeft({
      boundMillis: options.boundMillis,
      deadline: options.deadline,
      nowMillis: realNow(),
      marginMillis: options.marginMillis
    })
  )
  // Only a failure needs the runtime: its report.
  if (failed !== undefined) await runtime.runPromise(report(failed)).catch(() => undefined)
}
