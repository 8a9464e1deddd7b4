/**
 * The plugin provider module for the SDK's environment loading (SPEC §7):
 * `DURABLE_EXECUTION_PLUGINS=@durable-trace/runtime/PluginProvider` adds durable-trace to every
 * `withDurableExecution` handler without a code change.
 *
 * What this mode can do: `aws.durable.execute` and operation spans, SDK log enrichment, and reading (the
 * execute span continues the latest valid checkpoint, or the caller's context in the input, from the operations
 * the SDK has loaded, all pages). What it cannot: write checkpoints. A plugin gets no client and no checkpoint
 * token (SPEC §7), so the suspend write needs `withDurableTracing`. Without a writer each resumed invocation
 * starts its own trace (the first continues its caller's). dd-trace's built-in durable integration is turned off
 * here as everywhere, or every `aws.durable.*` span would appear twice. Nor does this mode open `aws.lambda`:
 * that is the Lambda wrapper's (datadog-lambda-js, or `withDurableTracing`).
 *
 * The backend is `DURABLE_TRACE_BACKEND`: `dd-trace` (default; the process's initialised dd-trace) or
 * `opentelemetry` (the global OpenTelemetry API).
 */
import {
  DURABLE_INSTRUMENTATION_PLUGIN_API_VERSION,
  type DurableInstrumentationPluginProvider
} from "@aws/durable-execution-sdk-js"
import type { BackendLayer } from "@durable-trace/adapters/Backend"
import { DurableTracePlugin } from "@durable-trace/adapters/DurablePlugin"
import * as Config from "./Config.ts"
import * as ContainerRuntime from "./ContainerRuntime.ts"

/** The environment variable that picks the backend, and its values. */
export const BACKEND_ENV = "DURABLE_TRACE_BACKEND"

/** The backend layer `DURABLE_TRACE_BACKEND` names. Unknown names fail loudly at load, as the SDK expects. */
export const backendFromEnv = async (name = process.env[BACKEND_ENV] ?? "dd-trace"): Promise<BackendLayer> => {
  switch (name.trim().toLowerCase()) {
    case "dd-trace":
    case "datadog": {
      const DdTrace = await import("@durable-trace/adapters/DdTrace")
      return DdTrace.layerGlobal()
    }
    case "opentelemetry":
    case "otel": {
      const OpenTelemetry = await import("@durable-trace/adapters/OpenTelemetry")
      return OpenTelemetry.layer()
    }
    default:
      throw new Error(`${BACKEND_ENV}=${name}: expected "dd-trace" or "opentelemetry"`)
  }
}

const config = Config.fromEnv()
// One container runtime, as for the wrappers: on SIGTERM a bounded flush and disposal; then the signal takes its
// course (ContainerRuntime, Shutdown.ts).
const container = ContainerRuntime.make(await backendFromEnv(), config.writeTimeoutMillis)
const backend = await container.backend()
const runtime = container.runtime

/** What the SDK loads from `DURABLE_EXECUTION_PLUGINS`. */
export const durableExecutionPluginProvider: DurableInstrumentationPluginProvider<DurableTracePlugin> = {
  pluginApiVersion: DURABLE_INSTRUMENTATION_PLUGIN_API_VERSION,
  pluginType: DurableTracePlugin,
  createPlugin: () =>
    new DurableTracePlugin(
      {
        runtime,
        writeEnabled: false,
        writeTimeoutMillis: config.writeTimeoutMillis,
        deadlineMarginMillis: config.deadlineMarginMillis,
        handlerName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? "handler",
        service: config.service,
        env: config.env
      },
      backend
    )
}
