/**
 * The extractors handed to outer Lambda wrappers (issue 18), on events built by hand: what datadog-lambda-js is
 * given (decimal ids, the sampling priority, no `null`), and what the synchronous OpenTelemetry hook can and cannot
 * decide without paging.
 */
import type { BackendLayer } from "@durable-trace/adapters/Backend"
import * as InMemory from "@durable-trace/adapters/InMemory"
import * as OpenTelemetry from "@durable-trace/adapters/OpenTelemetry"
import { assert, describe, it } from "@effect/vitest"
import { trace } from "@opentelemetry/api"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as DatadogExtractor from "../src/DatadogExtractor.ts"
import * as OpenTelemetryExtractor from "../src/OpenTelemetryExtractor.ts"
import * as OuterInvocation from "../src/OuterInvocation.ts"
import { withDurableTracing } from "../src/withDurableTracing.ts"
import { checkpointOperation } from "./support.ts"

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
const PARENT = "00f067aa0ba902b7"
const ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/run-1/0b1c"

const execution = { Id: "0", Type: "EXECUTION", Status: "STARTED", ExecutionDetails: { InputPayload: "{}" } }
const checkpoint = (n: number, payload: Record<string, string>) => checkpointOperation(n, ARN, JSON.stringify(payload))
const event = (operations: ReadonlyArray<unknown>, nextMarker?: string) => ({
  DurableExecutionArn: ARN,
  CheckpointToken: "token-1",
  InitialExecutionState: { Operations: operations, ...(nextMarker === undefined ? {} : { NextMarker: nextMarker }) }
})

describe("DatadogExtractor", () => {
  const extractor = DatadogExtractor.make({ backend: InMemory.layer() })

  it("gives datadog-lambda-js decimal ids and the checkpoint's sampling priority", async () => {
    const durable = event([
      execution,
      checkpoint(0, {
        "x-datadog-trace-id": BigInt(`0x${TRACE_ID.slice(16)}`).toString(10),
        "x-datadog-parent-id": BigInt(`0x${PARENT}`).toString(10),
        "x-datadog-sampling-priority": "2",
        traceparent: `00-${TRACE_ID}-${PARENT}-01`
      })
    ])
    const context = await extractor(durable, {})
    assert.deepStrictEqual(context, {
      traceId: BigInt(`0x${TRACE_ID.slice(16)}`).toString(10),
      parentId: BigInt(`0x${PARENT}`).toString(10),
      sampleMode: 2,
      source: "event"
    })
    assert.strictEqual(OuterInvocation.take(durable)?.read.source, "checkpoint", "the read is handed to the wrapper")
    assert.isUndefined(OuterInvocation.take(durable), "and taken once")
    assert.isUndefined(OuterInvocation.take(event([execution])), "never by another invocation of the execution")
  })

  it("takes W3C's sampled flag when Datadog's priority is absent", async () => {
    const context = await extractor(
      event([execution, checkpoint(0, { traceparent: `00-${TRACE_ID}-${PARENT}-00` })]),
      {}
    )
    assert.strictEqual((context as DatadogExtractor.DatadogTraceContext).sampleMode, 0)
  })

  it("answers 'no context' (never null) when there is nothing to continue, and for other events", async () => {
    assert.deepStrictEqual(await extractor(event([execution]), {}), DatadogExtractor.NO_CONTEXT)
    assert.deepStrictEqual(await extractor({ Records: [] }, {}), DatadogExtractor.NO_CONTEXT)
  })
})

describe("OpenTelemetryExtractor", () => {
  const extractor = OpenTelemetryExtractor.make()
  const valid = checkpoint(0, { traceparent: `00-${TRACE_ID}-${PARENT}-01` })

  it("continues a checkpoint on page 1, even when more pages exist", () => {
    const durable = event([execution, valid], "page-2")
    const context = extractor(durable, {})
    const span = trace.getSpanContext(context)
    assert.strictEqual(span?.traceId, TRACE_ID)
    assert.strictEqual(span?.spanId, PARENT)
    assert.isTrue(OuterInvocation.take(durable)?.complete)
  })

  it("cannot page synchronously: no parent, and the wrapper is told to read every page", () => {
    const durable = event([execution], "page-2")
    const context = extractor(durable, {})
    assert.isUndefined(trace.getSpanContext(context))
    assert.isFalse(OuterInvocation.take(durable)?.complete)
  })
})

describe("the extractors on the wrapped handler's container runtime", () => {
  const counting = (layer: () => BackendLayer) => {
    const counter = { builds: 0 }
    const counted: BackendLayer = Layer.unwrap(
      Effect.sync(() => {
        counter.builds++
        return layer()
      })
    )
    return { counter, counted }
  }
  const durable = () =>
    event([execution, checkpoint(0, { traceparent: `00-${TRACE_ID}-${PARENT}-01` })], "page-2") as object
  const handler = async () => "done"

  it("given no backend, the Datadog extractor reads with the wrapped handler's, built once before its first call", async () => {
    const { counter, counted } = counting(() => InMemory.layer())
    withDurableTracing(handler, { backend: counted })
    const extractor = DatadogExtractor.make()
    for (let i = 0; i < 3; i++) {
      const context = (await extractor(durable(), {})) as DatadogExtractor.DatadogTraceContext
      assert.strictEqual(context.parentId, BigInt(`0x${PARENT}`).toString(10))
    }
    assert.strictEqual(counter.builds, 1, "the handler's backend, built by the extractor's first read, once")
  })

  it("given no backend, the OpenTelemetry extractor reads with the wrapped handler's when it is OpenTelemetry's", () => {
    const { counter, counted } = counting(() => OpenTelemetry.layer())
    withDurableTracing(handler, { backend: counted })
    const extractor = OpenTelemetryExtractor.make()
    for (let i = 0; i < 3; i++) assert.strictEqual(trace.getSpanContext(extractor(durable(), {}))?.spanId, PARENT)
    assert.strictEqual(counter.builds, 1)
  })

  it("the OpenTelemetry extractor never takes a context from a backend that is not OpenTelemetry's", () => {
    const { counter, counted } = counting(() => InMemory.layer())
    withDurableTracing(handler, { backend: counted })
    // Its own default instead (the global OpenTelemetry API): the read still continues the checkpoint.
    assert.strictEqual(trace.getSpanContext(OpenTelemetryExtractor.make()(durable(), {}))?.spanId, PARENT)
    assert.strictEqual(counter.builds, 1, "the handler's was built to learn its kind, and not used")
    assert.isUndefined(
      trace.getSpanContext(OpenTelemetryExtractor.make({ backend: counted })(durable(), {})),
      "given it explicitly: no parent rather than a foreign span context"
    )
  })
})
