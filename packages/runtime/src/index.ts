/**
 * `@durable-trace/runtime`: wrap a durable handler so that one trace spans all its invocations.
 *
 * ```ts
 * import { withDurableTracing } from "@durable-trace/runtime"
 * import * as DdTrace from "@durable-trace/runtime/DdTrace"
 * ```
 * The backends are `@durable-trace/runtime/DdTrace`, `/OpenTelemetry` and `/InMemory`; the Effect-native API is
 * `@durable-trace/runtime/DurableEffect`; the no-code plugin is `@durable-trace/runtime/PluginProvider`.
 */
export { withTraceContext } from "./Invoke.ts"
export { type InvocationSummary, type WithDurableTracingOptions, withDurableTracing } from "./withDurableTracing.ts"
