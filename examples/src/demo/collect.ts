/**
 * Span collectors for the demo: each sets up a real tracer with an offline exporter and gives back the finished
 * spans in one shape. dd-trace prints spans as JSON lines (`DD_TRACE_EXPERIMENTAL_EXPORTER=log`), which the
 * collector reads off stdout; OpenTelemetry keeps them in an `InMemorySpanExporter`.
 */
import type { BackendLayer } from "@durable-trace/adapters/Backend"

/** A finished span, whichever tracer produced it. */
export interface DemoSpan {
  readonly name: string
  /** 32 lowercase hex. */
  readonly traceId: string
  readonly spanId: string
  readonly parentId: string | undefined
  readonly resource: string
  /** Epoch milliseconds. */
  readonly start: number
  readonly end: number
  readonly tags: Readonly<Record<string, string | number | boolean>>
  readonly error: boolean
  /** Span links (linked trace mode): the spans this one points at, in other traces. */
  readonly links: ReadonlyArray<DemoLink>
}

/** A span link: its target and the role durable-trace gives it (`anchor`, `previous`). */
export interface DemoLink {
  readonly traceId: string
  readonly spanId: string
  readonly role: string | undefined
}

/** dd-trace's `_dd.span_links` meta (JSON, hex ids) as links; nothing when absent or unreadable. */
export const ddSpanLinks = (meta: string | undefined): Array<DemoLink> => {
  if (meta === undefined) return []
  try {
    const links = JSON.parse(meta) as ReadonlyArray<{
      trace_id: string
      span_id: string
      attributes?: Record<string, string>
    }>
    return links.map((link) => ({
      traceId: link.trace_id.padStart(32, "0"),
      spanId: link.span_id.padStart(16, "0"),
      role: link.attributes?.["durable.link.role"]
    }))
  } catch {
    return []
  }
}

export interface Collector {
  readonly name: string
  readonly backend: BackendLayer
  readonly spans: () => ReadonlyArray<DemoSpan>
}

interface ExportedSpan {
  readonly name: string
  readonly resource: string
  readonly trace_id: string
  readonly span_id: string
  readonly parent_id: string
  readonly start: number
  readonly duration: number
  readonly error: number
  readonly meta: Readonly<Record<string, string>>
  readonly metrics: Readonly<Record<string, number>>
}

/** Real dd-trace, printing finished spans as JSON lines that this collector keeps (and does not echo). */
export const ddTrace = async (): Promise<Collector> => {
  process.env.DD_TRACE_EXPERIMENTAL_EXPORTER = "log"
  // As in Lambda: no agent client polling 127.0.0.1:8126 (refused here, and fatal under the runner's fake timers).
  process.env.AWS_LAMBDA_FUNCTION_NAME ??= "orders-demo"
  process.env.DD_REMOTE_CONFIGURATION_ENABLED ??= "false"
  process.env.DD_INSTRUMENTATION_TELEMETRY_ENABLED ??= "false"
  process.env.DD_TRACE_STARTUP_LOGS ??= "false"
  process.env.DD_SERVICE ??= "orders"
  process.env.DD_ENV ??= "demo"
  const { default: tracer } = await import("dd-trace")
  tracer.init()
  const DdTrace = await import("@durable-trace/adapters/DdTrace")
  const spans: Array<DemoSpan> = []
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: Array<unknown>) => {
    const text = String(chunk)
    if (!text.startsWith('{"traces":')) return (write as (...args: Array<unknown>) => boolean)(chunk, ...rest)
    for (const line of text.split("\n")) {
      if (!line.startsWith('{"traces":')) continue
      for (const chunkSpans of (JSON.parse(line) as { traces: ReadonlyArray<ReadonlyArray<ExportedSpan>> }).traces) {
        // The trace id's high 64 bits ride on one span of each chunk.
        const high = chunkSpans.find((s) => s.meta["_dd.p.tid"])?.meta["_dd.p.tid"] ?? "0".repeat(16)
        for (const s of chunkSpans) {
          spans.push({
            name: s.name,
            traceId: `${high}${s.trace_id}`,
            spanId: s.span_id,
            parentId: /^0+$/.test(s.parent_id) ? undefined : s.parent_id,
            resource: s.resource,
            start: s.start / 1e6,
            end: (s.start + s.duration) / 1e6,
            tags: { ...s.metrics, ...s.meta },
            error: s.error === 1,
            links: ddSpanLinks(s.meta["_dd.span_links"])
          })
        }
      }
    }
    return true
  }) as typeof process.stdout.write
  return { name: "dd-trace (log exporter)", backend: DdTrace.layer(tracer), spans: () => spans }
}

/** OpenTelemetry's SDK with an in-memory exporter, registered globally. */
export const openTelemetry = async (): Promise<Collector> => {
  const { context, propagation, trace } = await import("@opentelemetry/api")
  const { AsyncLocalStorageContextManager } = await import("@opentelemetry/context-async-hooks")
  const { W3CTraceContextPropagator } = await import("@opentelemetry/core")
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import(
    "@opentelemetry/sdk-trace-base"
  )
  const OpenTelemetry = await import("@durable-trace/adapters/OpenTelemetry")
  const exporter = new InMemorySpanExporter()
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
  const millis = ([seconds, nanos]: readonly [number, number]) => seconds * 1000 + nanos / 1e6
  return {
    name: "OpenTelemetry (in-memory exporter)",
    backend: OpenTelemetry.layer(),
    spans: () =>
      exporter.getFinishedSpans().map((span) => ({
        name: span.name,
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
        parentId: span.parentSpanContext?.spanId,
        resource: String(span.attributes["resource.name"] ?? span.name),
        start: millis(span.startTime),
        end: millis(span.endTime),
        tags: {
          ...(span.attributes as Record<string, string | number | boolean>),
          ...(span.status.message ? { "otel.status_description": span.status.message } : {})
        },
        error: span.status.code === 2,
        links: span.links.map((link) => ({
          traceId: link.context.traceId,
          spanId: link.context.spanId,
          role:
            link.attributes?.["durable.link.role"] === undefined
              ? undefined
              : String(link.attributes["durable.link.role"])
        }))
      }))
  }
}
