/**
 * The tracer backend contract: the span operations the Lambda binding needs, plus the core ports
 * (`TracePropagation`, `Telemetry`) a backend implements. dd-trace, OpenTelemetry and the in-memory tracer each
 * provide one; swapping backends is swapping the `Backend` layer. Spans and extracted contexts are the vendor's own
 * objects behind core's opaque types (`Span`, `RemoteContext`), so no vendor type crosses this boundary; each
 * adapter converts through its one `natives()` pair.
 */
import { DurableTraceError, errorType, type Location } from "@durable-trace/core/Errors"
import * as Headers from "@durable-trace/core/Headers"
import * as SyncPort from "@durable-trace/core/SyncPort"
import { INTEGRATION, Telemetry } from "@durable-trace/core/Telemetry"
import type * as TraceMode from "@durable-trace/core/TraceMode"
import { type Parent, type RemoteContext, type Span, TracePropagation } from "@durable-trace/core/TracePropagation"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

export type { Natives, Parent, RemoteContext, Span } from "@durable-trace/core/TracePropagation"
export { natives, parentOf, parentRemote, parentSpan, ROOT } from "@durable-trace/core/TracePropagation"

/** Tag values a span accepts. */
export type TagValue = string | number | boolean

/** Options of `Backend.startSpan`. */
export interface SpanOptions {
  /** The parent (a span of this backend, a context it extracted, or `ROOT`); `undefined`: the active span. */
  readonly parent?: Parent | undefined
  readonly resource?: string | undefined
  /** Datadog span type (`serverless`); backends without one record it as an attribute. */
  readonly type?: string | undefined
  /** OpenTelemetry span kind; dd-trace records it as `span.kind`. */
  readonly kind?: "internal" | "server" | "client" | undefined
  /** The integration that made the span: dd-trace's `_dd.integration`; other backends ignore it. */
  readonly integration?: string | undefined
  readonly tags?: Readonly<Record<string, TagValue | undefined>> | undefined
  /** Epoch milliseconds. */
  readonly startTime?: number | undefined
  /** Span links (linked trace mode, SPEC §11): dd-trace span links, OpenTelemetry links. */
  readonly links?: ReadonlyArray<TraceMode.Link> | undefined
  /**
   * The sampling decision of a new trace (`parent: null`), as a Datadog priority (kept above 0): whole-execution
   * sampling (SPEC §11). Ignored for a child, whose trace already decided.
   */
  readonly samplingPriority?: number | undefined
}

/** The attributes every backend puts on a span link: its role, as AWS's plugin and Datadog both render them. */
export const linkAttributes = (link: TraceMode.Link): Record<string, string> => ({ "durable.link.role": link.role })

/** Ids of a span in the forms logs and checkpoints use. */
export interface SpanIds {
  /** 32 lowercase hex (the full 128-bit trace id). */
  readonly traceId: string
  /** 16 lowercase hex. */
  readonly spanId: string
  /** Decimal low 64 bits of the trace id: `dd.trace_id` in logs (SPEC §6). */
  readonly traceIdDecimal: string
  /** Decimal span id: `dd.span_id` in logs. */
  readonly spanIdDecimal: string
}

/** A tracing backend. All methods are synchronous and must not throw on valid input. */
export interface BackendService {
  /** `"dd-trace"`, `"opentelemetry"`, `"in-memory"`. */
  readonly name: string
  readonly startSpan: (name: string, options?: SpanOptions) => Span
  /** Runs `fn` with `span` active, so spans started inside (and the user's own) become its children. */
  readonly activate: <A>(span: Span, fn: () => A) => A
  /** The active span, if any. */
  readonly active: () => Span | undefined
  readonly setTags: (span: Span, tags: Readonly<Record<string, TagValue | undefined>>) => void
  /** Marks `span` as failed with `error` (type, message, stack). */
  readonly setError: (span: Span, error: unknown) => void
  /** Finishes `span`; idempotent. `endTime` in epoch milliseconds. */
  readonly finish: (span: Span, endTime?: number) => void
  readonly ids: (span: Span) => SpanIds
  /**
   * When `span` started on the backend's own clock, epoch ms (fractional where finer), if the vendor tells: what a
   * span made after the fact is clamped to so that it never starts before this parent (SPEC §5.2).
   */
  readonly startTimeOf?: ((span: Span) => number | undefined) | undefined
  /** Flushes finished spans where the backend buffers them (before a Lambda freezes). */
  readonly flush: () => Promise<void>
  /**
   * Gives the trace of `span` (an outer wrapper's invocation span) the propagated state of `parent`, the context
   * durable-trace extracted for it, when both are one trace but the wrapper kept only the ids (datadog-lambda-js
   * rebuilds a custom extractor's context from decimal ids). Absent where nothing is lost.
   */
  readonly adoptPropagated?: ((span: Span, parent: RemoteContext) => void) | undefined
  /** Whether the vendor's own durable checkpoint writer is left on (dd-trace's built-in plugin): reported at cold start. */
  readonly builtInWriter?: boolean | undefined
}

/** The backend in use. Its layer also provides the core ports it implements (see `layerPorts`). */
export class Backend extends Context.Service<Backend, BackendService>()("@durable-trace/adapters/Backend") {}

/** A backend together with the core ports it implements: what each adapter's `layer` provides. */
export type BackendLayer = Layer.Layer<Backend | TracePropagation | Telemetry>

/** A backend and the core ports it implements: what each adapter's `make` builds. */
export interface BackendServices {
  readonly backend: BackendService
  readonly propagation: TracePropagation["Service"]
  readonly telemetry: Telemetry["Service"]
}

/** The three services of `services` as a context. */
export const context = (services: BackendServices): Context.Context<Backend | TracePropagation | Telemetry> =>
  Context.make(Backend, services.backend).pipe(
    Context.add(TracePropagation, services.propagation),
    Context.add(Telemetry, services.telemetry)
  )

/** The layer of services an adapter's `make` built. */
export const layer = (services: BackendServices): BackendLayer => Layer.succeedContext(context(services))

/** `tags` without its `undefined` values: what every vendor's tag setter accepts. */
export const definedTags = (
  tags: Readonly<Record<string, TagValue | undefined>> | undefined
): Record<string, TagValue> => {
  const out: Record<string, TagValue> = {}
  if (tags === undefined) return out
  for (const key of Object.keys(tags)) {
    const value = tags[key]
    if (value !== undefined) out[key] = value
  }
  return out
}

/** What `setError` records of a thrown value: Datadog's `error.type`, `error.message` and `error.stack` tags. */
export interface ErrorFields {
  readonly type: string
  readonly message: string
  readonly stack?: string | undefined
}

/** The fields of any thrown value: an `Error`'s name, message and stack, else its string form. */
export const errorFields = (error: unknown): ErrorFields => {
  if (error instanceof Error) return { type: error.name, message: error.message, stack: error.stack }
  return { type: typeof error, message: safeString(error) }
}

const safeString = (value: unknown): string => {
  try {
    return String(value)
  } catch {
    return "<unprintable>"
  }
}

/** The dimensions of one `integration_errors` increment (SPEC §4.7). */
export interface FailureTags {
  readonly integration: string
  readonly location: Location
  readonly error_type: string
}

/**
 * A `Telemetry` over a vendor's counter: a debug log naming the failure with its identifiers, then one
 * `increment`. Whatever the vendor throws is swallowed: reporting a failure must never become one.
 */
export const telemetryFrom = (increment: (tags: FailureTags) => void): Telemetry["Service"] =>
  Telemetry.of({
    failure: (error) =>
      Effect.logDebug(`durable-trace: ${error.message}`, error.identifiers ?? {}).pipe(
        Effect.andThen(
          Effect.sync(() => {
            try {
              increment({ integration: INTEGRATION, location: error.location, error_type: errorType(error) })
            } catch {
              // The counter is best effort; the debug line above already names the failure.
            }
          })
        )
      )
  })

/** A propagation failure at `location`, for adapters. */
export const propagationFailure = (
  location: "inject" | "extract",
  reason: string,
  cause?: unknown
): DurableTraceError => new DurableTraceError({ location, reason, cause })

/**
 * The `TracePropagation.inject` every adapter shares: runs the vendor's injection into a fresh carrier, then keeps
 * only allowlisted, valid propagation headers (SPEC §4.6), through `Headers.fromTracer`: what the tracer wrote in
 * canonical form is kept without re-parsing, anything else is sanitised. A throw or an empty carrier fails at
 * `inject`. An `Exit`, so the synchronous path reads it without running a fiber.
 */
export const injected = (inject: () => Record<string, unknown>): Exit.Exit<Headers.Headers, DurableTraceError> => {
  const carrier = SyncPort.attempt(inject, (cause) => propagationFailure("inject", "inject threw", cause))
  if (Exit.isFailure(carrier)) return Exit.failCause(carrier.cause)
  return Option.match(Headers.fromTracer(carrier.value), {
    onNone: () => Exit.fail(propagationFailure("inject", "no propagation headers injected")),
    onSome: Exit.succeed
  })
}
