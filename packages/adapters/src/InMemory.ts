/**
 * An in-memory tracer backend for tests and examples: deterministic ids, every finished span and every telemetry
 * increment recorded for assertions. Its propagation writes what dd-trace writes by default (Datadog and W3C
 * headers, SPEC §8) and extracts any context core's `Headers` accepts (`InMemoryPropagation`). The active span
 * lives in an `AsyncLocalStorage`, so `activate` holds across `await`.
 * Gotcha: ids come from counters (trace `0064757261626c65` + `0000000000000001`, span `0000000000000001`, ...) that
 * start over on `reset()`; each `make()` has its own. `make()` builds the backend and its recorder; `layer(memory)`
 * provides it.
 */
import { AsyncLocalStorage } from "node:async_hooks"
import * as Hex from "@durable-trace/core/Hex"
import {
  type BackendLayer,
  type BackendService,
  type BackendServices,
  definedTags,
  errorFields,
  type FailureTags,
  layer as layerOf,
  type SpanOptions,
  telemetryFrom
} from "./Backend.ts"
import { propagation } from "./InMemoryPropagation.ts"
import {
  AUTO_KEEP,
  fromSpan,
  InMemoryRemote,
  InMemorySpan,
  native,
  type RecordedSpan,
  recorded as recordOf,
  type TraceState
} from "./InMemorySpan.ts"

export type { RecordedSpan } from "./InMemorySpan.ts"

/** An in-memory backend and what it recorded. */
export interface InMemory extends BackendServices {
  /** Finished spans, in finishing order. */
  readonly spans: () => ReadonlyArray<RecordedSpan>
  /** `integration_errors` increments, in order. */
  readonly increments: () => ReadonlyArray<FailureTags>
  /** Forgets what was recorded and restarts the id counters. */
  readonly reset: () => void
}

const hex16 = (n: bigint): string => n.toString(16).padStart(16, "0")

/**
 * The high 64 bits of every trace id ("durable" in ASCII); the low 64 bits count traces from 1. Non-zero, so
 * 128-bit ids take the `_dd.p.tid` path as dd-trace's do, and unlike the low half, so a mixed-up half shows.
 */
export const TRACE_ID_HIGH = "0064757261626c65"

const toSpan = native.toSpan

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
      recorded.push(recordOf(s, s.endTime, s.trace.samplingPriority))
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
