/**
 * OpenTelemetry: the same wrapper with the OpenTelemetry backend. durable-trace uses the global OpenTelemetry
 * API, so register your SDK (here a minimal one printing spans to the console) before the first invocation.
 * Run locally: `node examples/src/opentelemetry.ts`.
 */

import { withDurableTracing } from "@durable-trace/runtime"
import * as OpenTelemetry from "@durable-trace/runtime/OpenTelemetry"
import { context as otelContext, trace } from "@opentelemetry/api"
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { runLocally } from "./runLocally.ts"

const exporter = new InMemorySpanExporter() // use your OTLP exporter in production
otelContext.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))

export const handler = withDurableTracing(
  async (event: { readonly invoiceId: string }, context) => {
    const total = await context.step("compute-total", async () => 42)
    await context.wait("grace-period", { hours: 1 })
    return context.step("send-invoice", async () => ({ invoiceId: event.invoiceId, total }))
  },
  { backend: OpenTelemetry.layer() }
)

if (import.meta.main) {
  await runLocally(handler, { invoiceId: "inv-7" })
  const traces = new Set(exporter.getFinishedSpans().map((span) => span.spanContext().traceId))
  console.log(`traces: ${traces.size}`)
}
