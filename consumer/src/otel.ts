/** withDurableTracing with OpenTelemetry, as the README shows it. */
import "./otelSetup.js"
import * as OpenTelemetry from "@durable-trace/runtime/OpenTelemetry"
import { withDurableTracing } from "@durable-trace/runtime/withDurableTracing"
import { workflow } from "./workflow.js"

export const handler = withDurableTracing(workflow, { backend: OpenTelemetry.layer() })
