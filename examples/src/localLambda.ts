/**
 * Makes a local run (`node examples/src/<example>.ts`) behave as the handler would in Lambda: import it first,
 * before dd-trace. In Lambda, `AWS_LAMBDA_FUNCTION_NAME` is set, so dd-trace sends spans through the Datadog
 * extension and keeps no client polling an agent on 127.0.0.1:8126; on a laptop without an agent that client's
 * refused connection would end the process. Locally, finished spans are printed as JSON lines instead
 * (dd-trace's log exporter). In Lambda this module does nothing; a deployed handler does not need it.
 */
if (process.env.AWS_LAMBDA_FUNCTION_NAME === undefined) {
  process.env.AWS_LAMBDA_FUNCTION_NAME = "durable-trace-example"
  process.env.DD_TRACE_EXPERIMENTAL_EXPORTER ??= "log"
  process.env.DD_REMOTE_CONFIGURATION_ENABLED ??= "false"
  process.env.DD_INSTRUMENTATION_TELEMETRY_ENABLED ??= "false"
  process.env.DD_TRACE_STARTUP_LOGS ??= "false"
}
