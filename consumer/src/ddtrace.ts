/** withDurableTracing with dd-trace, as the README shows it. */
import { withDurableTracing } from "@durable-trace/runtime"
import * as DdTrace from "@durable-trace/runtime/DdTrace"
import tracer from "dd-trace"
import { workflow } from "./workflow.js"

tracer.init()

export const handler = withDurableTracing(workflow, { backend: DdTrace.layer(tracer) })
