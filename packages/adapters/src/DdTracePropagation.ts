/**
 * The dd-trace backend's `TracePropagation`: `tracer.inject`/`extract` with the `text_map` format, so the tracer's
 * configured styles apply (SPEC §3, §8), and span links built by extracting their targets. Internal to the dd-trace
 * backend (`DdTrace`). Gotcha: dd-trace also extracts contexts that carry nothing but baggage, whose id getters
 * throw: those are not continuable.
 */
import * as SyncPort from "@durable-trace/core/SyncPort"
import type * as TraceMode from "@durable-trace/core/TraceMode"
import type { TraceContext, TracePropagation } from "@durable-trace/core/TracePropagation"
import type { SpanContext as DdSpanContext, Tracer as DdTracer } from "dd-trace"
import * as Option from "effect/Option"
import { injected, linkAttributes, propagationFailure } from "./Backend.ts"
import { hexIds, ids, native } from "./DdTraceContext.ts"

/** The propagation format: dd-trace's plain-object carrier. */
const TEXT_MAP = "text_map"

const HEX32 = /^[0-9a-f]{32}$/
const HEX16 = /^[0-9a-f]{16}$/
const ZERO32 = /^0{32}$/
const ZERO16 = /^0{16}$/

/** The propagation of the dd-trace backend over `tracer`. */
export const propagation = (tracer: DdTracer): TracePropagation["Service"] => ({
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
      tracer.inject(native.fromSpan(span), TEXT_MAP, carrier)
      return carrier
    }),
  spanId: (span) =>
    SyncPort.attempt(
      () => ids(native.fromSpan(span).context()).spanId,
      (cause) => propagationFailure("inject", "not a dd-trace span", cause)
    )
})

/** A dd-trace span link as `startSpan` takes it (dd-trace 5.3+, untyped). */
export interface DdLink {
  readonly context: DdSpanContext
  readonly attributes: Record<string, string>
}

/**
 * dd-trace span links for `links`: each target as a context extracted from its ids, in both of dd-trace's styles
 * so the configured extract styles find one, with the link's sampling decision.
 */
export const linksOf = (tracer: DdTracer, links: ReadonlyArray<TraceMode.Link> | undefined): Array<DdLink> => {
  const out: Array<DdLink> = []
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

// dd-trace reads the carrier as a plain object; core's headers have a null prototype, which a spread copies
// slowly (bench/RESULTS.md, measurement notes).
const plainCopy = (headers: Readonly<Record<string, string>>): Record<string, string> => {
  const carrier: Record<string, string> = {}
  for (const key of Object.keys(headers)) carrier[key] = headers[key]!
  return carrier
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
      ? Option.some({ traceId, spanId, native: native.toRemote(context) })
      : Option.none()
  } catch {
    return Option.none()
  }
}
