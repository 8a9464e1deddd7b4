/**
 * The backend contract suite: the same checks, run against every adapter with its real engine (dd-trace's log
 * exporter, OpenTelemetry's in-memory exporter, the in-memory backend). Each adapter's test file builds a
 * `Harness` that reads what its engine recorded in one common shape, and calls `runContract`.
 */
import * as Checkpoint from "@durable-trace/core/Checkpoint"
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import { DurableTraceError } from "@durable-trace/core/Errors"
import type * as Headers from "@durable-trace/core/Headers"
import * as Reader from "@durable-trace/core/Reader"
import { INTEGRATION, Telemetry } from "@durable-trace/core/Telemetry"
import { TracePropagation, testSpan } from "@durable-trace/core/TracePropagation"
import * as Writer from "@durable-trace/core/Writer"
import { assert, beforeAll, beforeEach, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Tracer from "effect/Tracer"
import { Backend, type BackendLayer, parentOf, parentRemote, parentSpan, ROOT, type Span } from "../src/Backend.ts"
import * as EffectTracer from "../src/EffectTracer.ts"
import type * as InMemory from "../src/InMemory.ts"

/**
 * A finished span as the engine recorded it, in one shape for every backend: the in-memory backend's ids and names
 * (the trace id rebuilt from the low 64 bits and `_dd.p.tid` where the engine splits them), the error as a flag.
 */
export interface FinishedSpan
  extends Pick<InMemory.RecordedSpan, "name" | "traceId" | "spanId" | "parentId" | "resource" | "type"> {
  readonly error: boolean
  readonly errorMessage: string | undefined
  readonly tags: Readonly<Record<string, unknown>>
}

/** One counter update as the engine saw it. */
export interface Increment {
  readonly name: string
  readonly value: number
  readonly tags: Readonly<Record<string, unknown>>
}

/** What a backend's test file provides to the contract. */
export interface Harness {
  readonly layer: BackendLayer
  /** Spans the engine finished (and exported) since the last reset. */
  readonly spans: () => ReadonlyArray<FinishedSpan>
  readonly increments: () => Promise<ReadonlyArray<Increment>>
  readonly reset: () => Promise<void> | void
  /** Whether the backend's propagator extracts Datadog-only carriers (OpenTelemetry's W3C default does not). */
  readonly supportsDatadogHeaders: boolean
  /** Runs `fn` with baggage `user=secret` attached to `span` (or its context) the vendor's way. */
  readonly withBaggage: <A>(span: Span, fn: () => A) => A
}

type Services = Backend | TracePropagation | Telemetry

export const ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/order-1/3f1c9a"

const HEX32 = /^[0-9a-f]{32}$/
const HEX16 = /^[0-9a-f]{16}$/

// A remote caller's context as Datadog's writers leave it (SPEC §8).
const TRACE_HIGH = "6b020a7000000000"
const TRACE_LOW_DECIMAL = "9133491176962371057" // 0x7ec0add58a01adf1
const TRACE_HEX = `${TRACE_HIGH}7ec0add58a01adf1`
const PARENT_DECIMAL = "5798123456789012345" // 0x507712906dc4df79
const PARENT_HEX = "507712906dc4df79"

/** Datadog's JS writer: Datadog headers only, no sampling priority (SPEC §3). */
const datadogOnly: Headers.Headers = {
  "x-datadog-trace-id": TRACE_LOW_DECIMAL,
  "x-datadog-parent-id": PARENT_DECIMAL,
  "x-datadog-tags": `_dd.p.tid=${TRACE_HIGH}`
}

/** dd-trace 6.21's default injection, `ot=` member included (vendor notes, "SPEC is wrong" 9). */
const datadogAndW3c = (priority: "0" | "1" | "2"): Headers.Headers => ({
  "x-datadog-trace-id": TRACE_LOW_DECIMAL,
  "x-datadog-parent-id": PARENT_DECIMAL,
  "x-datadog-sampling-priority": priority,
  "x-datadog-tags": `_dd.p.tid=${TRACE_HIGH},_dd.p.dm=-0`,
  traceparent: `00-${TRACE_HEX}-${PARENT_HEX}-${priority === "0" ? "00" : "01"}`,
  tracestate: `dd=t.dm:-0;t.tid:${TRACE_HIGH};s:${priority};p:${PARENT_HEX},ot=rv:af78569b536668;th:0`
})

const flagsOf = (headers: Headers.Headers): string | undefined => headers.traceparent?.split("-")[3]

/** A durable invocation event holding `checkpoints` (payloads of `_datadog_0..`). */
const durableEvent = (checkpoints: ReadonlyArray<Headers.Headers>) => ({
  DurableExecutionArn: ARN,
  CheckpointToken: "token-1",
  InitialExecutionState: {
    Operations: [
      {
        Id: "0a1b2c3d4e5f6a7b",
        Type: "EXECUTION",
        Status: "STARTED",
        ExecutionDetails: { InputPayload: JSON.stringify({ orderId: "o-1" }) }
      },
      ...checkpoints.map((payload, n) => ({
        Id: Checkpoint.checkpointOperationId(`_datadog_${n}`, ARN),
        Name: `_datadog_${n}`,
        Type: "STEP",
        SubType: "Step",
        Status: "SUCCEEDED",
        StepDetails: { Attempt: 1, Result: JSON.stringify(payload) }
      }))
    ]
  }
})

/**
 * One invocation, written once against the ports: read the context it continues, start its execute span under
 * it, save a checkpoint as if it suspended. Which tracer runs it is decided only by the layer it is given.
 */
export const invocation = (event: unknown) =>
  Effect.gen(function* () {
    const backend = yield* Backend
    const log = yield* CheckpointLog.make(event, ARN)
    const read = yield* Reader.read(event, {}, { log })
    const span = backend.startSpan("aws.durable.execute", {
      parent: Option.getOrElse(parentOf(read.context), () => ROOT),
      resource: "handler"
    })
    const outcome = yield* Writer.saveOrReport({ log, executeSpan: span })
    backend.finish(span)
    return { read, outcome, ids: backend.ids(span) }
  })

/** Runs the contract against the backend `makeHarness` builds (once, before the suite). */
export const runContract = (name: string, makeHarness: () => Promise<Harness>) =>
  describe(`Backend contract: ${name}`, () => {
    let h: Harness
    beforeAll(async () => {
      h = await makeHarness()
    })
    beforeEach(async () => {
      await h.reset()
    })

    const provide = <A, E>(self: Effect.Effect<A, E, Services>): Effect.Effect<A, E> => Effect.provide(self, h.layer)

    const only = (spanName: string): FinishedSpan => {
      const found = h.spans().filter((span) => span.name === spanName)
      assert.strictEqual(found.length, 1, `exactly one finished span named ${spanName}`)
      return found[0]!
    }

    it.effect("ids: 32/16 lowercase hex, decimals of the low 64 bits, as the engine records them", () =>
      provide(
        Effect.gen(function* () {
          const backend = yield* Backend
          const span = backend.startSpan("ids", { parent: ROOT })
          const ids = backend.ids(span)
          backend.finish(span)
          assert.match(ids.traceId, HEX32)
          assert.match(ids.spanId, HEX16)
          assert.strictEqual(ids.traceIdDecimal, BigInt(`0x${ids.traceId.slice(16)}`).toString(10))
          assert.strictEqual(ids.spanIdDecimal, BigInt(`0x${ids.spanId}`).toString(10))
          const recorded = only("ids")
          assert.deepStrictEqual([recorded.traceId, recorded.spanId], [ids.traceId, ids.spanId])
          assert.isUndefined(recorded.parentId)
          assert.strictEqual(yield* (yield* TracePropagation).spanId(span), ids.spanId)
        })
      )
    )

    it.effect("startSpan records resource, type and tags; setTags adds tags; undefined values are left out", () =>
      provide(
        Effect.gen(function* () {
          const backend = yield* Backend
          const span = backend.startSpan("tagged", {
            parent: ROOT,
            resource: "orders-handler",
            type: "serverless",
            kind: "server",
            tags: { "aws.durable.operation_name": "charge", attempt: 2, "aws.durable.replayed": false, gone: undefined }
          })
          backend.setTags(span, { "aws.durable.invocation_status": "pending", alsoGone: undefined })
          backend.finish(span)
          const recorded = only("tagged")
          assert.strictEqual(recorded.resource, "orders-handler")
          assert.strictEqual(recorded.type, "serverless")
          assert.strictEqual(recorded.tags["aws.durable.operation_name"], "charge")
          assert.strictEqual(Number(recorded.tags.attempt), 2)
          assert.strictEqual(String(recorded.tags["aws.durable.replayed"]), "false")
          assert.strictEqual(recorded.tags["aws.durable.invocation_status"], "pending")
          assert.isFalse("gone" in recorded.tags || "alsoGone" in recorded.tags)
        })
      )
    )

    it.effect("inject then extract keeps the trace id, the parent id and the sampling decision", () =>
      provide(
        Effect.gen(function* () {
          const backend = yield* Backend
          const propagation = yield* TracePropagation
          const span = backend.startSpan("upstream", { parent: ROOT })
          const ids = backend.ids(span)
          const injected = yield* propagation.inject(span)
          const extracted = yield* propagation.extract(injected)
          assert.isTrue(Option.isSome(extracted))
          const context = Option.getOrThrow(extracted)
          assert.deepStrictEqual([context.traceId, context.spanId], [ids.traceId, ids.spanId])

          const child = backend.startSpan("downstream", { parent: parentRemote(context.native) })
          const reinjected = yield* propagation.inject(child)
          backend.finish(child)
          backend.finish(span)
          assert.strictEqual(flagsOf(reinjected), flagsOf(injected))
          assert.strictEqual(reinjected["x-datadog-sampling-priority"], injected["x-datadog-sampling-priority"])
          const downstream = only("downstream")
          assert.deepStrictEqual([downstream.traceId, downstream.parentId], [ids.traceId, ids.spanId])
        })
      )
    )

    it.effect("a drop decision survives extract and re-inject", () =>
      provide(
        Effect.gen(function* () {
          const backend = yield* Backend
          const propagation = yield* TracePropagation
          const context = Option.getOrThrow(yield* propagation.extract(datadogAndW3c("0")))
          const child = backend.startSpan("dropped", { parent: parentRemote(context.native) })
          const injected = yield* propagation.inject(child)
          backend.finish(child)
          assert.strictEqual(flagsOf(injected), "00")
          if (h.supportsDatadogHeaders) assert.strictEqual(injected["x-datadog-sampling-priority"], "0")
        })
      )
    )

    it.effect("inject on a fresh trace carries a sampling decision", () =>
      provide(
        Effect.gen(function* () {
          const backend = yield* Backend
          const span = backend.startSpan("fresh", { parent: ROOT })
          const injected = yield* (yield* TracePropagation).inject(span)
          backend.finish(span)
          assert.strictEqual(flagsOf(injected), "01")
          if (h.supportsDatadogHeaders) assert.strictEqual(injected["x-datadog-sampling-priority"], "1")
        })
      )
    )

    it.effect("extract: Datadog's JS writer payload (no sampling priority) continues the trace where supported", () =>
      provide(
        Effect.gen(function* () {
          const backend = yield* Backend
          const extracted = yield* (yield* TracePropagation).extract(datadogOnly)
          if (!h.supportsDatadogHeaders) {
            // The backend's configured extract styles decide (SPEC §3): W3C-only finds nothing here.
            assert.isTrue(Option.isNone(extracted))
            return
          }
          const context = Option.getOrThrow(extracted)
          assert.deepStrictEqual([context.traceId, context.spanId], [TRACE_HEX, PARENT_HEX])
          const span = backend.startSpan("continued", { parent: parentRemote(context.native) })
          backend.finish(span)
          const continued = only("continued")
          assert.deepStrictEqual([continued.traceId, continued.parentId], [TRACE_HEX, PARENT_HEX])
        })
      )
    )

    it.effect("extract: dd-trace's Datadog + W3C payload, tracestate with an ot= member", () =>
      provide(
        Effect.gen(function* () {
          const backend = yield* Backend
          const propagation = yield* TracePropagation
          const context = Option.getOrThrow(yield* propagation.extract(datadogAndW3c("2")))
          assert.deepStrictEqual([context.traceId, context.spanId], [TRACE_HEX, PARENT_HEX])
          const span = backend.startSpan("continued", { parent: parentRemote(context.native) })
          const injected = yield* propagation.inject(span)
          backend.finish(span)
          const continued = only("continued")
          assert.deepStrictEqual([continued.traceId, continued.parentId], [TRACE_HEX, PARENT_HEX])
          assert.strictEqual(flagsOf(injected), "01")
          // Other vendors' members travel on, so a checkpoint's `stable` form does not churn (SPEC §4.3).
          assert.include(injected.tracestate ?? "", "ot=rv:af78569b536668")
          if (h.supportsDatadogHeaders) assert.strictEqual(injected["x-datadog-sampling-priority"], "2")
        })
      )
    )

    it.effect("extract: nothing usable is none, not a failure", () =>
      provide(
        Effect.gen(function* () {
          const propagation = yield* TracePropagation
          for (const headers of [
            {},
            { traceparent: "00-00000000000000000000000000000000-0000000000000000-01" },
            { "x-datadog-trace-id": "0", "x-datadog-parent-id": "0" }
          ]) {
            assert.isTrue(Option.isNone(yield* propagation.extract(headers)), JSON.stringify(headers))
          }
        })
      )
    )

    it.effect("inject and spanId fail typed (location inject) on what is not one of the backend's spans", () =>
      provide(
        Effect.gen(function* () {
          const propagation = yield* TracePropagation
          const injected = yield* Effect.flip(propagation.inject(testSpan({ not: "a span" })))
          assert.instanceOf(injected, DurableTraceError)
          assert.strictEqual(injected.location, "inject")
          const spanId = yield* Effect.flip(propagation.spanId(testSpan({ not: "a span" })))
          assert.strictEqual(spanId.location, "inject")
        })
      )
    )

    it.effect("children: an explicit parent, the active span when parent is undefined, a new trace for null", () =>
      provide(
        Effect.gen(function* () {
          const backend = yield* Backend
          const root = backend.startSpan("root", { parent: ROOT })
          const explicit = backend.startSpan("explicit", { parent: parentSpan(root) })
          backend.finish(explicit)
          assert.isUndefined(backend.active())
          backend.activate(root, () => {
            assert.strictEqual(backend.ids(backend.active()!).spanId, backend.ids(root).spanId)
            backend.finish(backend.startSpan("implicit"))
            backend.finish(backend.startSpan("detached", { parent: ROOT }))
          })
          assert.isUndefined(backend.active())
          backend.finish(root)
          const rootIds = backend.ids(root)
          for (const child of ["explicit", "implicit"]) {
            const span = only(child)
            assert.deepStrictEqual([span.traceId, span.parentId], [rootIds.traceId, rootIds.spanId], child)
          }
          const detached = only("detached")
          assert.notStrictEqual(detached.traceId, rootIds.traceId)
          assert.isUndefined(detached.parentId)
        })
      )
    )

    it.effect("activate holds across await", () =>
      provide(
        Effect.gen(function* () {
          const backend = yield* Backend
          const root = backend.startSpan("root", { parent: ROOT })
          const seen = yield* Effect.promise(() =>
            backend.activate(root, async () => {
              await new Promise((resolve) => setTimeout(resolve, 1))
              const child = backend.startSpan("after-await")
              backend.finish(child)
              return backend.active()
            })
          )
          backend.finish(root)
          assert.strictEqual(seen && backend.ids(seen).spanId, backend.ids(root).spanId)
          assert.strictEqual(only("after-await").parentId, backend.ids(root).spanId)
        })
      )
    )

    it.effect("setError marks the span failed with the error's message", () =>
      provide(
        Effect.gen(function* () {
          const backend = yield* Backend
          const span = backend.startSpan("failing", { parent: ROOT })
          backend.setError(span, new TypeError("card declined"))
          backend.finish(span)
          const failing = only("failing")
          assert.isTrue(failing.error)
          assert.strictEqual(failing.errorMessage, "card declined")
          backend.finish(backend.startSpan("fine", { parent: ROOT }))
          assert.isFalse(only("fine").error)
        })
      )
    )

    it.effect("finish is idempotent", () =>
      provide(
        Effect.gen(function* () {
          const backend = yield* Backend
          const span = backend.startSpan("once", { parent: ROOT })
          backend.finish(span)
          backend.finish(span)
          backend.finish(span, Date.now() + 1000)
          yield* Effect.promise(() => backend.flush())
          only("once")
        })
      )
    )

    it.effect("no baggage reaches an injected payload", () =>
      provide(
        Effect.gen(function* () {
          const backend = yield* Backend
          const propagation = yield* TracePropagation
          const span = backend.startSpan("with-baggage", { parent: ROOT })
          // Injected while the baggage is in scope: `runSync`, not `yield*`, which would run after `withBaggage`.
          const injected = h.withBaggage(span, () =>
            backend.activate(span, () => Effect.runSync(propagation.inject(span)))
          )
          backend.finish(span)
          const keys = Object.keys(injected)
          assert.isFalse(
            keys.some((key) => key === "baggage" || key.startsWith("ot-baggage-")),
            keys.join(",")
          )
          assert.notInclude(JSON.stringify(injected), "secret")
        })
      )
    )

    it.effect("telemetry: one integration_errors increment with its tags, and a debug log line", () =>
      Effect.gen(function* () {
        const logged: Array<unknown> = []
        const capture = Logger.layer([Logger.make(({ message, logLevel }) => logged.push([logLevel, message]))])
        yield* provide(
          Effect.gen(function* () {
            const telemetry = yield* Telemetry
            yield* telemetry.failure(
              new DurableTraceError({
                location: "write_checkpoint",
                reason: "checkpoint request failed",
                identifiers: { n: 3 },
                cause: new RangeError("throttled")
              })
            )
          })
        ).pipe(Effect.provide(capture), Effect.provideService(References.MinimumLogLevel, "Debug"))
        const increments = yield* Effect.promise(() => h.increments())
        assert.strictEqual(increments.length, 1)
        const [increment] = increments
        assert.match(increment!.name, /integration_errors$/)
        assert.strictEqual(increment!.value, 1)
        assert.deepStrictEqual(
          { ...increment!.tags },
          { integration: INTEGRATION, location: "write_checkpoint", error_type: "RangeError" }
        )
        assert.deepStrictEqual(logged[0], [
          "Debug",
          ["durable-trace: write_checkpoint: checkpoint request failed", { n: 3 }]
        ])
      })
    )

    describe("Effect spans (EffectTracer.layer)", () => {
      const runInside = <A, E>(span: Span, effect: Effect.Effect<A, E, Services>) =>
        Effect.gen(function* () {
          const backend = yield* Backend
          // As the Lambda binding does: user code runs inside the durable span, then runs its own Effect program.
          const layer = EffectTracer.layer.pipe(Layer.provideMerge(h.layer))
          return yield* Effect.promise(() =>
            backend.activate(span, () => Effect.runPromise(Effect.provide(effect, layer)))
          )
        })

      it.effect("nest under the active durable span, nested ones under them, with the backend's ids", () =>
        provide(
          Effect.gen(function* () {
            const backend = yield* Backend
            const durable = backend.startSpan("aws.durable.step", { parent: ROOT })
            const inner = yield* runInside(
              durable,
              Effect.gen(function* () {
                const current = yield* Effect.currentSpan
                const active = (yield* Backend).active()
                yield* Effect.annotateCurrentSpan("order.id", "o-1")
                return { current, active: active && (yield* Backend).ids(active) }
              }).pipe(Effect.withSpan("effect.inner"), Effect.withSpan("effect.outer"))
            )
            backend.finish(durable)
            const durableIds = backend.ids(durable)
            const outer = only("effect.outer")
            const innerSpan = only("effect.inner")
            assert.deepStrictEqual([outer.traceId, outer.parentId], [durableIds.traceId, durableIds.spanId])
            assert.deepStrictEqual([innerSpan.traceId, innerSpan.parentId], [durableIds.traceId, outer.spanId])
            assert.deepStrictEqual([inner.current.traceId, inner.current.spanId], [innerSpan.traceId, innerSpan.spanId])
            assert.strictEqual(inner.active?.spanId, innerSpan.spanId, "the Effect span is the backend's active span")
            assert.strictEqual(innerSpan.tags["order.id"], "o-1")
          })
        )
      )

      it.effect("a failure marks the backend span; vendor spans inside nest under the Effect span", () =>
        provide(
          Effect.gen(function* () {
            const backend = yield* Backend
            const durable = backend.startSpan("aws.durable.step", { parent: ROOT })
            yield* runInside(
              durable,
              Effect.gen(function* () {
                const inside = yield* Backend
                inside.finish(inside.startSpan("vendor.call"))
                return yield* Effect.fail(new Error("payment failed"))
              }).pipe(Effect.withSpan("effect.failing"), Effect.exit)
            )
            backend.finish(durable)
            const failing = only("effect.failing")
            assert.isTrue(failing.error)
            assert.strictEqual(failing.errorMessage, "payment failed")
            assert.strictEqual(only("vendor.call").parentId, failing.spanId)
          })
        )
      )

      it.effect(
        "an explicit root starts a new trace; an external parent falls back to the active span; unsampled stays out",
        () =>
          provide(
            Effect.gen(function* () {
              const backend = yield* Backend
              const durable = backend.startSpan("aws.durable.step", { parent: ROOT })
              yield* runInside(
                durable,
                Effect.all([
                  Effect.withSpan(Effect.void, "effect.root", { root: true }),
                  Effect.withSpan(Effect.void, "effect.external", {
                    parent: Tracer.externalSpan({ traceId: "f".repeat(32), spanId: "e".repeat(16) })
                  }),
                  Effect.withSpan(Effect.void, "effect.unsampled", { sampled: false })
                ])
              )
              backend.finish(durable)
              const durableIds = backend.ids(durable)
              assert.notStrictEqual(only("effect.root").traceId, durableIds.traceId)
              assert.isUndefined(only("effect.root").parentId)
              assert.strictEqual(only("effect.external").parentId, durableIds.spanId)
              assert.isFalse(h.spans().some((span) => span.name === "effect.unsampled"))
            })
          )
      )
    })

    it.effect("swapping the backend is a one-line Layer change: read, continue and save under any backend", () =>
      Effect.gen(function* () {
        // The only backend-specific line: the layer.
        const run = <A, E>(self: Effect.Effect<A, E, Services | CheckpointStore>) =>
          Effect.provide(self, Layer.mergeAll(h.layer, CheckpointStore.layerTest()))

        const first = yield* run(invocation(durableEvent([])))
        assert.strictEqual(first.read.source, "none")
        assert.strictEqual(first.outcome._tag, "Written")
        if (first.outcome._tag !== "Written") return
        assert.strictEqual(first.outcome.name, "_datadog_0")
        assert.strictEqual(first.outcome.anchor, first.ids.spanId)

        const second = yield* run(invocation(durableEvent([first.outcome.payload])))
        assert.strictEqual(second.read.source, "checkpoint")
        const continued = Option.getOrThrow(second.read.context)
        assert.deepStrictEqual([continued.traceId, continued.spanId], [first.ids.traceId, first.ids.spanId])
        assert.strictEqual(second.ids.traceId, first.ids.traceId)
        assert.notStrictEqual(second.outcome._tag, "Failed")
        if (second.outcome._tag === "Written") assert.strictEqual(second.outcome.anchor, first.ids.spanId)
        const execute = h.spans().filter((span) => span.name === "aws.durable.execute")
        assert.deepStrictEqual(
          execute.map((span) => [span.traceId, span.parentId]),
          [
            [first.ids.traceId, undefined],
            [first.ids.traceId, first.ids.spanId]
          ]
        )
      })
    )
  })
