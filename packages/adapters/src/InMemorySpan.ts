/**
 * The in-memory backend's objects: a trace's shared state, its spans, the remote contexts its propagation
 * extracts, and the one conversion between them and core's opaque `Span`/`RemoteContext`. Internal to the
 * in-memory backend (`InMemory`), which re-exports `RecordedSpan`. Gotcha: a trace's sampling priority is
 * mutable and shared by its spans, as dd-trace's trace object is: it is forced when a span is propagated or ends.
 */
import type * as DatadogHeaders from "@durable-trace/core/DatadogHeaders"
import type * as TraceMode from "@durable-trace/core/TraceMode"
import type * as Tracestate from "@durable-trace/core/Tracestate"
import { definedTags, type ErrorFields, natives, type Span, type SpanOptions, type TagValue } from "./Backend.ts"

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

/** Datadog's "auto keep" priority: what a trace gets when nobody decided before it is propagated. */
export const AUTO_KEEP = 1

/** What a trace's spans share, like dd-trace's trace object: the sampling decision and what propagates with it. */
export interface TraceState {
  readonly traceId: string
  samplingPriority: number | undefined
  readonly origin: string | undefined
  /** `_dd.p.*` tags other than `_dd.p.tid` (recomputed from the trace id). */
  readonly tags: DatadogHeaders.Tags
  /** Other vendors' `tracestate` members, passed through in order. */
  readonly vendors: Tracestate.Tracestate
}

/** A span of the in-memory backend, live until `finish` records it. */
export class InMemorySpan {
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
export class InMemoryRemote {
  readonly trace: TraceState
  readonly spanId: string

  constructor(trace: TraceState, spanId: string) {
    this.trace = trace
    this.spanId = spanId
  }
}

/** What `finish` records of `span`, ended at `endTime`, with its trace's current sampling priority. */
export const recorded = (span: InMemorySpan, endTime: number, samplingPriority: number): RecordedSpan => ({
  name: span.name,
  traceId: span.trace.traceId,
  spanId: span.spanId,
  parentId: span.parentId,
  resource: span.options.resource,
  type: span.options.type,
  kind: span.options.kind,
  tags: { ...span.tags },
  error: span.error,
  links: span.options.links ?? [],
  samplingPriority,
  startTime: span.startTime,
  endTime
})

/** The one conversion between this backend's objects and core's opaque spans and contexts. */
export const native = natives<InMemorySpan, InMemoryRemote>()

/** The span behind `span`; throws when it is not one of this backend's. */
export const fromSpan = (span: Span): InMemorySpan => {
  const own = native.fromSpan(span)
  if (own instanceof InMemorySpan) return own
  throw new TypeError("not a span of this in-memory backend")
}
