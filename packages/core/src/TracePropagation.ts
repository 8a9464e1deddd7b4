/**
 * The tracer port: what the reader and writer need from a tracing backend (dd-trace, OpenTelemetry, the
 * in-memory tracer). Spans stay opaque to `core` (`unknown`); adapters know their own types. Extraction must
 * use the backend's own propagator so its configured extract styles apply (SPEC §3).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { DurableTraceError } from "./Errors.ts"
import * as Headers from "./Headers.ts"

/** A parent context extracted by the backend: ids for logs and inspection, and the backend's own object. */
export interface TraceContext {
  /** 32 lowercase hex. */
  readonly traceId: string
  /** 16 lowercase hex. */
  readonly spanId: string
  /** The backend's span context, handed back to it when the invocation's span is started. */
  readonly native: unknown
}

/** The tracer port. */
export class TracePropagation extends Context.Service<
  TracePropagation,
  {
    /** The backend's extraction of `headers`; none when it finds no context there. */
    readonly extract: (headers: Headers.Headers) => Effect.Effect<Option.Option<TraceContext>, DurableTraceError>
    /** The context of `span`, injected after forcing its sampling decision (SPEC §4.2.1). */
    readonly inject: (span: unknown) => Effect.Effect<Headers.Headers, DurableTraceError>
    /** The id of `span`, 16 lowercase hex. */
    readonly spanId: (span: unknown) => Effect.Effect<string, DurableTraceError>
  }
>()("@durable-trace/core/TracePropagation") {
  /**
   * An in-memory backend for tests: a span is a `Headers` object; `inject` returns it as is, `extract` accepts
   * any valid context. `failInject`/`failExtract` make those calls throw, as a broken backend would.
   */
  static readonly layerTest = (options: { readonly failInject?: unknown; readonly failExtract?: unknown } = {}) =>
    Layer.succeed(
      TracePropagation,
      TracePropagation.of({
        extract: (headers) =>
          Effect.try({
            try: () => {
              if (options.failExtract !== undefined) throw options.failExtract
              return contextOf(headers)
            },
            catch: (cause) => new DurableTraceError({ location: "extract", reason: "extract threw", cause })
          }),
        inject: (span) =>
          Effect.try({
            try: () => {
              if (options.failInject !== undefined) throw options.failInject
              return Option.getOrThrow(Headers.fromCarrier(span))
            },
            catch: (cause) => new DurableTraceError({ location: "inject", reason: "inject threw", cause })
          }),
        spanId: (span) =>
          Option.match(Option.flatMap(Headers.fromCarrier(span), Headers.parentId), {
            onNone: () => Effect.fail(new DurableTraceError({ location: "inject", reason: "span has no id" })),
            onSome: Effect.succeed
          })
      })
    )
}

/** The ids of a valid context, for backends (and tests) that read them from the headers directly. */
export const contextOf = (headers: Headers.Headers): Option.Option<TraceContext> => {
  if (!Headers.isValidContext(headers)) return Option.none()
  return Option.flatMap(Headers.traceIdHex(headers), (traceId) =>
    Option.map(Headers.parentId(headers), (spanId) => ({ traceId, spanId, native: headers }))
  )
}
