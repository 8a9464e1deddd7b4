/**
 * Import first, before anything loads dd-trace (it reads its configuration when imported): finished spans print
 * as JSON lines on stdout (a real, offline exporter), and no agent client runs. With `AWS_LAMBDA_FUNCTION_NAME`
 * set, as in Lambda, dd-trace keeps no client polling 127.0.0.1:8126, whose refused connection, under the local
 * runner's fake timers, would surface as an unhandled error that kills the process.
 */
process.env.DD_TRACE_EXPERIMENTAL_EXPORTER = "log"
process.env.AWS_LAMBDA_FUNCTION_NAME ??= "durable-trace-test"
process.env.DD_REMOTE_CONFIGURATION_ENABLED = "false"
process.env.DD_INSTRUMENTATION_TELEMETRY_ENABLED = "false"
process.env.DD_TRACE_STARTUP_LOGS = "false"
