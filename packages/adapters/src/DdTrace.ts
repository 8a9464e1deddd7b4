/**
 * The dd-trace backend: spans, propagation and telemetry through dd-trace's public API only (one untyped option of
 * `startSpan`, `integrationName`, names a span's integration), over the tracer the user initialised
 * (`import tracer from "dd-trace"; tracer.init()`). Propagation uses `tracer.inject`/`extract`
 * with the `text_map` format, so the tracer's configured styles apply (SPEC §3, §8).
 * Gotcha: dd-trace 5.13+/6.x ship their own durable plugin that writes `_datadog_{N}` too; two writers fork the
 * numbering, so `make` turns that plugin off by default (see `Options.disableBuiltInDurablePlugin`).
 * `make(tracer)` builds the backend; `layer(tracer)` provides it; `layerGlobal()` provides it over the process's
 * dd-trace singleton, imported when the layer is built. Propagation is in `DdTracePropagation`, the reading of
 * dd-trace's span contexts in `DdTraceContext` (both internal).
 */

import type {
  Span as DdSpan,
  SpanContext as DdSpanContext,
  SpanOptions as DdSpanOptions,
  Tracer as DdTracer
} from "dd-trace"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import {
  type BackendLayer,
  type BackendService,
  type BackendServices,
  definedTags,
  errorFields,
  layer as layerOf,
  type Parent,
  type TagValue,
  telemetryFrom
} from "./Backend.ts"
import { adoptPropagated, ids, native } from "./DdTraceContext.ts"
import { type DdLink, linksOf, propagation } from "./DdTracePropagation.ts"

export { native } from "./DdTraceContext.ts"

/** dd-trace's plugin id for `@aws/durable-execution-sdk-js`. */
export const BUILT_IN_DURABLE_PLUGIN = "aws-durable-execution-sdk-js"

/**
 * The DogStatsD name of the `integration_errors` counter (SPEC §4.7). Prefixed because DogStatsD metric names
 * share one account-wide namespace.
 */
export const INTEGRATION_ERRORS_METRIC = "durable_trace.integration_errors"

/** dd-trace's tag that sets a trace's sampling priority (`ext.tags.SAMPLING_PRIORITY`). */
const SAMPLING_PRIORITY = "sampling.priority"

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

const { toSpan, fromSpan, fromRemote } = native

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
      const ddOptions: DdSpanOptions & { integrationName?: string; links?: Array<DdLink> } = {
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
    propagation: propagation(tracer),
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
