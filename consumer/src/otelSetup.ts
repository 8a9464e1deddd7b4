/**
 * A user's OpenTelemetry SDK setup. The exporter prints each finished span as a JSON line on stdout, standing in
 * for an OTLP exporter (there is no collector here).
 */
import { context, propagation, trace } from "@opentelemetry/api"
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks"
import { ExportResultCode, W3CTraceContextPropagator } from "@opentelemetry/core"
import {
  BasicTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter
} from "@opentelemetry/sdk-trace-base"

const stdoutExporter: SpanExporter = {
  export: (spans: Array<ReadableSpan>, done) => {
    for (const span of spans) {
      const { traceId, spanId } = span.spanContext()
      process.stdout.write(
        `${JSON.stringify({ otelSpan: { name: span.name, traceId, spanId, parentId: span.parentSpanContext?.spanId } })}\n`
      )
    }
    done({ code: ExportResultCode.SUCCESS })
  },
  shutdown: async () => {}
}

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(stdoutExporter)] }))
propagation.setGlobalPropagator(new W3CTraceContextPropagator())
