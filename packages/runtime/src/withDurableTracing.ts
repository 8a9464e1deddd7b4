/**
 * `withDurableTracing(handler, options)`: the whole integration for a plain TypeScript durable function. It
 * reads the context the invocation continues (SPEC §3), opens `aws.lambda` under it, runs the handler through
 * the SDK's `withDurableExecution` with the durable-trace plugin and a token-tracking client, and returns the
 * SDK's output unchanged. Tracing never changes the outcome: if anything of ours fails, the handler runs
 * untraced and the failure becomes telemetry (SPEC §4.7). The backend layer is built once per container, at the
 * first invocation, and flushed and disposed on SIGTERM (`ContainerRuntime`).
 */
import type {
  DurableExecutionConfig,
  DurableExecutionHandler,
  DurableLambdaHandler
} from "@aws/durable-execution-sdk-js"
import type { BackendLayer } from "@durable-trace/adapters/Backend"
import type { InvocationReport } from "@durable-trace/adapters/DurablePlugin"
import type * as InvocationSpan from "@durable-trace/core/InvocationSpan"
import type * as Reader from "@durable-trace/core/Reader"
import type * as TraceMode from "@durable-trace/core/TraceMode"
import * as ContainerRuntime from "./ContainerRuntime.ts"
import * as TracedHandler from "./TracedHandler.ts"

/** Options of `withDurableTracing`. Unset options fall back to the environment (see `Config.ENV`). */
export interface WithDurableTracingOptions {
  /** The tracer backend: `DdTrace.layer(tracer)`, `OpenTelemetry.layerGlobal`, `InMemory.layer(memory)`, or any. */
  readonly backend: BackendLayer
  /** Write checkpoints on suspend. Default: `DD_DURABLE_CROSS_INVOCATION_TRACING_ENABLED`, else true. */
  readonly enabled?: boolean | undefined
  /** `dd.service` in log lines. Default: `DD_SERVICE`. */
  readonly service?: string | undefined
  /** `dd.env` in log lines. Default: `DD_ENV`. */
  readonly env?: string | undefined
  /** Upper bound of the suspend write, ms. Default: `DURABLE_TRACE_WRITE_TIMEOUT_MS`, else 2000. */
  readonly writeTimeoutMillis?: number | undefined
  /**
   * Upper bound of the reader's paging through the execution state (only when the event's first page has no
   * checkpoint), ms. Default: `DURABLE_TRACE_READ_TIMEOUT_MS`, else 1000. At most `CheckpointLog.MAX_PAGES` pages.
   */
  readonly readTimeoutMillis?: number | undefined
  /** Time kept free before the Lambda deadline, ms. Default: `DURABLE_TRACE_DEADLINE_MARGIN_MS`, else 500. */
  readonly deadlineMarginMillis?: number | undefined
  /**
   * Persist `_datadog_0` in the SDK's first checkpoint batch of an execution (no extra round trip), so an
   * invocation that dies before it suspends still leaves its trace for the retry. The cost: executions that
   * finish in their first invocation also carry `_datadog_0`. Default: `DURABLE_TRACE_EARLY_CHECKPOINT`, else true.
   */
  readonly earlyCheckpoint?: boolean | undefined
  /** Consulted before anything else (SPEC §3 step 1): return a carrier of propagation headers, or undefined. */
  readonly extractor?: Reader.Extractor | undefined
  /** The `aws.durable.execute` resource. Default: the handler function's name. */
  readonly handlerName?: string | undefined
  /** The SDK's own configuration: plugins (run after ours), client, plugin settings. */
  readonly sdk?: DurableExecutionConfig | undefined
  /**
   * Which span is the invocation span. `auto` (default): the outer wrapper's (datadog-lambda-js, OpenTelemetry's
   * `AwsLambdaInstrumentation`) when one is active as the handler starts, else durable-trace opens `aws.lambda`;
   * `standalone`: always its own; `outer`: the outer wrapper's. Default: `DURABLE_TRACE_INVOCATION_SPAN`, else `auto`.
   */
  readonly invocationSpan?: InvocationSpan.Setting | undefined
  /**
   * `continuous` (default): one trace per execution, every invocation under the anchor; `linked`: one trace per
   * invocation, with span links to the anchor and the previous invocation (SPEC §11). Default: `DURABLE_TRACE_MODE`.
   */
  readonly traceMode?: TraceMode.Mode | undefined
  /**
   * The share of executions kept (0 to 1), decided once per execution from its ARN and kept across all its
   * invocations (SPEC §11). Unset: the tracer's own sampler decides. Default: `DURABLE_TRACE_SAMPLE_RATIO`.
   */
  readonly sampleRatio?: number | undefined
  /** Called after each invocation with what it read and wrote. */
  readonly onInvocation?: ((report: InvocationSummary) => void) | undefined
}

/** What one invocation read and wrote. */
export interface InvocationSummary extends Partial<InvocationReport> {
  readonly executionArn: string
  readonly read: Reader.ReadResult | undefined
}

/**
 * Wraps a durable handler (what you would pass to `withDurableExecution`) into a traced Lambda handler.
 *
 * @example
 * ```ts
 * import tracer from "dd-trace"
 * import * as DdTrace from "@durable-trace/adapters/DdTrace"
 * import { withDurableTracing } from "@durable-trace/runtime/withDurableTracing"
 *
 * tracer.init()
 * export const handler = withDurableTracing(async (event, context) => {
 *   const stock = await context.step("reserve", () => reserve(event.orderId))
 *   await context.wait("cool-off", { seconds: 60 })
 *   return context.step("ship", () => ship(stock))
 * }, { backend: DdTrace.layer(tracer) })
 * ```
 */
export const withDurableTracing = <TEvent = unknown, TResult = unknown>(
  handler: DurableExecutionHandler<TEvent, TResult>,
  options: WithDurableTracingOptions
): DurableLambdaHandler => {
  const { backend, ...rest } = options
  const settings = TracedHandler.settings(rest)
  return TracedHandler.make(handler, rest, settings, ContainerRuntime.make(backend, settings.config.writeTimeoutMillis))
}
