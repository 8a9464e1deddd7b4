/**
 * datadog-lambda-js's `datadog()` around withDurableTracing, with durable-trace's extractor, as the README shows
 * it: one `aws.lambda` per invocation (Datadog's), parented where durable-trace's reader decides.
 */

import { withDurableTracing } from "@durable-trace/runtime"
import { traceExtractor } from "@durable-trace/runtime/DatadogExtractor"
import * as DdTrace from "@durable-trace/runtime/DdTrace"
import { datadog } from "datadog-lambda-js" // before dd-trace is initialised: see the README's gotchas
import tracer from "dd-trace"
import { workflow } from "./workflow.js"

tracer.init()

export const handler = datadog(withDurableTracing(workflow, { backend: DdTrace.layer(tracer) }), { traceExtractor })
