/**
 * The in-memory backend's `TracePropagation`: it injects what dd-trace writes by default (Datadog and W3C headers,
 * SPEC §8) and extracts any context core's `Headers` accepts, keeping the trace's propagated state (priority,
 * origin, `_dd.p.*` tags, other vendors' `tracestate` members) on the remote context. Internal to `InMemory`.
 * Gotcha: injecting forces the trace's sampling decision (auto keep), as dd-trace's public `inject` does.
 */
import * as DatadogHeaders from "@durable-trace/core/DatadogHeaders"
import { DurableTraceError } from "@durable-trace/core/Errors"
import * as Headers from "@durable-trace/core/Headers"
import * as InjectHeaders from "@durable-trace/core/InjectHeaders"
import { contextOf, type TracePropagation } from "@durable-trace/core/TracePropagation"
import * as Traceparent from "@durable-trace/core/Traceparent"
import * as Tracestate from "@durable-trace/core/Tracestate"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { AUTO_KEEP, InMemoryRemote, InMemorySpan, native, type TraceState } from "./InMemorySpan.ts"

const samplingPriorityOf = (h: Headers.Headers): number | undefined => {
  const datadog = DatadogHeaders.parseSamplingPriority(h[DatadogHeaders.X_DATADOG_SAMPLING_PRIORITY])
  if (Option.isSome(datadog)) return datadog.value
  const ddState = Option.flatMap(Tracestate.parse(h[Tracestate.TRACESTATE]), Tracestate.ddState)
  const s = Option.flatMap(ddState, (dd) =>
    Option.fromNullishOr(dd.find((e) => e.key === Tracestate.DD_SAMPLING_PRIORITY)?.value)
  )
  const fromState = Option.flatMap(s, DatadogHeaders.parseSamplingPriority)
  if (Option.isSome(fromState)) return fromState.value
  const traceparent = Traceparent.parse(h[Traceparent.TRACEPARENT])
  return Option.isSome(traceparent) ? Number.parseInt(traceparent.value.flags, 16) & 1 : undefined
}

const remoteTraceState = (traceId: string, h: Headers.Headers): TraceState => ({
  traceId,
  samplingPriority: samplingPriorityOf(h),
  origin: Option.getOrUndefined(DatadogHeaders.parseOrigin(h[DatadogHeaders.X_DATADOG_ORIGIN])),
  tags: Option.getOrElse(DatadogHeaders.parseTags(h[DatadogHeaders.X_DATADOG_TAGS]), () => []).filter(
    (tag) => tag.key !== DatadogHeaders.TAG_TID
  ),
  vendors: Option.getOrElse(Tracestate.parse(h[Tracestate.TRACESTATE]), () => []).filter(
    (member) => member.key !== Tracestate.DD
  )
})

/** dd-trace's default injection (SPEC §8) for `span`, after forcing its trace's sampling decision. */
const injectHeaders = (span: InMemorySpan): Headers.Headers => {
  const trace = span.trace
  trace.samplingPriority ??= AUTO_KEEP
  return InjectHeaders.inject({ ...trace, samplingPriority: trace.samplingPriority, spanId: span.spanId })
}

const notInMemory = () => new DurableTraceError({ location: "inject", reason: "not an in-memory span" })

/** The in-memory backend's propagation: stateless, so one serves every backend. */
export const propagation: TracePropagation["Service"] = {
  extract: (headers) =>
    Effect.succeed(
      Option.flatMap(Headers.fromCarrier(headers), (clean) =>
        Option.map(contextOf(clean), (context) => ({
          traceId: context.traceId,
          spanId: context.spanId,
          native: native.toRemote(new InMemoryRemote(remoteTraceState(context.traceId, clean), context.spanId))
        }))
      )
    ),
  inject: (opaque) => {
    const span = native.fromSpan(opaque)
    return Option.match(span instanceof InMemorySpan ? Headers.fromTracer(injectHeaders(span)) : Option.none(), {
      onNone: () => Effect.fail(notInMemory()),
      onSome: Effect.succeed
    })
  },
  spanId: (opaque) => {
    const span = native.fromSpan(opaque)
    return span instanceof InMemorySpan ? Effect.succeed(span.spanId) : Effect.fail(notInMemory())
  }
}
