/**
 * The Datadog flavour's handler. `DatadogLambda` points the function's handler at datadog-lambda-js
 * (`/opt/nodejs/node_modules/datadog-lambda-js/handler.handler`, from the Datadog Node layer), which initialises
 * dd-trace, loads this module through `DD_LAMBDA_HANDLER`, and wraps `handler` in `datadog()`. dd-trace is
 * therefore not bundled: it comes from the layer, already initialised.
 */
import { withDurableTracing } from "@durable-trace/runtime"
import * as DdTrace from "@durable-trace/runtime/DdTrace"
import tracer from "dd-trace"
import { fulfilOrder } from "./workflow.ts"

// A no-op when the layer's handler has initialised dd-trace already; needed when running without the redirect.
tracer.init()

export const handler = withDurableTracing(fulfilOrder, { backend: DdTrace.layer(tracer) })
