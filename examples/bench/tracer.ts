/**
 * The one dd-trace both sides of every comparison use, initialised offline as in a Lambda function without the
 * extension: the log exporter (finished spans as JSON lines on stdout), no remote configuration, no telemetry, no
 * startup banner. Import this module before anything that loads the durable SDK through `require`: dd-trace
 * instruments only what is required after `init()`.
 * Gotcha: outside Lambda, dd-trace starts a DogStatsD client at `init()` that posts to the agent every 10 s; under
 * the local runner's fake timers the refused connection becomes an unhandled error that ends the process. In
 * Lambda (`AWS_LAMBDA_FUNCTION_NAME` set) that client is created on first use only, and this module replaces it.
 */
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import type { Tracer } from "dd-trace"

process.env.AWS_LAMBDA_FUNCTION_NAME ??= "durable-trace-bench"
process.env.DD_TRACE_EXPERIMENTAL_EXPORTER = "log"
process.env.DD_REMOTE_CONFIGURATION_ENABLED = "false"
process.env.DD_INSTRUMENTATION_TELEMETRY_ENABLED = "false"
process.env.DD_TRACE_STARTUP_LOGS = "false"

/** `require` relative to the examples package, where dd-trace, datadog-lambda-js and the SDK are installed. */
export const require = createRequire(import.meta.url)

/** The process's dd-trace, initialised. */
export const tracer = require("dd-trace") as Tracer
tracer.init()

/** The DogStatsD increments made through `tracer.dogstatsd` (durable-trace's `integration_errors`), by metric. */
export const metricIncrements = new Map<string, number>()

// No agent here: dd-trace's DogStatsD client would post to 127.0.0.1:8126 (see the gotcha above). Count instead.
Object.defineProperty(tracer, "dogstatsd", {
  configurable: true,
  value: {
    increment: (name: string, value = 1) => {
      metricIncrements.set(name, (metricIncrements.get(name) ?? 0) + value)
    },
    flush: () => {}
  }
})

/** dd-trace's internal tracer: what its own plugins hand to `trace-checkpoint.js`. */
export const internalTracer = (tracer as unknown as { readonly _tracer: unknown })._tracer

/** The directory of the installed dd-trace package, for its plugin files. */
export const ddTraceRoot = dirname(require.resolve("dd-trace"))

/** Requires a file of dd-trace's built-in durable plugin. */
export const requireDurablePluginFile = <A>(file: string): A =>
  require(join(ddTraceRoot, "packages", "datadog-plugin-aws-durable-execution-sdk-js", "src", file)) as A

/** dd-trace's id of its built-in durable plugin. */
export const DURABLE_PLUGIN = "aws-durable-execution-sdk-js"

/** The version of an installed package, as `require` resolves it from here. */
export const versionOf = (name: string): string => {
  for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const manifest = require(join(dir, "package.json")) as { readonly name?: string; readonly version?: string }
      if (manifest.name === name && manifest.version !== undefined) return manifest.version
    } catch {
      // Not a package root yet: keep walking up.
    }
  }
  return "unknown"
}

/**
 * Drops the log exporter's `{"traces":...}` lines from stdout while `run` runs: the spans are still built and
 * serialised, as in Lambda, but the benchmark's output stays readable.
 */
export const withTraceExportMuted = async <A>(run: () => Promise<A>): Promise<A> => {
  const write = process.stdout.write
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: Array<unknown>) =>
    typeof chunk === "string" && chunk.startsWith('{"traces":')
      ? true
      : (write as (...args: Array<unknown>) => boolean).call(process.stdout, chunk, ...rest)) as typeof write
  try {
    return await run()
  } finally {
    process.stdout.write = write
  }
}
