/**
 * No code change: a plain durable handler. `DURABLE_EXECUTION_PLUGINS=@durable-trace/runtime/PluginProvider` in the
 * environment makes the SDK load durable-trace into it (reads, spans, log enrichment; no writes).
 */
import { withDurableExecution } from "@aws/durable-execution-sdk-js"
import tracer from "dd-trace"
import { workflow } from "./workflow.js"

tracer.init()

export const handler = withDurableExecution(workflow)
