/** The OpenTelemetry test harness: a global SDK provider with an in-memory exporter. */
import * as OpenTelemetry from "@durable-trace/adapters/OpenTelemetry"
import { context, propagation, SpanStatusCode, trace } from "@opentelemetry/api"
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks"
import { W3CTraceContextPropagator } from "@opentelemetry/core"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { Harness } from "./e2e.suite.ts"

const exporter = new InMemorySpanExporter()
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))
propagation.setGlobalPropagator(new W3CTraceContextPropagator())

export const otelHarness: Harness = {
  name: "OpenTelemetry (in-memory exporter)",
  backend: () => OpenTelemetry.make(),
  reset: () => exporter.reset(),
  spans: () =>
    exporter.getFinishedSpans().map((span) => ({
      name: span.name,
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      parentId: span.parentSpanContext?.spanId,
      resource: span.attributes["resource.name"] as string | undefined,
      tags: span.attributes,
      error: span.status.code === SpanStatusCode.ERROR,
      start: span.startTime[0] * 1e3 + span.startTime[1] / 1e6,
      end: span.endTime[0] * 1e3 + span.endTime[1] / 1e6
    }))
}
