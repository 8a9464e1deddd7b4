/**
 * The OpenTelemetry backend: spans through `@opentelemetry/api` (the user's SDK does the recording and exporting),
 * propagation through a `TextMapPropagator`, telemetry through an OTel counter. Use it when the function already
 * runs an OpenTelemetry SDK. Gotcha: the default propagator is W3C Trace Context only, so Datadog-only carriers
 * (`x-datadog-*` without `traceparent`) are not extracted; pass a composite propagator to honour other styles.
 * `make(options)` builds the backend; `layer(options)` provides it; `layerGlobal` provides it over the global API.
 * Propagation is in `OpenTelemetryPropagation` (internal), the whole-execution sampler in `OpenTelemetrySampler`
 * (re-exported here).
 */
import * as Hex from "@durable-trace/core/Hex"
import * as SemanticAttributes from "@durable-trace/core/SemanticAttributes"
import { INTEGRATION_ERRORS } from "@durable-trace/core/Telemetry"
import type * as TraceMode from "@durable-trace/core/TraceMode"
import {
  type Context,
  type Counter,
  context,
  type Link,
  type Meter,
  metrics,
  type Span as OtelSpan,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  TraceFlags,
  type Tracer,
  trace
} from "@opentelemetry/api"
import { W3CTraceContextPropagator } from "@opentelemetry/core"
import * as Layer from "effect/Layer"
import * as Backend from "./Backend.ts"
import { native, propagation } from "./OpenTelemetryPropagation.ts"
import { SAMPLED_ATTRIBUTE } from "./OpenTelemetrySampler.ts"

export { native } from "./OpenTelemetryPropagation.ts"
export { type ExecutionSampler, SAMPLED_ATTRIBUTE, sampler } from "./OpenTelemetrySampler.ts"

/** The instrumentation scope name of the default tracer and meter. */
export const SCOPE_NAME = "durable-trace"

/** Options of `make`; every one defaults to the global OpenTelemetry API. */
export interface Options {
  /** Default: `trace.getTracer("durable-trace")` from the global tracer provider. */
  readonly tracer?: Tracer | undefined
  /**
   * Default: `W3CTraceContextPropagator`. Pass `propagation` (the global API) to use the SDK's configured
   * propagators; baggage is dropped from checkpoints either way (SPEC §4.6).
   */
  readonly propagator?: TextMapPropagator | undefined
  /** Default: `metrics.getMeter("durable-trace")`, resolved at the first failure so a later SDK start counts. */
  readonly meter?: Meter | undefined
}

const KINDS = { internal: SpanKind.INTERNAL, server: SpanKind.SERVER, client: SpanKind.CLIENT } as const

const { toSpan, fromSpan, fromRemote } = native

/** The parent context of a new span: `SpanOptions.parent` resolved the OpenTelemetry way. */
const parentContext = (parent: Backend.SpanOptions["parent"]): Context => {
  if (parent === undefined) return context.active()
  if (parent._tag === "Root") return ROOT_CONTEXT
  // A backend span, or the `Context` extraction returned as `TraceContext.native`.
  return parent._tag === "Span" ? trace.setSpan(ROOT_CONTEXT, fromSpan(parent.span)) : fromRemote(parent.context)
}

const attributesOf = (name: string, options: Backend.SpanOptions): Record<string, Backend.TagValue> => {
  const attributes = SemanticAttributes.toOpenTelemetry(name, Backend.definedTags(options.tags))
  if (options.resource !== undefined) attributes["resource.name"] = options.resource
  if (options.type !== undefined) attributes["span.type"] = options.type
  if (options.parent?._tag === "Root" && options.samplingPriority !== undefined) {
    attributes[SAMPLED_ATTRIBUTE] = options.samplingPriority > 0
  }
  return attributes
}

const linksOf = (links: ReadonlyArray<TraceMode.Link> | undefined): Array<Link> =>
  (links ?? []).map((link) => ({
    context: {
      traceId: link.traceId,
      spanId: link.spanId,
      traceFlags: link.sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
      isRemote: true
    },
    attributes: Backend.linkAttributes(link)
  }))

/**
 * What a span inherits from its parent, by span: the execution-scoped attributes (`durable.execution.arn`), so
 * every operation span names its execution as AWS's plugin does. Keyed weakly: an ended span is forgotten.
 */
const inheritedOf = (
  inherited: WeakMap<OtelSpan, Record<string, Backend.TagValue>>,
  parent: OtelSpan | undefined,
  attributes: Record<string, Backend.TagValue>
): Record<string, Backend.TagValue> => {
  const fromParent = parent === undefined ? undefined : inherited.get(parent)
  const own: Record<string, Backend.TagValue> = { ...fromParent }
  for (const key of SemanticAttributes.EXECUTION_SCOPED) {
    const value = attributes[key]
    if (value !== undefined) own[key] = value
  }
  return own
}

const ids = (span: OtelSpan): Backend.SpanIds => {
  const { traceId, spanId } = span.spanContext()
  return { traceId, spanId, traceIdDecimal: Hex.lowDecimal(traceId), spanIdDecimal: Hex.lowDecimal(spanId) }
}

/**
 * The OpenTelemetry backend. `flush` force-flushes the global tracer provider when it has `forceFlush` (the SDK's
 * providers do); the SDK owns its exporters otherwise.
 */
export const make = (options: Options = {}): Backend.BackendServices => {
  const tracer = options.tracer ?? trace.getTracer(SCOPE_NAME)
  const propagator = options.propagator ?? new W3CTraceContextPropagator()
  let counter: Counter | undefined
  const integrationErrors = (): Counter =>
    (counter ??= (options.meter ?? metrics.getMeter(SCOPE_NAME)).createCounter(INTEGRATION_ERRORS, {
      description: "durable-trace failures, degraded to telemetry"
    }))

  const inherited = new WeakMap<OtelSpan, Record<string, Backend.TagValue>>()

  const backend: Backend.BackendService = {
    name: "opentelemetry",
    startSpan: (name, spanOptions = {}) => {
      const parent =
        spanOptions.parent === undefined
          ? trace.getSpan(context.active())
          : spanOptions.parent._tag === "Span"
            ? fromSpan(spanOptions.parent.span)
            : undefined
      const own = attributesOf(name, spanOptions)
      // A span under a remote parent (an operation drawn under the anchor, SPEC §5.2) takes the execution's
      // attributes from the span it is started in.
      const scoped = inheritedOf(inherited, parent ?? trace.getSpan(context.active()), own)
      const links = linksOf(spanOptions.links)
      const span = tracer.startSpan(
        name,
        {
          root: spanOptions.parent?._tag === "Root",
          attributes: { ...scoped, ...own },
          ...(links.length === 0 ? {} : { links }),
          ...(spanOptions.kind === undefined ? {} : { kind: KINDS[spanOptions.kind] }),
          ...(spanOptions.startTime === undefined ? {} : { startTime: spanOptions.startTime })
        },
        parentContext(spanOptions.parent)
      )
      if (Object.keys(scoped).length > 0) inherited.set(span, scoped)
      return toSpan(span)
    },
    activate: (span, fn) => context.with(trace.setSpan(context.active(), fromSpan(span)), fn),
    active: () => {
      const span = trace.getSpan(context.active())
      return span === undefined ? undefined : toSpan(span)
    },
    setTags: (span, tags) => {
      // No span name here: the invocation span's constants were set when it started.
      fromSpan(span).setAttributes(SemanticAttributes.toOpenTelemetry("", Backend.definedTags(tags)))
    },
    setError: (span, error) => {
      const otelSpan = fromSpan(span)
      const fields = Backend.errorFields(error)
      otelSpan.recordException({
        name: fields.type,
        message: fields.message,
        ...(fields.stack ? { stack: fields.stack } : {})
      })
      otelSpan.setStatus({ code: SpanStatusCode.ERROR, message: fields.message })
    },
    finish: (span, endTime) => {
      const otelSpan = fromSpan(span)
      // An ended SDK span stops recording; a second `end` would only log a warning.
      if (otelSpan.isRecording()) otelSpan.end(endTime)
    },
    ids: (span) => ids(fromSpan(span)),
    // The SDK's spans are `ReadableSpan`s with an `HrTime` start; the API's interface does not declare it.
    startTimeOf: (span) => {
      const start = (fromSpan(span) as { readonly startTime?: unknown }).startTime
      return Array.isArray(start) && typeof start[0] === "number" && typeof start[1] === "number"
        ? start[0] * 1e3 + start[1] / 1e6
        : undefined
    },
    flush: async () => {
      const provider = trace.getTracerProvider() as { getDelegate?: () => unknown }
      const delegate = (provider.getDelegate?.() ?? provider) as { forceFlush?: () => Promise<void> }
      try {
        await delegate.forceFlush?.()
      } catch {
        // Exporting is the SDK's job; a failed flush must not fail the invocation.
      }
    }
  }

  return {
    backend,
    propagation: propagation(propagator),
    telemetry: Backend.telemetryFrom((tags) => integrationErrors().add(1, { ...tags }))
  }
}

/** The OpenTelemetry backend as a layer: `make(options)`, made now. */
export const layer = (options: Options = {}): Backend.BackendLayer => Backend.layer(make(options))

let globalLayer: Backend.BackendLayer | undefined

/**
 * The backend over the global tracer provider and meter provider, with W3C Trace Context propagation. Nothing is
 * built at import: `make()` runs when the layer is first built, and every later build shares that one backend.
 */
export const layerGlobal: Backend.BackendLayer = Layer.suspend(() => (globalLayer ??= layer()))
