/**
 * An in-memory tracer backend for tests and examples: deterministic ids, every finished span and every telemetry
 * increment recorded for assertions. Its propagation writes what dd-trace writes by default (Datadog and W3C
 * headers, SPEC §8) and extracts any context core's `Headers` accepts. The active span lives in an
 * `AsyncLocalStorage`, so `activate` holds across `await`.
 * Gotcha: ids come from counters (trace `0064757261626c65` + `0000000000000001`, span `0000000000000001`, ...) that
 * start over on `reset()`; each `make()` has its own. `make()` builds the backend and its recorder; `layer(memory)`
 * provides it.
 */
import { AsyncLocalStorage } from "node:async_hooks"
import * as DatadogHeaders from "@durable-trace/core/DatadogHeaders"
import { DurableTraceError } from "@durable-trace/core/Errors"
import * as Headers from "@durable-trace/core/Headers"
import * as Hex from "@durable-trace/core/Hex"
import * as InjectHeaders from "@durable-trace/core/InjectHeaders"
import type * as TraceMode from "@durable-trace/core/TraceMode"
import { contextOf } from "@durable-trace/core/TracePropagation"
import * as Traceparent from "@durable-trace/core/Traceparent"
import * as Tracestate from "@durable-trace/core/Tracestate"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import {
  type BackendLayer,
  type BackendService,
  type BackendServices,
  definedTags,
  type ErrorFields,
  errorFields,
  type FailureTags,
  layer as layerOf,
  natives,
  type Span,
  type SpanOptions,
  type TagValue,
  telemetryFrom
} from "./Backend.ts"

/** A finished span, as recorded. */
export interface RecordedSpan {
  readonly name: string
  /** 32 lowercase hex. */
  readonly traceId: string
  /** 16 lowercase hex. */
  readonly spanId: string
  /** 16 lowercase hex; undefined for a root. */
  readonly parentId: string | undefined
  readonly resource: string | undefined
  readonly type: string | undefined
  readonly kind: SpanOptions["kind"]
  readonly tags: Readonly<Record<string, TagValue>>
  readonly error: ErrorFields | undefined
  /** Its span links (linked trace mode), as given. */
  readonly links: ReadonlyArray<TraceMode.Link>
  /** The trace's sampling priority when the span finished. */
  readonly samplingPriority: number
  /** Epoch milliseconds. */
  readonly startTime: number
  readonly endTime: number
}

/** An in-memory backend and what it recorded. */
export interface InMemory extends BackendServices {
  /** Finished spans, in finishing order. */
  readonly spans: () => ReadonlyArray<RecordedSpan>
  /** `integration_errors` increments, in order. */
  readonly increments: () => ReadonlyArray<FailureTags>
  /** Forgets what was recorded and restarts the id counters. */
  readonly reset: () => void
}

/** Datadog's "auto keep" priority: what a trace gets when nobody decided before it is propagated. */
const AUTO_KEEP = 1

// What a trace's spans share, like dd-trace's trace object: the sampling decision and what propagates with it.
interface TraceState {
  readonly traceId: string
  samplingPriority: number | undefined
  readonly origin: string | undefined
  /** `_dd.p.*` tags other than `_dd.p.tid` (recomputed from the trace id). */
  readonly tags: DatadogHeaders.Tags
  /** Other vendors' `tracestate` members, passed through in order. */
  readonly vendors: Tracestate.Tracestate
}

class InMemorySpan {
  readonly name: string
  readonly trace: TraceState
  readonly spanId: string
  readonly parentId: string | undefined
  readonly options: SpanOptions
  readonly tags: Record<string, TagValue>
  readonly startTime: number
  endTime: number | undefined = undefined
  error: ErrorFields | undefined = undefined

  constructor(name: string, trace: TraceState, spanId: string, parentId: string | undefined, options: SpanOptions) {
    this.name = name
    this.trace = trace
    this.spanId = spanId
    this.parentId = parentId
    this.options = options
    this.tags = definedTags(options.tags)
    this.startTime = options.startTime ?? Date.now()
  }
}

/** The native context `extract` returns: a remote parent. */
class InMemoryRemote {
  readonly trace: TraceState
  readonly spanId: string

  constructor(trace: TraceState, spanId: string) {
    this.trace = trace
    this.spanId = spanId
  }
}

const hex16 = (n: bigint): string => n.toString(16).padStart(16, "0")

/**
 * The high 64 bits of every trace id ("durable" in ASCII); the low 64 bits count traces from 1. Non-zero, so
 * 128-bit ids take the `_dd.p.tid` path as dd-trace's do, and unlike the low half, so a mixed-up half shows.
 */
export const TRACE_ID_HIGH = "0064757261626c65"

// The one conversion between this backend's objects and core's opaque spans and contexts.
const native = natives<InMemorySpan, InMemoryRemote>()
const toSpan = native.toSpan
const fromSpan = (span: Span): InMemorySpan => {
  const own = native.fromSpan(span)
  if (own instanceof InMemorySpan) return own
  throw new TypeError("not a span of this in-memory backend")
}

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

/** A fresh in-memory backend. */
export const make = (): InMemory => {
  const storage = new AsyncLocalStorage<InMemorySpan>()
  let recorded: Array<RecordedSpan> = []
  let increments: Array<FailureTags> = []
  let traces = 0n
  let spans = 0n

  const newTrace = (): TraceState => ({
    traceId: `${TRACE_ID_HIGH}${hex16(++traces)}`,
    samplingPriority: undefined,
    origin: undefined,
    tags: [],
    vendors: []
  })

  const parentOf = (parent: SpanOptions["parent"]): InMemorySpan | InMemoryRemote | undefined => {
    if (parent === undefined) return storage.getStore()
    if (parent._tag === "Span") return native.fromSpan(parent.span)
    return parent._tag === "Remote" ? native.fromRemote(parent.context) : undefined
  }

  const backend: BackendService = {
    name: "in-memory",
    startSpan: (name, options = {}) => {
      const parent = parentOf(options.parent)
      let trace: TraceState
      let parentId: string | undefined
      if (parent === undefined) {
        trace = newTrace()
        trace.samplingPriority = options.samplingPriority
      } else if (parent instanceof InMemorySpan || parent instanceof InMemoryRemote) {
        trace = parent.trace
        parentId = parent.spanId
      } else {
        throw new TypeError("in-memory backend: the parent is neither its span nor its extracted context")
      }
      return toSpan(new InMemorySpan(name, trace, hex16(++spans), parentId, options))
    },
    activate: (span, fn) => storage.run(fromSpan(span), fn),
    active: () => {
      const span = storage.getStore()
      return span === undefined ? undefined : toSpan(span)
    },
    setTags: (span, tags) => {
      Object.assign(fromSpan(span).tags, definedTags(tags))
    },
    setError: (span, error) => {
      fromSpan(span).error = errorFields(error)
    },
    finish: (span, endTime) => {
      const s = fromSpan(span)
      if (s.endTime !== undefined) return
      s.endTime = endTime ?? Date.now()
      s.trace.samplingPriority ??= AUTO_KEEP
      recorded.push({
        name: s.name,
        traceId: s.trace.traceId,
        spanId: s.spanId,
        parentId: s.parentId,
        resource: s.options.resource,
        type: s.options.type,
        kind: s.options.kind,
        tags: { ...s.tags },
        error: s.error,
        links: s.options.links ?? [],
        samplingPriority: s.trace.samplingPriority,
        startTime: s.startTime,
        endTime: s.endTime
      })
    },
    startTimeOf: (span) => fromSpan(span).startTime,
    ids: (span) => {
      const s = fromSpan(span)
      return {
        traceId: s.trace.traceId,
        spanId: s.spanId,
        traceIdDecimal: Hex.lowDecimal(s.trace.traceId),
        spanIdDecimal: Hex.lowDecimal(s.spanId)
      }
    },
    flush: () => Promise.resolve()
  }

  const propagation: BackendServices["propagation"] = {
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
      return Option.match(span instanceof InMemorySpan ? Headers.fromCarrier(injectHeaders(span)) : Option.none(), {
        onNone: () => Effect.fail(new DurableTraceError({ location: "inject", reason: "not an in-memory span" })),
        onSome: Effect.succeed
      })
    },
    spanId: (opaque) => {
      const span = native.fromSpan(opaque)
      return span instanceof InMemorySpan
        ? Effect.succeed(span.spanId)
        : Effect.fail(new DurableTraceError({ location: "inject", reason: "not an in-memory span" }))
    }
  }
  const telemetry = telemetryFrom((tags) => {
    increments.push(tags)
  })

  return {
    backend,
    propagation,
    telemetry,
    spans: () => recorded,
    increments: () => increments,
    reset: () => {
      recorded = []
      increments = []
      traces = 0n
      spans = 0n
    }
  }
}

/** The layer of `memory` (a fresh backend by default): what `withDurableTracing`'s `backend` takes. */
export const layer = (memory: InMemory = make()): BackendLayer => layerOf(memory)
