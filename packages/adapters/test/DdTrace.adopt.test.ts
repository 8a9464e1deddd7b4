/**
 * `adoptPropagated` (issue 18): datadog-lambda-js parents `aws.lambda` on a context it rebuilt from a custom
 * extractor's decimal ids (as `SpanContextWrapper.fromTraceContext` does), which drops the trace's propagated state.
 * The backend gives it back from the context durable-trace extracted, for the same trace only.
 */
import { TracePropagation } from "@durable-trace/core/TracePropagation"
import { assert, describe, it } from "@effect/vitest"
import type { SpanContext as DdSpanContext } from "dd-trace"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Backend, parentRemote, parentSpan, type RemoteContext, type Span } from "../src/Backend.ts"
import * as DdTrace from "../src/DdTrace.ts"
import { require, tracer } from "./ddTraceLog.ts"

// What datadog-lambda-js builds a custom extractor's context with.
const SpanContext = require("dd-trace/packages/dd-trace/src/opentracing/span_context") as new (
  props: unknown
) => DdSpanContext
const id = require("dd-trace/packages/dd-trace/src/id") as (value: string, radix: number) => unknown

const TID = "6b0fb92100000000"
const LOW = "3607398afa23f34a"
const PARENT = "03ca6332cde9b954"
const decimal = (hex: string) => BigInt(`0x${hex}`).toString(10)
const CHECKPOINT = {
  "x-datadog-trace-id": decimal(LOW),
  "x-datadog-parent-id": decimal(PARENT),
  "x-datadog-sampling-priority": "2",
  "x-datadog-tags": `_dd.p.tid=${TID},_dd.p.dm=-4`,
  traceparent: `00-${TID}${LOW}-${PARENT}-01`,
  tracestate: `dd=t.dm:-4;t.tid:${TID};s:2;p:${PARENT},other=keep`
}

const rebuilt = (traceLow: string) =>
  new SpanContext({ traceId: id(decimal(traceLow), 10), spanId: id(decimal(PARENT), 10), sampling: { priority: "2" } })

const injectedUnder = (parent: DdSpanContext, adoptFrom: Option.Option<RemoteContext>) =>
  Effect.gen(function* () {
    const backend = yield* Backend
    const propagation = yield* TracePropagation
    const lambda: Span = backend.startSpan("aws.lambda", { parent: parentRemote(DdTrace.native.toRemote(parent)) })
    if (Option.isSome(adoptFrom)) backend.adoptPropagated?.(lambda, adoptFrom.value)
    const execute = backend.startSpan("aws.durable.execute", { parent: parentSpan(lambda) })
    const headers = yield* propagation.inject(execute)
    backend.finish(execute)
    backend.finish(lambda)
    return headers
  }).pipe(Effect.provide(DdTrace.layer(tracer)))

const extracted = Effect.gen(function* () {
  const propagation = yield* TracePropagation
  return Option.getOrThrow(yield* propagation.extract(CHECKPOINT)).native
}).pipe(Effect.provide(DdTrace.layer(tracer)))

describe("DdTrace.adoptPropagated", () => {
  it.effect("restores the high trace-id bits, the decision maker, the numeric priority and tracestate", () =>
    Effect.gen(function* () {
      const native = yield* extracted
      const lossy = yield* injectedUnder(rebuilt(LOW), Option.none())
      assert.notInclude(lossy["x-datadog-tags"] ?? "", TID, "the rebuilt context lost _dd.p.tid")
      assert.isUndefined(lossy["x-datadog-sampling-priority"], "and its string priority is not injected")
      const headers = yield* injectedUnder(rebuilt(LOW), Option.some(native))
      assert.strictEqual(headers["x-datadog-sampling-priority"], "2")
      assert.include(headers["x-datadog-tags"], `_dd.p.tid=${TID}`)
      assert.include(headers["x-datadog-tags"], "_dd.p.dm=-4")
      assert.isTrue(headers.traceparent?.startsWith(`00-${TID}${LOW}-`))
      assert.include(headers.tracestate, "other=keep")
    })
  )

  it.effect("leaves another trace alone", () =>
    Effect.gen(function* () {
      const native = yield* extracted
      const headers = yield* injectedUnder(rebuilt("1111111111111111"), Option.some(native))
      assert.notInclude(headers["x-datadog-tags"] ?? "", TID)
      assert.notInclude(headers.tracestate ?? "", "other=keep")
    })
  )
})
