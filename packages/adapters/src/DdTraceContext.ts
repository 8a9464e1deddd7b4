/**
 * dd-trace's span contexts read and repaired: the one conversion between dd-trace's objects and core's opaque
 * `Span`/`RemoteContext`, a context's ids in hex and decimal, and `adoptPropagated`. Internal to the dd-trace
 * backend (`DdTrace`). Gotcha: the hex id getters and the trace-level state (`_trace`, `_sampling`, `_tracestate`)
 * are on every dd-trace context since dd-trace 2 or 4 but missing from its typings, so they are read structurally.
 */
import type { Span as DdSpan, SpanContext as DdSpanContext } from "dd-trace"
import { natives, type SpanIds } from "./Backend.ts"

/** The one conversion between dd-trace's spans and span contexts and core's opaque `Span` and `RemoteContext`. */
export const native = natives<DdSpan, DdSpanContext>()

// `toTraceId(true)`/`toSpanId(true)` (hex) exist since dd-trace 4 but are missing from its typings.
interface HexIds {
  toTraceId(hex?: boolean): string
  toSpanId(hex?: boolean): string
}

/** `context` with its hex id getters typed. */
export const hexIds = (context: DdSpanContext): HexIds => context as DdSpanContext & HexIds

/** The ids of `context`, hex and decimal. */
export const ids = (context: DdSpanContext): SpanIds => {
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
export const adoptPropagated = (target: DdSpanContext, parent: DdSpanContext): void => {
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
