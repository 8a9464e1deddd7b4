// dd-trace reads its configuration at require time: set it before the dynamic import below. Vitest runs each
// test file in its own forked process, so this stays in this file.
process.env.DD_TRACE_EXPERIMENTAL_EXPORTER = "log"
// As in Lambda: dd-trace then keeps no agent client polling 127.0.0.1:8126, whose refused connection, under the
// local runner's fake timers, surfaces as an unhandled error that kills the process.
process.env.AWS_LAMBDA_FUNCTION_NAME ??= "durable-trace-test"
process.env.DD_REMOTE_CONFIGURATION_ENABLED = "false"
process.env.DD_INSTRUMENTATION_TELEMETRY_ENABLED = "false"
process.env.DD_TRACE_STARTUP_LOGS = "false"
process.env.DD_SERVICE = "durable-trace-test"

import { DurableTraceError } from "@durable-trace/core/Errors"
import { Telemetry } from "@durable-trace/core/Telemetry"
import { assert, describe, it } from "@effect/vitest"
import type { Tracer as DdTracer } from "dd-trace"
import * as Effect from "effect/Effect"
import { Backend, ROOT } from "../src/Backend.ts"
import * as DdTrace from "../src/DdTrace.ts"
import { type FinishedSpan, type Increment, runContract } from "./contract.ts"

/** One span as the log exporter prints it: ids are 16 hex, the trace id's high 64 bits in `meta["_dd.p.tid"]`. */
interface LoggedSpan {
  readonly trace_id: string
  readonly span_id: string
  readonly parent_id: string
  readonly name: string
  readonly resource: string
  readonly type?: string
  readonly error: number
  readonly meta: Readonly<Record<string, string>>
  readonly metrics: Readonly<Record<string, number>>
}

const ZERO16 = "0000000000000000"
const logged: Array<FinishedSpan> = []

// The log exporter writes each finished trace chunk synchronously as one `{"traces":[[...]]}` line on stdout.
const write = process.stdout.write.bind(process.stdout)
process.stdout.write = ((chunk: string | Uint8Array, ...rest: Array<never>) => {
  const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8")
  if (!text.startsWith('{"traces":')) return write(chunk, ...rest)
  for (const line of text.split("\n").filter((l) => l.length > 0)) {
    for (const chunkSpans of (JSON.parse(line) as { traces: Array<Array<LoggedSpan>> }).traces) {
      // Only the chunk's first span carries the trace-level `_dd.p.tid`.
      const high = chunkSpans.find((span) => span.meta["_dd.p.tid"] !== undefined)?.meta["_dd.p.tid"] ?? ZERO16
      for (const span of chunkSpans) logged.push(normalise(span, high))
    }
  }
  return true
}) as typeof process.stdout.write

const normalise = (span: LoggedSpan, high: string): FinishedSpan => ({
  name: span.name,
  traceId: `${high}${span.trace_id}`,
  spanId: span.span_id,
  parentId: span.parent_id === ZERO16 ? undefined : span.parent_id,
  resource: span.resource,
  type: span.type,
  error: span.error === 1,
  errorMessage: span.meta["error.message"],
  tags: { ...span.meta, ...span.metrics }
})

let tracer: DdTracer
const increments: Array<Increment> = []

const makeHarness = async () => {
  tracer = (await import("dd-trace")).default.init({ startupLogs: false })
  // DogStatsD sends UDP, which no test can observe offline: record the calls on the real client instead.
  const dogstatsd = tracer.dogstatsd
  const increment = dogstatsd.increment.bind(dogstatsd)
  dogstatsd.increment = (stat, value, tags) => {
    increments.push({ name: stat, value: value ?? 1, tags: { ...(tags as Record<string, unknown>) } })
    increment(stat, value, tags)
  }
  return {
    layer: DdTrace.layer(tracer),
    spans: () => logged,
    increments: async () => increments,
    reset: () => {
      logged.length = 0
      increments.length = 0
    },
    supportsDatadogHeaders: true,
    withBaggage: <A>(span: unknown, fn: () => A): A => {
      ;(span as { setBaggageItem(key: string, value: string): void }).setBaggageItem("user", "secret")
      return fn()
    }
  }
}

runContract("dd-trace", makeHarness)

describe("DdTrace specifics", () => {
  it.effect("make turns dd-trace's built-in durable plugin off, unless told not to", () =>
    Effect.sync(() => {
      const calls: Array<unknown> = []
      const fake = { use: (...args: Array<unknown>) => calls.push(args) } as unknown as DdTracer
      DdTrace.layer(fake)
      DdTrace.layer(fake, { disableBuiltInDurablePlugin: false })
      assert.deepStrictEqual(calls, [["aws-durable-execution-sdk-js", false]])
    })
  )

  it.effect("a throwing DogStatsD client never fails the report", () =>
    Effect.gen(function* () {
      const dogstatsd = tracer.dogstatsd
      const increment = dogstatsd.increment
      dogstatsd.increment = () => {
        throw new Error("socket closed")
      }
      const exit = yield* Effect.exit(
        Effect.flatMap(Effect.service(Telemetry), (telemetry) =>
          telemetry.failure(new DurableTraceError({ location: "inject", reason: "inject threw" }))
        ).pipe(Effect.provide(DdTrace.layer(tracer)))
      )
      dogstatsd.increment = increment
      assert.strictEqual(exit._tag, "Success")
    })
  )

  it.effect("names the span's integration as dd-trace's own plugins do (`_dd.integration`)", () =>
    Effect.gen(function* () {
      logged.length = 0
      const backend = yield* Backend
      backend.finish(backend.startSpan("claimed", { parent: ROOT, integration: "aws-durable-execution-sdk-js" }))
      backend.finish(backend.startSpan("unclaimed", { parent: ROOT }))
      assert.deepStrictEqual(
        logged.map((span) => [span.name, span.tags["_dd.integration"]]),
        [
          ["claimed", "aws-durable-execution-sdk-js"],
          ["unclaimed", "opentracing"]
        ]
      )
    }).pipe(Effect.provide(DdTrace.layer(tracer)))
  )

  it.effect("layer uses the process's dd-trace singleton", () =>
    Effect.gen(function* () {
      logged.length = 0
      const backend = yield* Backend
      assert.strictEqual(backend.name, "dd-trace")
      backend.finish(backend.startSpan("from-singleton", { parent: ROOT }))
      assert.deepStrictEqual(
        logged.map((span) => span.name),
        ["from-singleton"]
      )
    }).pipe(Effect.provide(DdTrace.layerGlobal()))
  )
})
