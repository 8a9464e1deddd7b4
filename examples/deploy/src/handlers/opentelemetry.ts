/**
 * The OpenTelemetry flavour's handler. Spans go over OTLP/HTTP to the collector extension (a Lambda layer)
 * listening on localhost:4318 (`OTEL_EXPORTER_OTLP_ENDPOINT` overrides); the collector's `collector.yaml`
 * forwards them to your backend. durable-trace force-flushes the provider at the end of every invocation, so no
 * span waits in the batch queue while the environment is frozen between invocations.
 */
import { withDurableTracing } from "@durable-trace/runtime"
import * as OpenTelemetry from "@durable-trace/runtime/OpenTelemetry"
import { context, propagation, trace } from "@opentelemetry/api"
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks"
import { W3CTraceContextPropagator } from "@opentelemetry/core"
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http"
import { resourceFromAttributes } from "@opentelemetry/resources"
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { fulfilOrder } from "./workflow.ts"

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
trace.setGlobalTracerProvider(
  new BasicTracerProvider({
    resource: resourceFromAttributes({
      "service.name": process.env.OTEL_SERVICE_NAME ?? "orders",
      "deployment.environment.name": process.env.DEPLOYMENT_ENVIRONMENT ?? "dev",
      "faas.name": process.env.AWS_LAMBDA_FUNCTION_NAME ?? "orders"
    }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())]
  })
)

export const handler = withDurableTracing(fulfilOrder, { backend: OpenTelemetry.layer() })
