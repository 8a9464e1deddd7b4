/**
 * `withDurableTracing(handler, options)`: the whole integration for a plain TypeScript durable function. It
 * reads the context the invocation continues (SPEC §3), opens `aws.lambda` under it, runs the handler through
 * the SDK's `withDurableExecution` with the durable-trace plugin and a token-tracking client, and returns the
 * SDK's output unchanged. Tracing never changes the outcome: if anything of ours fails, the handler runs
 * untraced and the failure becomes telemetry (SPEC §4.7).
 */
import {
  DurableExecutionApiClient,
  type DurableExecutionClient,
  type DurableExecutionConfig,
  type DurableExecutionHandler,
  type DurableExecutionInvocationInput,
  type DurableExecutionInvocationOutput,
  type DurableLambdaHandler,
  withDurableExecution
} from "@aws/durable-execution-sdk-js"
import { Backend, type BackendLayer, type Span } from "@durable-trace/adapters/Backend"
import * as DurableClient from "@durable-trace/adapters/DurableClient"
import { realClock, realNow } from "@durable-trace/adapters/DurableClient"
import {
  DurableTracePlugin,
  earlyCheckpoints,
  type InvocationReport,
  type InvocationState,
  type PluginServices,
  runInvocation
} from "@durable-trace/adapters/DurablePlugin"
import * as Budget from "@durable-trace/core/Budget"
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import * as DurableEvent from "@durable-trace/core/DurableEvent"
import { DurableTraceError } from "@durable-trace/core/Errors"
import type * as InvocationSpan from "@durable-trace/core/InvocationSpan"
import * as Reader from "@durable-trace/core/Reader"
import * as SpanRules from "@durable-trace/core/SpanRules"
import { degrade, report } from "@durable-trace/core/Telemetry"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Config from "./Config.ts"
import { withoutCarrier } from "./Invoke.ts"
import * as OuterInvocation from "./OuterInvocation.ts"
import { onShutdown } from "./Shutdown.ts"

/** Options of `withDurableTracing`. Unset options fall back to the environment (see `Config.ENV`). */
export interface WithDurableTracingOptions {
  /** The tracer backend: `DdTrace.make(tracer)`, `OpenTelemetry.layer`, `InMemory.make().layer`, or any. */
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
  /** Called after each invocation with what it read and wrote. */
  readonly onInvocation?: ((report: InvocationSummary) => void) | undefined
}

/** What one invocation read and wrote. */
export interface InvocationSummary extends Partial<InvocationReport> {
  readonly executionArn: string
  readonly read: Reader.ReadResult | undefined
}

let coldStart = true

/**
 * The flush at the end of an invocation, bounded like the write (SPEC §4.8): an exporter that stalls (a
 * `SimpleSpanProcessor` whose export never calls back, a `BatchSpanProcessor` waiting out its export timeout)
 * costs the invocation at most `millis`, on the real clock; a flush cut short, or not awaited because no time
 * is left, is counted at `flush`. The flush is always started: if the process lives on, it still completes.
 */
export const boundedFlush = (backend: Backend["Service"], millis: number): Effect.Effect<void, never, PluginServices> =>
  Effect.suspend(() => {
    const flushing = Promise.resolve()
      .then(() => backend.flush())
      .then(
        () => undefined,
        (cause: unknown) => new DurableTraceError({ location: "flush", reason: "flush failed", cause })
      )
    return Effect.promise(() => flushing).pipe(
      Effect.flatMap((failed) => (failed === undefined ? Effect.void : Effect.fail(failed))),
      Budget.within(millis, "flush")
    )
  }).pipe(Effect.provideService(Clock.Clock, realClock), degrade(undefined, "flush"))

const hasOwnClient = (event: unknown): event is { durableExecutionClient: DurableExecutionClient } => {
  try {
    return (
      typeof event === "object" &&
      event !== null &&
      "durableExecutionClient" in event &&
      typeof (event as { durableExecutionClient?: { checkpoint?: unknown } }).durableExecutionClient?.checkpoint ===
        "function"
    )
  } catch {
    // A Proxy or getter that throws: no client of its own we could use.
    return false
  }
}

interface LambdaContextLike {
  readonly awsRequestId?: string
  readonly invokedFunctionArn?: string
  readonly functionName?: string
  readonly getRemainingTimeInMillis?: () => number
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
 * }, { backend: DdTrace.make(tracer) })
 * ```
 */
export const withDurableTracing = <TEvent = unknown, TResult = unknown>(
  handler: DurableExecutionHandler<TEvent, TResult>,
  options: WithDurableTracingOptions
): DurableLambdaHandler => {
  const overrides: Config.Overrides = {
    enabled: options.enabled,
    service: options.service,
    env: options.env,
    writeTimeoutMillis: options.writeTimeoutMillis,
    readTimeoutMillis: options.readTimeoutMillis,
    deadlineMarginMillis: options.deadlineMarginMillis,
    earlyCheckpoint: options.earlyCheckpoint,
    invocationSpan: options.invocationSpan
  }
  // Validated once, here: an invalid option keeps the environment's value (or the default) and is reported
  // once the backend is up, so the mistake is visible without failing the function.
  const config = Config.merge(Config.fromEnv(), overrides)
  const invalid = Config.invalidOptions(overrides)
  const runtime = ManagedRuntime.make(options.backend)
  // Misconfigurations are reported once per wrapped handler, at its first invocation (its cold start).
  const coldStartWarnings = OuterInvocation.once()
  const { client: legacyClient, durableExecutionClient, plugins = [], ...sdkConfig } = options.sdk ?? {}
  // One source for every handler: the plugin running an execution applies its own `earlyCheckpoint`, so a client
  // shared by handlers with different settings honours each (SPEC §4.1).
  const earlyCheckpoint = earlyCheckpoints
  // The event's own client wins over this one when it carries one (the local runner): see `begin`.
  let configClient: DurableClient.TrackedClient | undefined
  const configTracked = (): DurableClient.TrackedClient => {
    configClient ??= DurableClient.track(
      durableExecutionClient ?? new DurableExecutionApiClient(legacyClient),
      earlyCheckpoint
    )
    return configClient
  }
  const sdkClient: DurableExecutionClient = {
    getExecutionState: (params, logger) => configTracked().client.getExecutionState(params, logger),
    checkpoint: (params, logger) => configTracked().client.checkpoint(params, logger)
  }

  // Built on the first invocation: a backend layer may be asynchronous (dd-trace is imported on demand). If it
  // fails, every invocation runs untraced, exactly as without this wrapper.
  let setup: Promise<{ readonly backend: Backend["Service"]; readonly durable: DurableLambdaHandler }> | undefined
  let untraced: DurableLambdaHandler | undefined
  const ready = () =>
    (setup ??= runtime.runPromise(Effect.service(Backend)).then(async (vendor) => {
      // Spans durable-trace starts are told apart from an outer wrapper's invocation span (SPEC §10).
      const backend = OuterInvocation.remembering(vendor)
      for (const key of invalid) {
        await runtime
          .runPromise(report(new DurableTraceError({ location: "unknown", reason: `invalid option ${key}` })))
          .catch(() => undefined)
      }
      const plugin = new DurableTracePlugin(
        {
          runtime,
          writeEnabled: config.enabled,
          earlyCheckpoint: config.earlyCheckpoint,
          writeTimeoutMillis: config.writeTimeoutMillis,
          deadlineMarginMillis: config.deadlineMarginMillis,
          handlerName: options.handlerName ?? (handler.name || "handler"),
          service: config.service,
          env: config.env,
          extractor: options.extractor
        },
        backend
      )
      // The callee of a traced invoke gets its own input back, without the caller's carrier.
      const durable = withDurableExecution<TEvent, TResult>(
        (input, context) => handler(withoutCarrier(input), context),
        {
          ...sdkConfig,
          plugins: [plugin, ...plugins],
          durableExecutionClient: sdkClient
        }
      )
      // On SIGTERM, a bounded flush, then the signal takes its course (Shutdown.ts).
      onShutdown(() =>
        runtime.runPromise(boundedFlush(backend, config.writeTimeoutMillis)).then(() => runtime.dispose())
      )
      return { backend, durable }
    }))
  const fallback = (): DurableLambdaHandler =>
    (untraced ??= withDurableExecution<TEvent, TResult>((input, context) => handler(withoutCarrier(input), context), {
      ...sdkConfig,
      plugins,
      durableExecutionClient: sdkClient
    }))

  const begin = async (
    backend: Backend["Service"],
    event: DurableExecutionInvocationInput,
    context: LambdaContextLike,
    executionArn: string,
    outer: OuterInvocation.Outer,
    started: (chain: DurableClient.TokenChain) => void
  ): Promise<{
    readonly span: Span
    readonly read: Reader.ReadResult
    readonly chain: DurableClient.TokenChain
    readonly state: InvocationState
  }> => {
    const tracked = hasOwnClient(event)
      ? DurableClient.track(event.durableExecutionClient, earlyCheckpoint)
      : configTracked()
    // This invocation's own token chain: another invocation of the execution may be in flight (SPEC §4.1).
    const chain = tracked.seed(
      executionArn,
      Option.getOrElse(DurableEvent.checkpointToken(event), () => "")
    )
    started(chain)
    if (chain.overlapping) {
      await runtime
        .runPromise(
          report(
            new DurableTraceError({
              location: "write_checkpoint",
              reason: "overlapping invocation",
              identifiers: { executionArn }
            })
          )
        )
        .catch(() => undefined)
    }
    const store = DurableClient.checkpointStore(tracked, executionArn, chain)
    const deadline = deadlineOf(context)
    // Paging is bounded like the write: by time, under the deadline, and by pages (SPEC §3.3b).
    const readBudget = Budget.millisLeft({
      boundMillis: config.readTimeoutMillis,
      deadline,
      nowMillis: realNow(),
      marginMillis: config.deadlineMarginMillis
    })
    const read =
      outer.span !== undefined && outer.recorded?.complete
        ? outer.recorded.read
        : await runtime.runPromise(
            Effect.gen(function* () {
              const log = yield* CheckpointLog.make(event, executionArn, {
                timeout: `${Math.max(0, readBudget)} millis`
              })
              return yield* Reader.read(event, context, { log, extractor: options.extractor })
            }).pipe(
              Effect.provideService(CheckpointStore, store),
              // The bound is real time, whatever clock the process has faked.
              Effect.provideService(Clock.Clock, realClock)
            )
          )
    const identity = DurableEvent.parseExecutionArn(executionArn)
    const span =
      outer.span ??
      backend.startSpan(SpanRules.LAMBDA_SPAN, {
        parent: Option.isSome(read.context) ? read.context.value.native : undefined,
        resource: stringOrUndefined(context.functionName),
        type: SpanRules.SPAN_TYPE,
        kind: "server",
        tags: {
          "aws.durable.execution_name": Option.isSome(identity) ? identity.value.name : undefined,
          "aws.durable.execution_id": Option.isSome(identity) ? identity.value.id : undefined,
          "aws.durable.first_invocation": DurableEvent.isFirstInvocation(event),
          cold_start: coldStart,
          // The Lambda context is untrusted too: a non-string field is no tag, and never a failed set-up.
          request_id: stringOrUndefined(context.awsRequestId),
          ...SpanRules.lambdaTags({
            invokedFunctionArn: stringOrUndefined(context.invokedFunctionArn),
            functionName: stringOrUndefined(context.functionName),
            continued: Option.isSome(read.context)
          }),
          "durable_trace.context_source": read.source
        }
      })
    if (outer.span !== undefined) await OuterInvocation.adopt(runtime, backend, outer, event, read)
    return {
      span,
      read,
      chain,
      state: {
        executionArn,
        store,
        deadline,
        parent: span,
        operationSpans: new Map(),
        // A resumed invocation continues the anchor (the first execute span, SPEC §5.2) from the checkpoint.
        anchor: read.source === "checkpoint" && Option.isSome(read.context) ? read.context.value.native : undefined
      }
    }
  }

  /** The flush at the end of an invocation: bounded, and never past the deadline minus the margin. */
  const flush = (backend: Backend["Service"], deadline: number | undefined): Promise<void> =>
    runtime
      .runPromise(
        boundedFlush(
          backend,
          Budget.millisLeft({
            boundMillis: config.writeTimeoutMillis,
            deadline,
            nowMillis: realNow(),
            marginMillis: config.deadlineMarginMillis
          })
        )
      )
      .catch(() => undefined)

  const invoke = async (
    event: DurableExecutionInvocationInput,
    lambdaContext: unknown
  ): Promise<DurableExecutionInvocationOutput> => {
    const context = (lambdaContext ?? {}) as LambdaContextLike
    const arn = DurableEvent.executionArn(event)
    const traced = await ready().catch(() => undefined)
    // Not a durable event (the SDK rejects it): nothing for us to trace.
    if (Option.isNone(arn)) return fallback()(event, lambdaContext as never)
    const executionArn = arn.value
    // No backend: the handler runs untraced.
    if (traced === undefined) return fallback()(event, lambdaContext as never)
    const { backend, durable } = traced
    let started: Awaited<ReturnType<typeof begin>> | undefined
    let chainStarted: DurableClient.TokenChain | undefined
    let outer: Span | undefined
    try {
      const found = OuterInvocation.invocationSpan(runtime, backend, executionArn, {
        setting: config.invocationSpan,
        writeEnabled: config.enabled,
        warnings: coldStartWarnings
      })
      outer = found.span
      started = await begin(backend, event, context, executionArn, found, (chain) => {
        chainStarted = chain
      })
    } catch (cause) {
      // Nothing else would end the chain of an invocation whose set-up failed.
      chainStarted?.forget()
      await runtime
        .runPromise(report(new DurableTraceError({ location: "unknown", reason: "tracing setup failed", cause })))
        .catch(() => undefined)
    } finally {
      coldStart = false
    }
    if (started === undefined) return durable(event, lambdaContext as never)
    const { span, read, chain, state } = started
    try {
      // Every hook of this invocation, and every span and log line of its handler, finds it through the async
      // context: many invocations may be in flight in this process (SPEC §8).
      const output = await runInvocation(state, () =>
        backend.activate(span, () => durable(event, lambdaContext as never))
      )
      safely(() => backend.setTags(span, { "aws.durable.execution_status": output.Status }))
      return output
    } catch (error) {
      // The outer wrapper records its own span's error from the rejection.
      if (outer === undefined) safely(() => backend.setError(span, error))
      throw error
    } finally {
      // Under an outer wrapper, its span and its flush are its own (SPEC §10).
      if (outer === undefined) safely(() => backend.finish(span))
      chain.forget()
      safely(() => options.onInvocation?.({ executionArn, read, ...state.report }))
      if (outer === undefined) await flush(backend, state.deadline)
    }
  }
  return invoke as DurableLambdaHandler
}

/** Epoch ms by which the invocation must return, from the Lambda context (real time, whatever fakes `Date`). */
const deadlineOf = (context: LambdaContextLike): number | undefined => {
  try {
    const remaining = context.getRemainingTimeInMillis?.()
    return typeof remaining === "number" && Number.isFinite(remaining) ? realNow() + remaining : undefined
  } catch {
    return undefined
  }
}

const stringOrUndefined = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined)

const safely = (fn: () => void): void => {
  try {
    fn()
  } catch {
    // A backend that throws while tagging or finishing must not change the invocation's outcome.
  }
}
