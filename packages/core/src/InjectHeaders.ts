/**
 * The headers dd-trace injects by default (SPEC §8): Datadog's `x-datadog-*` and W3C's `traceparent` and
 * `tracestate` (with Datadog's `dd=` member first), from one span's propagated context. Use it where a tracer
 * that core does not wrap has to write what dd-trace would (the in-memory backend). Gotcha: the sampling
 * priority must be decided before injecting; the W3C sampled flag follows it.
 */
import * as DatadogHeaders from "./DatadogHeaders.ts"
import type * as Headers from "./Headers.ts"
import * as Hex from "./Hex.ts"
import * as Traceparent from "./Traceparent.ts"
import * as Tracestate from "./Tracestate.ts"

/** What a span propagates. */
export interface Propagated {
  /** 32 lowercase hex; a non-zero high half travels as `_dd.p.tid`. */
  readonly traceId: string
  /** 16 lowercase hex, non-zero. */
  readonly spanId: string
  readonly samplingPriority: number
  readonly origin: string | undefined
  /** `_dd.p.*` tags other than `_dd.p.tid`. */
  readonly tags: DatadogHeaders.Tags
  /** Other vendors' `tracestate` members, in order. */
  readonly vendors: Tracestate.Tracestate
}

/** dd-trace's default injection of `context`: both styles, the trace id's high half as `_dd.p.tid`. */
export const inject = (context: Propagated): Headers.Headers => {
  const { traceId, spanId, samplingPriority: priority, origin } = context
  const high = traceId.slice(0, 16)
  const tags: DatadogHeaders.Tags = [
    ...(high === Hex.ZERO_HEX16 ? [] : [{ key: DatadogHeaders.TAG_TID, value: high }]),
    ...context.tags
  ]
  const dd: Tracestate.DdState = [
    { key: Tracestate.DD_SAMPLING_PRIORITY, value: String(priority) },
    { key: Tracestate.DD_PARENT_ID, value: spanId },
    ...(origin === undefined ? [] : [{ key: Tracestate.DD_ORIGIN, value: Tracestate.encodeDdValue(origin) }])
  ]
  const headers: Record<string, string> = {
    [DatadogHeaders.X_DATADOG_TRACE_ID]: Hex.lowDecimal(traceId),
    [DatadogHeaders.X_DATADOG_PARENT_ID]: Hex.lowDecimal(spanId),
    [DatadogHeaders.X_DATADOG_SAMPLING_PRIORITY]: String(priority),
    [Traceparent.TRACEPARENT]: Traceparent.format({
      version: "00",
      traceId,
      parentId: spanId,
      flags: priority > 0 ? "01" : "00"
    }),
    [Tracestate.TRACESTATE]: Tracestate.format([
      { key: Tracestate.DD, value: Tracestate.formatDd(dd) },
      ...context.vendors
    ])
  }
  if (origin !== undefined) headers[DatadogHeaders.X_DATADOG_ORIGIN] = origin
  if (tags.length > 0) headers[DatadogHeaders.X_DATADOG_TAGS] = DatadogHeaders.formatTags(tags)
  return headers
}
