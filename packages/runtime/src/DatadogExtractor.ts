/**
 * durable-trace's reader as datadog-lambda-js's custom trace extractor, so that the Datadog layer's (or
 * `datadog()`'s) `aws.lambda` span is parented where durable-trace decides (SPEC §3: every page, a corrupt latest
 * checkpoint skipped, the caller's context in the input), not by datadog-lambda-js's own durable extractor (page 1,
 * latest only). datadog-lambda-js tries a custom extractor before any of its own: `DD_TRACE_EXTRACTOR=<file>.traceExtractor`
 * with the layer's handler redirect, or `datadog(handler, { traceExtractor })`. Gotcha: datadog-lambda-js rebuilds
 * the returned context from decimal ids, so only the low 64 bits of the trace id, the parent id and the sampling
 * priority cross over; `withDurableTracing` restores the rest on `aws.lambda`'s trace (`Backend.adoptPropagated`).
 */

import type { DurableExecutionClient } from "@aws/durable-execution-sdk-js"
import type { BackendLayer } from "@durable-trace/adapters/Backend"
import * as DdTrace from "@durable-trace/adapters/DdTrace"
import * as DurableEvent from "@durable-trace/core/DurableEvent"
import * as Hex from "@durable-trace/core/Hex"
import type * as Reader from "@durable-trace/core/Reader"
import * as Option from "effect/Option"
import * as ContainerRuntime from "./ContainerRuntime.ts"
import * as OuterInvocation from "./OuterInvocation.ts"
import { SHUTDOWN_FLUSH_MILLIS } from "./Shutdown.ts"

/** What datadog-lambda-js expects of a custom extractor (its `TraceContext`): decimal ids. */
export interface DatadogTraceContext {
  readonly traceId: string
  readonly parentId: string
  /** Datadog's sampling priority: -1 user reject, 0 auto reject, 1 auto keep, 2 user keep. */
  readonly sampleMode: number
  /** `event`: datadog-lambda-js parents `aws.lambda` on the context only for this source. */
  readonly source: "event"
}

/**
 * No context: datadog-lambda-js's own extractors try next. (Not `null`, which datadog-lambda-js dereferences and
 * logs as an error on every first invocation.)
 */
export interface NoTraceContext {
  readonly source: "event"
}

/** The value for "nothing to continue". */
export const NO_CONTEXT: NoTraceContext = { source: "event" }

/**
 * A custom extractor as datadog-lambda-js calls it. Its result type is a parameter, defaulting to what it returns,
 * so that the function is assignable to datadog-lambda-js's own `TraceExtractor` (`datadog(handler,
 * { traceExtractor })` type-checks): that type's `source` is a TypeScript enum, to which no string literal is
 * assignable, though its value is the string `"event"` this returns (checked by the consumer test's `tsc`).
 */
export type TraceExtractor = <Result = DatadogTraceContext | NoTraceContext>(
  event: unknown,
  context: unknown
) => Promise<Result>

/** Options of `make`. */
export interface Options {
  /**
   * The backend whose propagator extracts (its configured styles apply), on the container runtime of whichever
   * wrapped handler was given the same layer object (built once for both). Default: the backend of the process's
   * wrapped handler (`withDurableTracing`, `DurableEffect`, the plugin), else `DdTrace.layerGlobal()`.
   */
  readonly backend?: BackendLayer | undefined
  /** The client further state pages come through when the event carries none. Default: the SDK's. */
  readonly durableExecutionClient?: DurableExecutionClient | undefined
  /** Consulted first, as `withDurableTracing`'s own `extractor` (SPEC §3 step 1). */
  readonly extractor?: Reader.Extractor | undefined
}

const AUTO_KEEP = 1
const PRIORITY = /^-?[0-9]$/
const TRACEPARENT_FLAGS = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-([0-9a-f]{2})$/

/** The sampling priority the headers carry: Datadog's own, else W3C's sampled flag, else auto keep. */
const priorityOf = (headers: Option.Option<Readonly<Record<string, string>>>): number => {
  if (Option.isNone(headers)) return AUTO_KEEP
  const datadog = headers.value["x-datadog-sampling-priority"]
  if (datadog !== undefined && PRIORITY.test(datadog)) return Number(datadog)
  const flags = TRACEPARENT_FLAGS.exec(headers.value.traceparent ?? "")?.[1]
  return flags === undefined ? AUTO_KEEP : Number.parseInt(flags, 16) & 1
}

/** The context datadog-lambda-js should parent `aws.lambda` on, from a read. */
export const toDatadog = (read: Reader.ReadResult): DatadogTraceContext | NoTraceContext =>
  Option.match(read.context, {
    onNone: () => NO_CONTEXT,
    onSome: (context) => ({
      traceId: Hex.lowDecimal(context.traceId),
      parentId: Hex.lowDecimal(context.spanId),
      sampleMode: priorityOf(read.headers),
      source: "event"
    })
  })

/**
 * A custom extractor running durable-trace's reader on durable events (others get `NO_CONTEXT`, so
 * datadog-lambda-js's own extractors handle them). Its read is handed to `withDurableTracing` in the same invocation, which then
 * runs under datadog-lambda-js's `aws.lambda` instead of opening its own.
 */
export const make = (options: Options = {}): TraceExtractor => {
  let fallback: ContainerRuntime.ContainerRuntime | undefined
  const ownDefault = () => (fallback ??= ContainerRuntime.shared(DdTrace.layerGlobal(), SHUTDOWN_FLUSH_MILLIS))
  // Asked at every invocation: the handler is wrapped at import, before the first one, and never unwrapped.
  const container = (): ContainerRuntime.ContainerRuntime =>
    options.backend !== undefined
      ? ContainerRuntime.shared(options.backend, SHUTDOWN_FLUSH_MILLIS)
      : (ContainerRuntime.current() ?? ownDefault())
  const extract = async (event: unknown, context: unknown): Promise<DatadogTraceContext | NoTraceContext> => {
    const arn = DurableEvent.executionArn(event)
    if (Option.isNone(arn)) return NO_CONTEXT
    try {
      const store = OuterInvocation.pagingStore(
        event,
        arn.value,
        () => options.durableExecutionClient ?? OuterInvocation.sdkClient()
      )
      const { runtime, backend } = container()
      // Built through the container, so its SIGTERM flush and disposal are registered whoever builds it first.
      await backend()
      const read = await runtime.runPromise(OuterInvocation.read(event, context, arn.value, store, options.extractor))
      OuterInvocation.record(event, { read, complete: true })
      return toDatadog(read)
    } catch {
      // The reader never fails; a backend that cannot be built leaves the choice to datadog-lambda-js.
      return NO_CONTEXT
    }
  }
  return extract as TraceExtractor
}

let shared: TraceExtractor | undefined

/**
 * The extractor over the process's dd-trace (the one the Datadog layer initialised) and the SDK's client: what
 * `DD_TRACE_EXTRACTOR` points at.
 */
export const traceExtractor: TraceExtractor = <Result>(event: unknown, context: unknown): Promise<Result> => {
  shared ??= make()
  return shared<Result>(event, context)
}
