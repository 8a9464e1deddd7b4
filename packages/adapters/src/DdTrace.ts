/**
 * The dd-trace backend: spans, propagation and telemetry through dd-trace's public API only (one untyped option of
 * `startSpan`, `integrationName`, names a span's integration), over the tracer the user initialised
 * (`import tracer from "dd-trace"; tracer.init()`). Propagation uses `tracer.inject`/`extract`
 * with the `text_map` format, so the tracer's configured styles apply (SPEC §3, §8).
 * Gotcha: dd-trace 5.13+/6.x ship their own durable plugin that writes `_datadog_{N}` too; two writers fork the
 * numbering, so `make` turns that plugin off by default (see `Options.disableBuiltInDurablePlugin`).
 * `make(tracer)` builds the backend; `layer(tracer)` provides it; `layerGlobal()` provides it over the process's
 * dd-trace singleton, imported when the layer is built.
 */

import * as SyncPort from "@durable-trace/core/SyncPort"
import type * as TraceMode from "@durable-trace/core/TraceMode"
import type { TraceContext } from "@durable-trace/core/TracePropagation"
import type {
  Span as DdSpan,
  SpanContext as DdSpanContext,
  SpanOptions as DdSpanOptions,
  Tracer as DdTracer
} from "dd-trace"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import {
  type BackendLayer,
  type BackendService,
  type BackendServices,
  definedTags,
  errorFields,
  injected,
  layer as layerOf,
  linkAttributes,
  natives,
  type Parent,
  propagationFailure,
  type SpanIds,
  type TagValue,
  telemetryFrom
} from "./Backend.ts"

/** dd-trace's plugin id for `@aws/durable-execution-sdk-js`. */
export const BUILT_IN_DURABLE_PLUGIN = "aws-durable-execution-sdk-js"

/**
 * The DogStatsD name of the `integration_errors` counter (SPEC §4.7). Prefixed because DogStatsD metric names
 * share one account-wide namespace.
 */
export const INTEGRATION_ERRORS_METRIC = "durable_trace.integration_errors"

/** dd-trace's tag that sets a trace's sampling priority (`ext.tags.SAMPLING_PRIORITY`). */
const SAMPLING_PRIORITY = "sampling.priority"

/**
 * dd-trace span links for `links`: each target as a context extracted from its ids, in both of dd-trace's styles
 * so the configured extract styles find one, with the link's sampling decision.
 */
const linksOf = (
  tracer: DdTracer,
  links: ReadonlyArray<TraceMode.Link> | undefined
): Array<{ context: DdSpanContext; attributes: Record<string, string> }> => {
  const out: Array<{ context: DdSpanContext; attributes: Record<string, string> }> = []
  for (const link of links ?? []) {
    const carrier = {
      traceparent: `00-${link.traceId}-${link.spanId}-${link.sampled ? "01" : "00"}`,
      "x-datadog-trace-id": BigInt(`0x${link.traceId.slice(16)}`).toString(10),
      "x-datadog-parent-id": BigInt(`0x${link.spanId}`).toString(10),
      "x-datadog-sampling-priority": link.sampled ? "1" : "0",
      "x-datadog-tags": `_dd.p.tid=${link.traceId.slice(0, 16)}`
    }
    const context = tracer.extract(TEXT_MAP, carrier)
    if (context !== null) out.push({ context, attributes: linkAttributes(link) })
  }
  return out
}

/** The propagation format: dd-trace's plain-object carrier. */
const TEXT_MAP = "text_map"

// `toTraceId(true)`/`toSpanId(true)` (hex) exist since dd-trace 4 but are missing from its typings.
interface HexIds {
  toTraceId(hex?: boolean): string
  toSpanId(hex?: boolean): string
}

const HEX32 = /^[0-9a-f]{32}$/
const HEX16 = /^[0-9a-f]{16}$/
const ZERO32 = /^0{32}$/
const ZERO16 = /^0{16}$/

/** Options of `make`. */
export interface Options {
  /**
   * Turn dd-trace's built-in durable plugin off (`tracer.use("aws-durable-execution-sdk-js", false)`), default
   * `true`. Two checkpoint writers would fork the `_datadog_{N}` numbering (SPEC §8). This also drops Datadog's
   * own `aws.durable.*` spans, which durable-trace's plugin replaces. (`DD_DURABLE_CROSS_INVOCATION_TRACING_ENABLED`
   * is no alternative: dd-trace reads it too, so `false` turns off both writers.) Pass `false` only when
   * durable-trace does not write checkpoints.
   */
  readonly disableBuiltInDurablePlugin?: boolean | undefined
  /**
   * Flush DogStatsD at the end of each invocation once something was counted. Default: only in Lambda
   * (`AWS_LAMBDA_FUNCTION_NAME` set), where the environment freezes after the invocation returns. Elsewhere
   * dd-trace flushes its metrics itself (every 10 s and at exit), and a flush we force can kill the process: on
   * the durable SDK's local runner, whose fake `process.nextTick` lets a refused connection to the agent
   * (`127.0.0.1:8126`) surface as an unhandled `'error'` event.
   */
  readonly flushMetrics?: boolean | undefined
}

/** Whether this process runs in Lambda, which freezes it between invocations. */
const inLambda = (): boolean => typeof process.env.AWS_LAMBDA_FUNCTION_NAME === "string"

/** The one conversion between dd-trace's spans and span contexts and core's opaque `Span` and `RemoteContext`. */
export const native = natives<DdSpan, DdSpanContext>()
const { toSpan, fromSpan, toRemote, fromRemote } = native
const hexIds = (context: DdSpanContext): HexIds => context as DdSpanContext & HexIds

/**
 * The dd-trace backend over `tracer`, with its propagation and DogStatsD telemetry. With the default options this
 * turns dd-trace's built-in durable plugin off, once, when called.
 */
export const make = (tracer: DdTracer, options: Options = {}): BackendServices => {
  const disableBuiltIn = options.disableBuiltInDurablePlugin ?? true
  if (disableBuiltIn) tracer.use(BUILT_IN_DURABLE_PLUGIN, false)

  // Reading `tracer.dogstatsd` creates its client: flush only once something was counted.
  let counted = false
  const flushMetrics = options.flushMetrics ?? inLambda()

  // dd-trace's `startSpan` makes a root when `childOf` is undefined: resolve "the active span" here.
  const childOf = (parent: Parent | undefined): DdSpan | DdSpanContext | null => {
    if (parent === undefined) return tracer.scope().active()
    if (parent._tag === "Span") return fromSpan(parent.span)
    return parent._tag === "Remote" ? fromRemote(parent.context) : null
  }

  const backend: BackendService = {
    name: "dd-trace",
    builtInWriter: !disableBuiltIn,
    startSpan: (name, spanOptions = {}) => {
      const tags = ddTags(spanOptions.tags)
      if (spanOptions.resource !== undefined) tags["resource.name"] = spanOptions.resource
      if (spanOptions.type !== undefined) tags["span.type"] = spanOptions.type
      if (spanOptions.kind !== undefined) tags["span.kind"] = spanOptions.kind
      const parent = childOf(spanOptions.parent)
      const ddOptions: DdSpanOptions & { integrationName?: string; links?: ReturnType<typeof linksOf> } = {
        childOf: parent,
        tags
      }
      // `links` (dd-trace 5.3+ span links) is passed through to the span like `integrationName`, untyped too.
      // `integrationName` is how dd-trace's own plugins name themselves (`_dd.integration`, set when the span
      // finishes, so a tag would be overwritten); `startSpan` takes it although its typings do not list it.
      if (spanOptions.integration !== undefined) ddOptions.integrationName = spanOptions.integration
      if (spanOptions.startTime !== undefined) ddOptions.startTime = spanOptions.startTime
      // dd-trace's priority sampler honours `sampling.priority` on a new trace as the user's decision.
      if (parent === null && spanOptions.samplingPriority !== undefined)
        tags[SAMPLING_PRIORITY] = spanOptions.samplingPriority
      const links = linksOf(tracer, spanOptions.links)
      if (links.length > 0) ddOptions.links = links
      return toSpan(tracer.startSpan(name, ddOptions))
    },
    activate: (span, fn) => tracer.scope().activate(fromSpan(span), fn),
    active: () => {
      const span = tracer.scope().active()
      return span === null ? undefined : toSpan(span)
    },
    setTags: (span, tags) => {
      fromSpan(span).addTags(ddTags(tags))
    },
    setError: (span, error) => {
      const fields = errorFields(error)
      fromSpan(span).addTags({
        "error.type": fields.type,
        "error.message": fields.message,
        ...(fields.stack === undefined ? {} : { "error.stack": fields.stack })
      })
    },
    // dd-trace ignores a second `finish`.
    finish: (span, endTime) => fromSpan(span).finish(endTime),
    ids: (span) => ids(fromSpan(span).context()),
    // dd-trace keeps a span's start (epoch ms, sub-ms precision) in `_startTime`; its typings do not list it.
    startTimeOf: (span) => {
      const start = (fromSpan(span) as { readonly _startTime?: unknown })._startTime
      return typeof start === "number" && Number.isFinite(start) ? start : undefined
    },
    adoptPropagated: (span, parent) => adoptPropagated(fromSpan(span).context(), fromRemote(parent)),
    // The log exporter (Lambda without the extension) writes each trace synchronously as it finishes, and the
    // agent exporter has no public flush: datadog-lambda-js flushes it at the end of the invocation.
    flush: () => {
      try {
        if (counted && flushMetrics) tracer.dogstatsd.flush()
      } catch {
        // Best effort: a metric lost is not worth failing the invocation end.
      }
      return Promise.resolve()
    }
  }

  return {
    backend,
    propagation: {
      // Exits, not suspended effects: the settled read and write take their result without running a fiber.
      extract: (headers) =>
        SyncPort.attempt(
          () => Option.flatMap(Option.fromNullishOr(tracer.extract(TEXT_MAP, plainCopy(headers))), contextOf),
          (cause) => propagationFailure("extract", "extract threw", cause)
        ),
      inject: (span) =>
        injected(() => {
          const carrier: Record<string, unknown> = {}
          // Public `inject` forces the sampling decision first (SPEC §4.2.1); it logs and swallows its own errors.
          tracer.inject(fromSpan(span), TEXT_MAP, carrier)
          return carrier
        }),
      spanId: (span) =>
        SyncPort.attempt(
          () => ids(fromSpan(span).context()).spanId,
          (cause) => propagationFailure("inject", "not a dd-trace span", cause)
        )
    },
    telemetry: telemetryFrom((tags) => {
      counted = true
      tracer.dogstatsd.increment(INTEGRATION_ERRORS_METRIC, 1, { ...tags })
    })
  }
}

/** The dd-trace backend over `tracer` as a layer: `make(tracer, options)`, made now. */
export const layer = (tracer: DdTracer, options: Options = {}): BackendLayer => layerOf(make(tracer, options))

/**
 * The dd-trace backend over the process's dd-trace singleton (`import("dd-trace")`), which must be initialised
 * before the layer is built. Nothing is imported or made before the layer is built.
 */
export const layerGlobal = (options: Options = {}): BackendLayer =>
  Layer.unwrap(Effect.promise(() => import("dd-trace")).pipe(Effect.map((dd) => layer(dd.default, options))))

// dd-trace files a boolean as a numeric metric (0/1); Datadog's integrations tag "true"/"false" strings.
const ddTags = (tags: Readonly<Record<string, TagValue | undefined>> | undefined): Record<string, string | number> => {
  const out: Record<string, string | number> = {}
  for (const [key, value] of Object.entries(definedTags(tags)))
    out[key] = typeof value === "boolean" ? String(value) : value
  return out
}

// dd-trace reads the carrier as a plain object; core's headers have a null prototype, which a spread copies
// slowly (bench/RESULTS.md, measurement notes).
const plainCopy = (headers: Readonly<Record<string, string>>): Record<string, string> => {
  const carrier: Record<string, string> = {}
  for (const key of Object.keys(headers)) carrier[key] = headers[key]!
  return carrier
}

const ids = (context: DdSpanContext): SpanIds => {
  const hex = hexIds(context)
  return {
    traceId: hex.toTraceId(true),
    spanId: hex.toSpanId(true),
    traceIdDecimal: context.toTraceId(),
    spanIdDecimal: context.toSpanId()
  }
}

// dd-trace's trace-level state on a span context: not in its typings, stable since dd-trace 2.
interface TraceState {
  toTraceId(): string
  readonly _trace?: { readonly tags?: Record<string, unknown> }
  readonly _sampling?: { priority?: unknown }
  _tracestate?: unknown
}

const PROPAGATED_TAG = "_dd.p."

/**
 * datadog-lambda-js parents `aws.lambda` on a context rebuilt from a custom extractor's decimal ids: the trace's
 * `_dd.p.*` tags (`_dd.p.tid`, the high 64 trace-id bits; `_dd.p.dm`) and the other vendors' `tracestate` are gone,
 * and the priority is a string, which dd-trace then does not inject. Copied back from the context durable-trace extracted, only
 * when it is the same trace and only where the span's trace lacks them; without it, the next checkpoint would lose
 * them too.
 */
const adoptPropagated = (target: DdSpanContext, parent: DdSpanContext): void => {
  const to = target as DdSpanContext & TraceState
  const from = parent as DdSpanContext & TraceState
  if (typeof from?.toTraceId !== "function" || from.toTraceId() !== to.toTraceId()) return
  const tags = to._trace?.tags
  if (tags !== undefined) {
    for (const [key, value] of Object.entries(from._trace?.tags ?? {})) {
      if (key.startsWith(PROPAGATED_TAG) && tags[key] === undefined) tags[key] = value
    }
  }
  if (to._tracestate === undefined && from._tracestate !== undefined) to._tracestate = from._tracestate
  const priority = from._sampling?.priority
  if (to._sampling !== undefined && typeof priority === "number" && typeof to._sampling.priority !== "number") {
    to._sampling.priority = priority
  }
}

// A context is continuable only with both ids: dd-trace also returns contexts that carry nothing but baggage,
// whose id getters throw.
const contextOf = (context: DdSpanContext): Option.Option<TraceContext> => {
  try {
    // Hex only: the decimal forms `ids` also computes cost a conversion each, and nothing here reads them.
    const hex = hexIds(context)
    const traceId = hex.toTraceId(true)
    const spanId = hex.toSpanId(true)
    return HEX32.test(traceId) && !ZERO32.test(traceId) && HEX16.test(spanId) && !ZERO16.test(spanId)
      ? Option.some({ traceId, spanId, native: toRemote(context) })
      : Option.none()
  } catch {
    return Option.none()
  }
}
