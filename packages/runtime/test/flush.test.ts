/**
 * The flush at the end of each invocation is bounded like the write (issue 14 item 4, SPEC §4.8): an
 * OpenTelemetry exporter that never calls back stalls `forceFlush` forever under a `SimpleSpanProcessor`, and for
 * its whole export timeout (30 s by default) under a `BatchSpanProcessor`. Either way the invocation must return
 * once the bound has passed, with its outcome unchanged, and the cut flush counted at `flush`. The bound is
 * asserted on a manual clock (`manualClock.ts`), never on the machine's speed.
 */
import { Backend } from "@durable-trace/adapters/Backend"
import * as OpenTelemetry from "@durable-trace/adapters/OpenTelemetry"
import { TracePropagation } from "@durable-trace/core/TracePropagation"
import { assert, describe, it } from "@effect/vitest"
import { context, trace } from "@opentelemetry/api"
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks"
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor
} from "@opentelemetry/sdk-trace-base"
import * as Effect from "effect/Effect"
import { vi } from "vitest"
import { inMemoryServices, layerFrom, runOnLocalRunner, traced } from "./faults.harness.ts"
import * as ManualClock from "./manualClock.ts"
import { WORKFLOWS } from "./workflows.ts"

vi.mock("../../adapters/src/RealClock.ts", async () => {
  const manual = await import("./manualClock.ts")
  return { now: manual.now, clock: manual.clock, race: manual.race }
})

const BOUND_MILLIS = 300
const workflow = WORKFLOWS.find((w) => w.name === "finishes in a single invocation")!

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())

/** An exporter whose exports never complete. */
const stalled = (): SpanExporter & { readonly exported: () => number } => {
  let exported = 0
  return {
    export: (_spans: Array<ReadableSpan>) => {
      exported++
    },
    shutdown: () => Promise.resolve(),
    exported: () => exported
  }
}

const realSetTimeout = globalThis.setTimeout
const pause = (millis: number) => new Promise<void>((resolve) => realSetTimeout(resolve, millis))
const until = async (condition: () => boolean, what: string) => {
  for (let i = 0; i < 2000 && !condition(); i++) await pause(5)
  assert.isTrue(condition(), what)
}

const runWith = async (processor: (exporter: SpanExporter) => SpanProcessor) => {
  const exporter = stalled()
  trace.disable()
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [processor(exporter)] }))
  // OpenTelemetry spans and propagation; telemetry recorded in memory, to see what was counted.
  const { memory, telemetry } = inMemoryServices()
  const [backend, propagation] = Effect.runSync(
    Effect.all([Effect.service(Backend), Effect.service(TracePropagation)]).pipe(Effect.provide(OpenTelemetry.layer()))
  )
  const { handler, summaries } = traced(workflow, layerFrom(backend, propagation, telemetry), {
    writeTimeoutMillis: BOUND_MILLIS
  })
  let returned = 0
  const done = runOnLocalRunner(async (event, lambdaContext) => {
    try {
      return await handler(event, lambdaContext)
    } finally {
      returned++
    }
  }, workflow)
  await until(() => summaries.length === 1 && ManualClock.sleeping() > 0, "the invocation ended and is flushing")
  ManualClock.advance(BOUND_MILLIS - 1)
  await pause(50)
  assert.strictEqual(returned, 0, "one millisecond before the bound, the invocation still waits for the flush")
  ManualClock.advance(1)
  await until(() => returned === 1, "at the bound, the invocation returns")
  const result = await done
  assert.strictEqual(result.getStatus(), "SUCCEEDED", "the outcome is the untraced one")
  assert.deepStrictEqual(
    memory.increments().map((i) => i.location),
    ["flush"]
  )
  return exporter
}

describe("bounded flush at the end of each invocation (SPEC §4.8)", () => {
  it("a SimpleSpanProcessor whose exporter never calls back costs the bound, not the invocation", async () => {
    const exporter = await runWith((e) => new SimpleSpanProcessor(e))
    assert.isAbove(exporter.exported(), 0, "spans were handed to the exporter")
  })

  it("a BatchSpanProcessor waiting out its export timeout costs the bound, not 30 s", async () => {
    await runWith((e) => new BatchSpanProcessor(e))
  })
})
