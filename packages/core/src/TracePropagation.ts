/**
 * The tracer port: what the reader and writer need from a tracing backend (dd-trace, OpenTelemetry, the
 * in-memory tracer). Spans and extracted contexts stay opaque to `core` (`Span`, `RemoteContext`); each adapter
 * converts its own vendor objects to and from them in one place. Extraction must use the backend's own propagator
 * so its configured extract styles apply (SPEC §3).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { DurableTraceError } from "./Errors.ts"
import * as Headers from "./Headers.ts"

declare const SpanTypeId: unique symbol
declare const RemoteContextTypeId: unique symbol

/** A backend's span, opaque to everything but that backend. */
export interface Span {
  readonly [SpanTypeId]: "Span"
}

/** A backend's extracted span context (a remote parent), opaque to everything but that backend. */
export interface RemoteContext {
  readonly [RemoteContextTypeId]: "RemoteContext"
}

/** A parent context extracted by the backend: ids for logs and inspection, and the backend's own object. */
export interface TraceContext {
  /** 32 lowercase hex. */
  readonly traceId: string
  /** 16 lowercase hex. */
  readonly spanId: string
  /** The backend's span context, handed back to it when the invocation's span is started. */
  readonly native: RemoteContext
}

/** Converts a vendor's span and context objects to and from core's opaque types: an adapter's one conversion. */
export interface Natives<VendorSpan, VendorContext> {
  readonly toSpan: (span: VendorSpan) => Span
  readonly fromSpan: (span: Span) => VendorSpan
  readonly toRemote: (context: VendorContext) => RemoteContext
  readonly fromRemote: (context: RemoteContext) => VendorContext
}

/**
 * The conversions of a backend whose spans are `VendorSpan` and whose extracted contexts are `VendorContext`. Only
 * that backend ever sees its opaque values again, so the conversion is the identity.
 */
export const natives = <VendorSpan, VendorContext>(): Natives<VendorSpan, VendorContext> =>
  IDENTITY as unknown as Natives<VendorSpan, VendorContext>

const identity = <A>(value: A): A => value
const IDENTITY = { toSpan: identity, fromSpan: identity, toRemote: identity, fromRemote: identity }

/** The parent of a span to start: a span of the backend, a context it extracted, or none (a new trace). */
export type Parent =
  | { readonly _tag: "Span"; readonly span: Span }
  | { readonly _tag: "Remote"; readonly context: RemoteContext }
  | { readonly _tag: "Root" }

/** A span of the backend as the parent. */
export const parentSpan = (span: Span): Parent => ({ _tag: "Span", span })

/** A context the backend extracted as the parent. */
export const parentRemote = (context: RemoteContext): Parent => ({ _tag: "Remote", context })

/** No parent: the span starts a new trace. */
export const ROOT: Parent = { _tag: "Root" }

/** The parent a read found: its extracted context, if any. */
export const parentOf = (context: Option.Option<TraceContext>): Option.Option<Parent> =>
  Option.map(context, (found) => parentRemote(found.native))

/** The tracer port. */
export class TracePropagation extends Context.Service<
  TracePropagation,
  {
    /** The backend's extraction of `headers`; none when it finds no context there. */
    readonly extract: (headers: Headers.Headers) => Effect.Effect<Option.Option<TraceContext>, DurableTraceError>
    /** The context of `span`, injected after forcing its sampling decision (SPEC §4.2.1). */
    readonly inject: (span: Span) => Effect.Effect<Headers.Headers, DurableTraceError>
    /** The id of `span`, 16 lowercase hex. */
    readonly spanId: (span: Span) => Effect.Effect<string, DurableTraceError>
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
    Option.map(Headers.parentId(headers), (spanId) => ({ traceId, spanId, native: testNative.toRemote(headers) }))
  )
}

/** `layerTest`'s spans and contexts are their headers. */
const testNative = natives<Headers.Headers, Headers.Headers>()

/** A span of `layerTest`: the headers its `inject` returns. */
export const testSpan: (headers: Headers.Headers) => Span = testNative.toSpan
