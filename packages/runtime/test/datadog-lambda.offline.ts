/**
 * Import before datadog-lambda-js loads (after `./ddtrace.offline.ts`): spans and the trace only, as the
 * benchmark runs Datadog's stack. No enhanced metrics, cold-start spans, console patching or X-Ray merging.
 */
process.env.DD_ENHANCED_METRICS = "false"
process.env.DD_COLD_START_TRACING = "false"
process.env.DD_LOGS_INJECTION = "false"
process.env.DD_MERGE_XRAY_TRACES = "false"
