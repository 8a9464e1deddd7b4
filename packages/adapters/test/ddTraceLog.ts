/**
 * dd-trace for a test file, offline: import it before anything else loads dd-trace (it reads its configuration when
 * required). Finished spans print as JSON lines on stdout, and no agent client or remote configuration runs.
 */
import { createRequire } from "node:module"
import type { Tracer as DdTracer } from "dd-trace"

process.env.DD_TRACE_EXPERIMENTAL_EXPORTER = "log"
process.env.AWS_LAMBDA_FUNCTION_NAME ??= "durable-trace-test"
process.env.DD_REMOTE_CONFIGURATION_ENABLED = "false"
process.env.DD_INSTRUMENTATION_TELEMETRY_ENABLED = "false"
process.env.DD_TRACE_STARTUP_LOGS = "false"

/** `require`, for dd-trace's modules (CommonJS). */
export const require = createRequire(import.meta.url)

/** The process's dd-trace, initialised. */
export const tracer = require("dd-trace") as DdTracer
tracer.init()
