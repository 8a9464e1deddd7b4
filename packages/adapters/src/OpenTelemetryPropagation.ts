/**
 * The OpenTelemetry backend's `TracePropagation`: a `TextMapPropagator` over the span alone, on the root context.
 * Internal to the OpenTelemetry backend (`OpenTelemetry`). Gotcha: the default propagator is W3C Trace Context
 * only, so Datadog-only carriers are not extracted; an extracted `TraceContext.native` is the OpenTelemetry
 * `Context` extraction returned.
 */
import type { TraceContext, TracePropagation } from "@durable-trace/core/TracePropagation"
import {
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  type Span as OtelSpan,
  ROOT_CONTEXT,
  type TextMapPropagator,
  trace
} from "@opentelemetry/api"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Backend from "./Backend.ts"

/**
 * The one conversion between OpenTelemetry's spans and contexts and core's opaque `Span` and `RemoteContext` (an
 * extracted `TraceContext.native` is the OpenTelemetry `Context` extraction returned).
 */
export const native = Backend.natives<OtelSpan, Context>()

const isOtelSpan = (value: unknown): value is OtelSpan =>
  typeof value === "object" && value !== null && typeof (value as OtelSpan).spanContext === "function"

/** The propagation of the OpenTelemetry backend through `propagator`. */
export const propagation = (propagator: TextMapPropagator): TracePropagation["Service"] => ({
  extract: (headers) =>
    Effect.try({
      try: (): Option.Option<TraceContext> => {
        const extracted = propagator.extract(ROOT_CONTEXT, { ...headers }, defaultTextMapGetter)
        const spanContext = trace.getSpanContext(extracted)
        return spanContext === undefined || !isSpanContextValid(spanContext)
          ? Option.none()
          : Option.some({
              traceId: spanContext.traceId,
              spanId: spanContext.spanId,
              native: native.toRemote(extracted)
            })
      },
      catch: (cause) => Backend.propagationFailure("extract", "extract threw", cause)
    }),
  inject: (span) =>
    Backend.injected(() => {
      const otelSpan = native.fromSpan(span)
      if (!isOtelSpan(otelSpan)) throw new TypeError("not an OpenTelemetry span")
      const carrier: Record<string, string> = {}
      // The span alone, on the root context: the active context's baggage has no business in a checkpoint.
      // Sampling was decided when the span started; its flags are in `traceparent`.
      propagator.inject(trace.setSpan(ROOT_CONTEXT, otelSpan), carrier, defaultTextMapSetter)
      return carrier
    }),
  spanId: (span) =>
    isOtelSpan(native.fromSpan(span))
      ? Effect.succeed(native.fromSpan(span).spanContext().spanId)
      : Effect.fail(Backend.propagationFailure("inject", "not an OpenTelemetry span"))
})
