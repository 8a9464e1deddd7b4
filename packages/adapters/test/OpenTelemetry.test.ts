import { TracePropagation } from "@durable-trace/core/TracePropagation"
import * as OtelTracer from "@effect/opentelemetry/OtelTracer"
import { assert, describe, it } from "@effect/vitest"
import { context, metrics, propagation, SpanStatusCode, trace } from "@opentelemetry/api"
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks"
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from "@opentelemetry/core"
import { AggregationTemporality, MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics"
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanProcessor
} from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import { Backend, ROOT } from "../src/Backend.ts"
import * as OpenTelemetry from "../src/OpenTelemetry.ts"
import { type FinishedSpan, runContract } from "./contract.ts"

/** A reader collected on demand; delta temporality so each collect sees only what happened since the last. */
class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.DELTA })
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve()
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve()
  }
}

const exporter = new InMemorySpanExporter()
const reader = new TestReader()
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
let flushes = 0
const countFlushes: SpanProcessor = {
  onStart: () => {},
  onEnd: () => {},
  forceFlush: async () => {
    flushes++
  },
  shutdown: async () => {}
}
trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter), countFlushes] })
)
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }))

const finished = (span: ReadableSpan): FinishedSpan => {
  const attributes = span.attributes
  return {
    name: span.name,
    traceId: span.spanContext().traceId,
    spanId: span.spanContext().spanId,
    parentId: span.parentSpanContext?.spanId,
    resource: attributes["resource.name"] as string | undefined,
    type: attributes["span.type"] as string | undefined,
    error: span.status.code === SpanStatusCode.ERROR,
    errorMessage: span.status.message,
    tags: attributes
  }
}

const collect = async () => {
  const { resourceMetrics } = await reader.collect()
  return resourceMetrics.scopeMetrics.flatMap((scope) =>
    scope.metrics.flatMap((metric) =>
      metric.dataPoints.map((point) => ({
        name: metric.descriptor.name,
        value: point.value as number,
        tags: point.attributes
      }))
    )
  )
}

// The defaults (global tracer and meter), with the SDK's usual composite propagator: baggage could be injected.
const layer = OpenTelemetry.layer({
  propagator: new CompositePropagator({
    propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()]
  })
})

runContract("opentelemetry", async () => ({
  layer,
  spans: () => exporter.getFinishedSpans().map(finished),
  increments: collect,
  reset: async () => {
    exporter.reset()
    await collect()
  },
  supportsDatadogHeaders: false,
  withBaggage: (_span, fn) =>
    context.with(propagation.setBaggage(context.active(), propagation.createBaggage({ user: { value: "secret" } })), fn)
}))

describe("OpenTelemetry specifics", () => {
  it.effect("layer: the global providers and W3C Trace Context; flush force-flushes the global tracer provider", () =>
    Effect.gen(function* () {
      const backend = yield* Backend
      const span = backend.startSpan("defaults", { parent: ROOT })
      const injected = yield* (yield* TracePropagation).inject(span)
      backend.finish(span)
      assert.deepStrictEqual(Object.keys(injected), ["traceparent"])
      const before = flushes
      yield* Effect.promise(() => backend.flush())
      assert.strictEqual(flushes, before + 1)
    }).pipe(Effect.provide(OpenTelemetry.layerGlobal))
  )

  it.effect("@effect/opentelemetry's OtelTracer.layerGlobal also nests Effect spans under the durable span", () =>
    Effect.gen(function* () {
      exporter.reset()
      const backend = yield* Backend
      const durable = backend.startSpan("aws.durable.step", { parent: ROOT })
      yield* Effect.promise(() =>
        backend.activate(durable, () =>
          Effect.runPromise(
            Effect.void.pipe(
              Effect.withSpan("effect.inner"),
              Effect.withSpan("effect.outer"),
              Effect.provide(OtelTracer.layerGlobal)
            )
          )
        )
      )
      backend.finish(durable)
      const spans = exporter.getFinishedSpans().map(finished)
      const byName = (name: string) => spans.find((span) => span.name === name)!
      const ids = backend.ids(durable)
      assert.strictEqual(byName("effect.outer").parentId, ids.spanId)
      assert.strictEqual(byName("effect.inner").parentId, byName("effect.outer").spanId)
      assert.strictEqual(byName("effect.inner").traceId, ids.traceId)
    }).pipe(Effect.provide(layer))
  )
})
