/**
 * durable-trace's reader as `@opentelemetry/instrumentation-aws-lambda`'s `eventContextExtractor`, so that the
 * instrumentation's invocation span (registered by a NodeSDK, the ADOT or the community layer) is parented where
 * durable-trace decides (SPEC §3) instead of on the event's HTTP headers. `withDurableTracing` then runs under that
 * span instead of opening its own. Gotcha: the instrumentation's hook is synchronous, so this reads only what the
 * event holds; when page 1 has no valid checkpoint but more pages exist, the span starts a new trace and
 * `withDurableTracing` reads every page and reports it (`extract`). With the early checkpoint on (the default),
 * `_datadog_0` is on page 1 and carries the execution's anchor.
 */
import type { BackendLayer } from "@durable-trace/adapters/Backend"
import * as OpenTelemetry from "@durable-trace/adapters/OpenTelemetry"
import type { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import * as DurableEvent from "@durable-trace/core/DurableEvent"
import type * as Reader from "@durable-trace/core/Reader"
import { type Context, context as otelContext } from "@opentelemetry/api"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ContainerRuntime from "./ContainerRuntime.ts"
import * as OuterInvocation from "./OuterInvocation.ts"
import { SHUTDOWN_FLUSH_MILLIS } from "./Shutdown.ts"

/** `AwsLambdaInstrumentationConfig["eventContextExtractor"]`. */
export type EventContextExtractor = (event: unknown, lambdaContext: unknown) => Context

/** Options of `make`. */
export interface Options {
  /**
   * A synchronous OpenTelemetry backend layer whose propagator extracts, on the container runtime of whichever
   * wrapped handler was given the same layer object (built once for both). Default: the backend of the process's
   * wrapped handler (`withDurableTracing`, `DurableEffect`, the plugin) when it is OpenTelemetry's and built or
   * buildable synchronously, else `OpenTelemetry.layerGlobal` (W3C Trace Context).
   */
  readonly backend?: BackendLayer | undefined
  /** Consulted first, as `withDurableTracing`'s own `extractor` (SPEC §3 step 1). */
  readonly extractor?: Reader.Extractor | undefined
}

// Only events decidable on their first page are read here: nothing ever pages or writes.
const UNREACHABLE: CheckpointStore["Service"] = {
  page: (marker) => Effect.die(`a synchronous read never pages (${marker})`),
  write: () => Effect.die("a synchronous read never writes")
}

/** Whether `container`'s backend is OpenTelemetry's (the only one whose contexts the instrumentation can take), built now. */
const opentelemetry = (container: ContainerRuntime.ContainerRuntime | undefined) =>
  container !== undefined && container.backendSync()?.name === "opentelemetry" ? container : undefined

/** An `eventContextExtractor` running durable-trace's reader on durable events. */
export const make = (options: Options = {}): EventContextExtractor => {
  // Asked at every invocation: the handler is wrapped at import, before the first one, and never unwrapped.
  const container = (): ContainerRuntime.ContainerRuntime | undefined =>
    options.backend !== undefined
      ? opentelemetry(ContainerRuntime.shared(options.backend, SHUTDOWN_FLUSH_MILLIS))
      : (opentelemetry(ContainerRuntime.current()) ??
        opentelemetry(ContainerRuntime.shared(OpenTelemetry.layerGlobal, SHUTDOWN_FLUSH_MILLIS)))
  return (event, lambdaContext) => {
    const arn = DurableEvent.executionArn(event)
    // Not a durable event: nothing of ours to continue (the instrumentation then starts a new trace).
    if (Option.isNone(arn)) return otelContext.active()
    try {
      const program = Effect.gen(function* () {
        if (!(yield* OuterInvocation.decidableOnFirstPage(event, arn.value))) return undefined
        return yield* OuterInvocation.read(event, lambdaContext, arn.value, UNREACHABLE, options.extractor)
      })
      const runtime = container()?.runtime
      // A backend that cannot be built synchronously, or not OpenTelemetry's: no parent of ours.
      if (runtime === undefined) return otelContext.active()
      const read = runtime.runSync(program)
      if (read === undefined) {
        OuterInvocation.record(event, {
          read: { source: "none", context: Option.none(), headers: Option.none(), checkpoint: Option.none() },
          complete: false
        })
        return otelContext.active()
      }
      OuterInvocation.record(event, { read, complete: true })
      return Option.match(read.context, {
        onNone: () => otelContext.active(),
        onSome: (context) => OpenTelemetry.native.fromRemote(context.native)
      })
    } catch {
      // An asynchronous backend or a defect: the instrumentation starts the span without our parent.
      return otelContext.active()
    }
  }
}

let shared: EventContextExtractor | undefined

/** The extractor over the global OpenTelemetry API with W3C Trace Context: what `eventContextExtractor` takes. */
export const eventContextExtractor: EventContextExtractor = (event, lambdaContext) => {
  shared ??= make()
  return shared(event, lambdaContext)
}
