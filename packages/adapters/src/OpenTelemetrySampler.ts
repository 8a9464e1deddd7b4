/**
 * The OpenTelemetry sampler that keeps durable executions whole (SPEC §11), re-exported by `OpenTelemetry`.
 * Gotcha: `sampleRatio` is honoured for OpenTelemetry only when the user installs this sampler on the tracer
 * provider; the API declares no `Sampler` interface, so it is typed structurally here.
 */
import * as Sampling from "@durable-trace/core/Sampling"
import {
  type Attributes,
  type Context,
  isSpanContextValid,
  type Link,
  type SpanKind,
  TraceFlags,
  trace
} from "@opentelemetry/api"

/** The attribute that carries durable-trace's sampling decision of a new trace to `sampler` (SPEC §11). */
export const SAMPLED_ATTRIBUTE = "durable_trace.sampled"

/** OpenTelemetry's sampling decisions (`SamplingDecision` of the SDK), by value: the API does not export them. */
const NOT_RECORD = 0
const RECORD_AND_SAMPLED = 2

/** A `Sampler` of the OpenTelemetry SDK, structurally: the API does not declare the interface. */
export interface ExecutionSampler {
  shouldSample(
    context: Context,
    traceId: string,
    spanName: string,
    spanKind: SpanKind,
    attributes: Attributes,
    links: ReadonlyArray<Link>
  ): { readonly decision: number }
  toString(): string
}

/**
 * The parent-based sampler that keeps durable executions whole (SPEC §11): a span with a parent follows the
 * parent's sampled flag; a new trace follows durable-trace's decision (`SAMPLED_ATTRIBUTE`, set on the execution's
 * first invocation span by the ratio setting and on every linked invocation's root from its anchor), else its
 * anchor link's flag, else `ratio` (default 1) of its trace id. Pass it to the tracer provider
 * (`new NodeTracerProvider({ sampler: OpenTelemetry.sampler() })`).
 */
export const sampler = (options: { readonly ratio?: number | undefined } = {}): ExecutionSampler => {
  const ratio = options.ratio ?? 1
  const decide = (kept: boolean) => ({ decision: kept ? RECORD_AND_SAMPLED : NOT_RECORD })
  return {
    shouldSample: (parent, traceId, _name, _kind, attributes, links) => {
      const parentContext = trace.getSpanContext(parent)
      if (parentContext !== undefined && isSpanContextValid(parentContext)) {
        return decide((parentContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED)
      }
      const hint = attributes[SAMPLED_ATTRIBUTE]
      if (typeof hint === "boolean") return decide(hint)
      const anchor = links.find((link) => link.attributes?.["durable.link.role"] === "anchor")
      if (anchor !== undefined) return decide((anchor.context.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED)
      return decide(Sampling.keep(traceId, ratio))
    },
    toString: () => `DurableTraceExecutionSampler{ratio=${ratio}}`
  }
}
