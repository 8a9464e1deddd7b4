/** The OpenTelemetry test harness: a global SDK provider with an in-memory exporter. */
import * as OpenTelemetry from "@durable-trace/adapters/OpenTelemetry"
import { context, propagation, SpanStatusCode, trace } from "@opentelemetry/api"
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks"
import { W3CTraceContextPropagator } from "@opentelemetry/core"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import type { Harness } from "./e2e.suite.ts"

const exporter = new InMemorySpanExporter()
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
// durable-trace's execution sampler: parent-based, and whole-execution decisions for the roots it starts.
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ sampler: OpenTelemetry.sampler(), spanProcessors: [new SimpleSpanProcessor(exporter)] })
)
propagation.setGlobalPropagator(new W3CTraceContextPropagator())

export const otelHarness: Harness = {
  name: "OpenTelemetry (in-memory exporter)",
  backend: () => OpenTelemetry.layer(),
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
      links: span.links.map((link) => ({
        traceId: link.context.traceId,
        spanId: link.context.spanId,
        role: link.attributes?.["durable.link.role"] as string | undefined
      })),
      // The simple processor exports sampled spans only.
      sampled: (span.spanContext().traceFlags & 1) === 1,
      start: span.startTime[0] * 1e3 + span.startTime[1] / 1e6,
      end: span.endTime[0] * 1e3 + span.endTime[1] / 1e6
    }))
}
