/**
 * A traced durable Lambda handler over a container runtime: the SDK's `withDurableExecution` with durable-trace's
 * plugin first and a token-tracking client, every durable event's invocation run by `TracedInvocation`. The
 * runtime is the caller's: `withDurableTracing` builds one from its backend layer, `DurableEffect` hands over its
 * own, so a backend is built once per container. If the backend cannot be built, every invocation runs untraced,
 * exactly as without durable-trace.
 */
import {
  type DurableExecutionHandler,
  type DurableExecutionInvocationInput,
  type DurableInstrumentationPlugin,
  type DurableLambdaHandler,
  withDurableExecution
} from "@aws/durable-execution-sdk-js"
import { DurableTracePlugin } from "@durable-trace/adapters/DurablePlugin"
import * as PluginWrite from "@durable-trace/adapters/PluginWrite"
import * as DurableEvent from "@durable-trace/core/DurableEvent"
import { DurableTraceError } from "@durable-trace/core/Errors"
import { report } from "@durable-trace/core/Telemetry"
import * as Option from "effect/Option"
import * as Config from "./Config.ts"
import type { ContainerRuntime } from "./ContainerRuntime.ts"
import * as InvocationClients from "./InvocationClients.ts"
import { withoutCarrier } from "./Invoke.ts"
import * as OuterInvocation from "./OuterInvocation.ts"
import * as TracedInvocation from "./TracedInvocation.ts"
import type { WithDurableTracingOptions } from "./withDurableTracing.ts"

/** The options of a traced handler, but its backend (the container runtime holds it). */
export type Options = Omit<WithDurableTracingOptions, "backend">

/** The settings of `options` over the environment, and the options that were invalid (reported once traced). */
export interface Settings {
  readonly config: Config.DurableTraceConfig
  readonly invalid: ReadonlyArray<string>
}

/**
 * Validated once, when the handler is wrapped: an invalid option keeps the environment's value (or the default) and
 * is reported once the backend is up, so the mistake is visible without failing the function.
 */
export const settings = (options: Options): Settings => {
  const overrides: Config.Overrides = {
    enabled: options.enabled,
    service: options.service,
    env: options.env,
    writeTimeoutMillis: options.writeTimeoutMillis,
    readTimeoutMillis: options.readTimeoutMillis,
    deadlineMarginMillis: options.deadlineMarginMillis,
    earlyCheckpoint: options.earlyCheckpoint,
    invocationSpan: options.invocationSpan,
    traceMode: options.traceMode,
    sampleRatio: options.sampleRatio
  }
  return { config: Config.merge(Config.fromEnv(), overrides), invalid: Config.invalidOptions(overrides) }
}

/** `handler` traced on `container`. */
export const make = <TEvent, TResult>(
  handler: DurableExecutionHandler<TEvent, TResult>,
  options: Options,
  { config, invalid }: Settings,
  container: ContainerRuntime
): DurableLambdaHandler => {
  const { runtime } = container
  const { client: _client, durableExecutionClient: _durableClient, plugins = [], ...sdkConfig } = options.sdk ?? {}
  // The event's own client wins over the configured one when it carries one (the local runner).
  const clients = InvocationClients.make(options.sdk ?? {})
  // The callee of a traced invoke gets its own input back, without the caller's carrier.
  const durableWith = (all: ReadonlyArray<DurableInstrumentationPlugin>) =>
    withDurableExecution<TEvent, TResult>((input, context) => handler(withoutCarrier(input), context), {
      ...sdkConfig,
      plugins: [...all],
      durableExecutionClient: clients.sdk
    })
  // Misconfigurations are reported once per wrapped handler, at its first invocation (its cold start).
  const warnings = OuterInvocation.once()

  let setup: Promise<TracedInvocation.Handler> | undefined
  const ready = () =>
    (setup ??= container.backend().then(async (vendor) => {
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
          extractor: options.extractor,
          linked: config.traceMode === "linked"
        },
        backend
      )
      return {
        runtime,
        ports: PluginWrite.portsOf(runtime),
        backend,
        durable: durableWith([plugin, ...plugins]),
        config,
        clients,
        extractor: options.extractor,
        onInvocation: options.onInvocation,
        warnings
      }
    }))
  let untraced: DurableLambdaHandler | undefined
  const fallback = (): DurableLambdaHandler => (untraced ??= durableWith(plugins))

  const invoke = async (event: DurableExecutionInvocationInput, lambdaContext: unknown) => {
    const arn = DurableEvent.executionArn(event)
    const traced = await ready().catch(() => undefined)
    // Not a durable event (the SDK rejects it), or no backend: the handler runs untraced.
    if (Option.isNone(arn) || traced === undefined) return fallback()(event, lambdaContext as never)
    return TracedInvocation.run(traced, event, lambdaContext, arn.value)
  }
  return invoke as DurableLambdaHandler
}
