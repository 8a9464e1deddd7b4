/**
 * Benchmark 1, the reader: which context an invocation continues. durable-trace's reader against
 * datadog-lambda-js's `DurableExecutionEventTraceExtractor`, over the same events and the same dd-trace, at 10,
 * 1,000 and 10,000 operations. Ours is timed three times: the pure decision (`Checkpoint.scan`, then dd-trace's
 * extraction), the read the Lambda wrapper runs (`CheckpointLog.settled` + `ReadSettled.decide`, no Effect run
 * on a single-page event) and the Effect program (`CheckpointLog.make` + `Reader.read` on a prebuilt runtime with
 * `runSync`), so the Effect runtime's share is visible on its own.
 */
import * as DdTrace from "@durable-trace/adapters/DdTrace"
import * as Checkpoint from "@durable-trace/core/Checkpoint"
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import * as DurableEvent from "@durable-trace/core/DurableEvent"
import * as Headers from "@durable-trace/core/Headers"
import * as Reader from "@durable-trace/core/Reader"
import * as ReadSettled from "@durable-trace/core/ReadSettled"
import { TracePropagation } from "@durable-trace/core/TracePropagation"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { EXECUTION_ARN, makeEvent, SIZES } from "./events.ts"
import { compare, micros, nanosPer, ratio, type Stats, sync, table } from "./measure.ts"
import { require, tracer } from "./tracer.ts"

/** What a reader hands back: a dd-trace span context, or datadog-lambda-js's wrapper of one. */
interface Extracted {
  toTraceId(): string
  toSpanId(): string
}

const { DurableExecutionEventTraceExtractor } =
  require("datadog-lambda-js/dist/trace/context/extractors/durable-execution.js") as {
    DurableExecutionEventTraceExtractor: new (wrapper: unknown) => { extract(event: unknown): Extracted | null }
  }
const { TracerWrapper } = require("datadog-lambda-js/dist/trace/tracer-wrapper.js") as {
  TracerWrapper: new () => unknown
}

/** One size's timings. */
export interface ReaderResult {
  readonly size: number
  readonly datadog: Stats
  readonly pure: Stats
  /** What the wrapper runs: the target's figure. */
  readonly wrapper: Stats
  readonly effect: Stats
}

/** A checkpoint payload as durable-trace writes it with dd-trace: Datadog and W3C headers of a fresh span. */
const checkpointPayload = (): string => {
  const carrier: Record<string, string> = {}
  tracer.inject(tracer.startSpan("aws.durable.execute"), "text_map", carrier)
  return JSON.stringify(Option.getOrThrow(Headers.fromCarrier(carrier)))
}

export const run = async (): Promise<ReadonlyArray<ReaderResult>> => {
  const datadog = new DurableExecutionEventTraceExtractor(new TracerWrapper())
  const runtime = ManagedRuntime.make(Layer.mergeAll(DdTrace.layer(tracer), CheckpointStore.layerTest()))
  await runtime.context()
  const propagation = runtime.runSync(Effect.service(TracePropagation))

  const pure = (event: unknown): Extracted | null => {
    const latest = Checkpoint.scan(DurableEvent.initialOperations(event), EXECUTION_ARN).latest
    return Option.isSome(latest) ? tracer.extract("text_map", { ...latest.value.headers }) : null
  }
  const wrapper = (event: unknown): Extracted | null => {
    const log = CheckpointLog.settled(event, EXECUTION_ARN)
    const read = log === undefined ? undefined : ReadSettled.decide(event, undefined, log, propagation)?.result
    return read !== undefined && Option.isSome(read.context)
      ? DdTrace.native.fromRemote(read.context.value.native)
      : null
  }
  const effect = (event: unknown): Extracted | null => {
    const read = runtime.runSync(
      Effect.flatMap(CheckpointLog.make(event, EXECUTION_ARN), (log) => Reader.read(event, undefined, { log }))
    )
    return Option.isSome(read.context) ? DdTrace.native.fromRemote(read.context.value.native) : null
  }

  const results: Array<ReaderResult> = []
  for (const size of SIZES) {
    // An older checkpoint of another trace, and the latest one near the end: every reader must pick the latest.
    const older = checkpointPayload()
    const latest = checkpointPayload()
    const event = makeEvent(size, [older, latest])
    const expected = JSON.parse(latest)["x-datadog-trace-id"]
    for (const [name, read] of [
      ["datadog-lambda-js", (e: unknown) => datadog.extract(e)],
      ["pure", pure],
      ["wrapper", wrapper],
      ["effect", effect]
    ] as const) {
      const traceId = read(event)?.toTraceId()
      if (traceId !== expected) throw new Error(`reader ${name} at ${size}: continued ${traceId}, not ${expected}`)
    }
    const timings = await compare({
      datadog: sync(() => datadog.extract(event)),
      pure: sync(() => pure(event)),
      wrapper: sync(() => wrapper(event)),
      effect: sync(() => effect(event))
    })
    results.push({ size, ...timings })
  }
  await runtime.dispose()
  return results
}

/** The markdown section. */
export const report = (results: ReadonlyArray<ReaderResult>): string => {
  const rows = results.flatMap(({ size, datadog, pure, wrapper, effect }) =>
    (
      [
        ["datadog-lambda-js `DurableExecutionEventTraceExtractor`", datadog],
        ["durable-trace, pure (`Checkpoint.scan` + `tracer.extract`)", pure],
        ["durable-trace, as the wrapper reads (`CheckpointLog.settled` + `ReadSettled.decide`)", wrapper],
        ["durable-trace, `CheckpointLog.make` + `Reader.read` (runSync)", effect]
      ] as const
    ).map(([name, s]) => [
      size.toLocaleString("en-US"),
      name,
      micros(s.median),
      micros(s.p95),
      nanosPer(s.median, size),
      ratio(s.median, datadog.median)
    ])
  )
  return table(["operations", "reader", "median µs", "p95 µs", "ns / operation", "vs Datadog"], rows)
}
