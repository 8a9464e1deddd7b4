/**
 * durable-trace's OpenTelemetry sampler and span links (SPEC §11), on a real SDK tracer provider with an in-memory
 * exporter: a new trace follows durable-trace's decision, else its anchor link, else the ratio; a child follows
 * its parent, so an execution is kept or dropped whole.
 */
import type * as TraceMode from "@durable-trace/core/TraceMode"
import { assert, describe, it } from "@effect/vitest"
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { parentSpan, ROOT } from "../src/Backend.ts"
import * as OpenTelemetry from "../src/OpenTelemetry.ts"

const setup = (ratio?: number) => {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    sampler: OpenTelemetry.sampler({ ratio }),
    spanProcessors: [new SimpleSpanProcessor(exporter)]
  })
  const { backend } = OpenTelemetry.make({ tracer: provider.getTracer("test") })
  return { exporter, backend }
}

const anchor = (sampled: boolean): TraceMode.Link => ({
  role: "anchor",
  traceId: "0123456789abcdef0123456789abcdef",
  spanId: "0123456789abcdef",
  sampled
})

describe("OpenTelemetry.sampler", () => {
  it("a root follows durable-trace's decision, and its children follow the root", () => {
    for (const [priority, kept] of [
      [2, true],
      [-1, false]
    ] as const) {
      const { exporter, backend } = setup()
      const root = backend.startSpan("aws.lambda", { parent: ROOT, samplingPriority: priority })
      const child = backend.startSpan("aws.durable.execute", { parent: parentSpan(root) })
      backend.finish(child)
      backend.finish(root)
      assert.strictEqual(exporter.getFinishedSpans().length, kept ? 2 : 0, `priority ${priority}`)
    }
  })

  it("without a decision, a root follows its anchor link's flag, and records its links", () => {
    for (const sampled of [true, false]) {
      const { exporter, backend } = setup()
      const previous: TraceMode.Link = { ...anchor(sampled), role: "previous", spanId: "00000000000000ff" }
      backend.finish(backend.startSpan("aws.lambda", { parent: ROOT, links: [anchor(sampled), previous] }))
      const spans = exporter.getFinishedSpans()
      assert.strictEqual(spans.length, sampled ? 1 : 0)
      if (sampled) {
        assert.deepStrictEqual(
          spans[0]!.links.map((link) => [link.context.spanId, link.attributes?.["durable.link.role"]]),
          [
            ["0123456789abcdef", "anchor"],
            ["00000000000000ff", "previous"]
          ]
        )
      }
    }
  })

  it("any other root follows the ratio", () => {
    const kept = setup(1)
    kept.backend.finish(kept.backend.startSpan("other", { parent: ROOT }))
    assert.strictEqual(kept.exporter.getFinishedSpans().length, 1)
    const dropped = setup(0)
    dropped.backend.finish(dropped.backend.startSpan("other", { parent: ROOT }))
    assert.strictEqual(dropped.exporter.getFinishedSpans().length, 0)
  })
})
