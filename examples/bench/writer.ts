/**
 * Benchmark 2, the writer's decision at suspend: durable-trace's `Writer.save` against dd-trace's
 * `saveTraceContextCheckpointIfUpdated` (its built-in plugin's `trace-checkpoint.js`), each with a recording
 * checkpoint sink, over the same events and the same dd-trace. Three scenarios: the first save (no checkpoint
 * yet), an unchanged resume (same trace: nothing to write) and a changed resume (same trace, the user kept it: the
 * sampling priority changed, write N+1). Ours carries the invocation number (SPEC §11), as the plugin does: the
 * first save is invocation 1's; the changed resume is invocation 2's; the unchanged resume saves again in the
 * invocation that wrote the checkpoint (a second save of invocation 1, as map branches or a retried suspend make):
 * with the number in the checkpoint, a resume in a new invocation always writes.
 * Each side resumes from the checkpoint it wrote itself. Ours is timed as a pure decision (the same steps
 * without Effect) and as the Effect program (`CheckpointLog.make` + `Writer.save` with its timeout, `runSync` on
 * a prebuilt runtime; on these single-page events `Writer.save` decides through `Writer.prepareSettled`, as the
 * plugin does, and only the write runs as an Effect). Ours includes the scan of the operations, which the binding
 * shares with the reader; Datadog's writer scans them itself too.
 */
import * as DdTrace from "@durable-trace/adapters/DdTrace"
import * as Checkpoint from "@durable-trace/core/Checkpoint"
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore, type CheckpointUpdate } from "@durable-trace/core/CheckpointStore"
import * as DurableEvent from "@durable-trace/core/DurableEvent"
import * as DurableMember from "@durable-trace/core/DurableMember"
import * as Headers from "@durable-trace/core/Headers"
import * as Writer from "@durable-trace/core/Writer"
import type { Span } from "dd-trace"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { EXECUTION_ARN, makeEvent, SIZES } from "./events.ts"
import { awaited, compare, micros, ratio, type Stats, sync, table } from "./measure.ts"
import { internalTracer, requireDurablePluginFile, tracer } from "./tracer.ts"

/** An update as dd-trace's writer queues it on the SDK's checkpoint manager. */
interface QueuedUpdate {
  readonly Action: string
  readonly Name: string
  readonly Payload?: string
}

const { saveTraceContextCheckpointIfUpdated } = requireDurablePluginFile<{
  saveTraceContextCheckpointIfUpdated: (
    tracer: unknown,
    span: Span,
    durableContext: unknown,
    firstExecutionSpanId: string | undefined,
    event: unknown
  ) => Promise<void>
}>("trace-checkpoint.js")

/** The scenarios, in the order an execution meets them. */
export const SCENARIOS = ["first save", "unchanged resume", "changed resume"] as const
export type Scenario = (typeof SCENARIOS)[number]

/** One scenario at one size. */
export interface WriterResult {
  readonly scenario: Scenario
  readonly size: number
  readonly datadog: Stats
  readonly pure: Stats
  readonly effect: Stats
}

/** What a writer sent last: the name and payload of its SUCCEED update. */
interface Sent {
  readonly name: string
  readonly payload: string | undefined
}

/** Keeps the last send of a writer: dd-trace's through a fake SDK checkpoint manager, ours through the store. */
class Recorder {
  #last: Sent | undefined = undefined

  readonly record = (name: string, payload: string | undefined): void => {
    this.#last = { name, payload }
  }

  readonly checkpointManager = {
    checkpoint: (_stepId: string, update: QueuedUpdate): Promise<void> => {
      if (update.Action === "SUCCEED") this.record(update.Name, update.Payload)
      return Promise.resolve()
    }
  }

  readonly store = CheckpointStore.of({
    page: () => Effect.die("the benchmark events have a single page"),
    write: (update: CheckpointUpdate) => Effect.sync(() => this.record(update.Name, update.Payload))
  })

  get last(): Sent | undefined {
    return this.#last
  }

  /** What `save` sends, if anything. */
  async sentBy(save: () => unknown): Promise<Sent | undefined> {
    this.#last = undefined
    await save()
    return this.#last
  }
}

/** Writer.save's steps as plain functions: what the decision costs without the Effect runtime. */
const pureSave = (
  event: unknown,
  span: Span,
  invocation: number,
  write: (update: CheckpointUpdate) => void
): boolean => {
  const carrier: Record<string, string> = {}
  tracer.inject(span, "text_map", carrier)
  const current = DurableMember.withInvocation(Option.getOrThrow(Headers.fromCarrier(carrier)), Option.some(invocation))
  const scan = Checkpoint.scan(DurableEvent.initialOperations(event), EXECUTION_ARN)
  const prior = scan.latest
  if (Option.isSome(prior) && !Headers.needsCheckpointUpdate(prior.value.headers, current)) return false
  const anchor = Option.isSome(prior)
    ? Option.getOrThrow(Headers.parentId(prior.value.headers))
    : (span.context() as unknown as { toSpanId(hex: boolean): string }).toSpanId(true)
  const name = Checkpoint.checkpointName(scan.highestN + 1)
  write({
    Id: Checkpoint.checkpointOperationId(name, EXECUTION_ARN),
    Type: "STEP",
    SubType: "Step",
    Action: "SUCCEED",
    Name: name,
    Payload: JSON.stringify(Headers.anchor(current, anchor))
  })
  return true
}

/** A span continuing the trace a checkpoint payload carries: the execute span of a resumed invocation. */
const resumedSpan = (payload: string): Span =>
  tracer.startSpan("aws.durable.execute", { childOf: tracer.extract("text_map", JSON.parse(payload)) })

/**
 * The same trace, kept by the user (sampling priority 2): the context changed, so both writers write N+1. (A
 * different trace would not do: durable-trace never writes another trace over an execution's checkpoint.)
 */
const kept = (span: Span): Span => {
  span.setTag("manual.keep", true)
  return span
}

export const run = async (): Promise<ReadonlyArray<WriterResult>> => {
  const theirs = new Recorder()
  const ours = new Recorder()
  const durableContext = { checkpointManager: theirs.checkpointManager }
  const runtime = ManagedRuntime.make(Layer.mergeAll(DdTrace.layer(tracer), Layer.succeed(CheckpointStore, ours.store)))
  await runtime.context()

  const datadogSave = (event: unknown, span: Span) =>
    saveTraceContextCheckpointIfUpdated(internalTracer, span, durableContext, span.context().toSpanId(), event)
  const writeOurs = (update: CheckpointUpdate) => ours.record(update.Name, update.Payload)
  const effectSave = (event: unknown, span: Span, invocation: number) =>
    runtime.runSync(
      Effect.flatMap(CheckpointLog.make(event, EXECUTION_ARN), (log) =>
        Writer.save({ log, executeSpan: DdTrace.native.toSpan(span), timeout: "2 seconds", invocation })
      )
    )

  const results: Array<WriterResult> = []
  for (const size of SIZES) {
    // The first invocation: each side saves its own execute span, and resumes from what it wrote.
    const first = makeEvent(size)
    const [theirFirst, ourFirst] = [tracer.startSpan("aws.durable.execute"), tracer.startSpan("aws.durable.execute")]
    await datadogSave(first, theirFirst)
    const ourOutcome = effectSave(first, ourFirst, 1)
    const theirPayload = theirs.last?.payload
    if (theirPayload === undefined || ourOutcome._tag !== "Written") throw new Error(`writer: no first save at ${size}`)
    const resumedTheirs = makeEvent(size, [theirPayload])
    const resumedOurs = makeEvent(size, [JSON.stringify(ourOutcome.payload)])

    const setups: Record<
      Scenario,
      { events: [unknown, unknown]; spans: [Span, Span]; invocation: number; writes: string | undefined }
    > = {
      "first save": { events: [first, first], spans: [theirFirst, ourFirst], invocation: 1, writes: "_datadog_0" },
      "unchanged resume": {
        events: [resumedTheirs, resumedOurs],
        spans: [resumedSpan(theirPayload), resumedSpan(JSON.stringify(ourOutcome.payload))],
        invocation: 1,
        writes: undefined
      },
      "changed resume": {
        events: [resumedTheirs, resumedOurs],
        spans: [kept(resumedSpan(theirPayload)), kept(resumedSpan(JSON.stringify(ourOutcome.payload)))],
        invocation: 2,
        writes: "_datadog_1"
      }
    }
    for (const scenario of SCENARIOS) {
      const { events, spans, invocation, writes } = setups[scenario]
      const [theirEvent, ourEvent] = events
      const [theirSpan, ourSpan] = spans
      // Every writer must take the path the scenario names before it is timed.
      for (const [name, save, recorder] of [
        ["dd-trace", () => datadogSave(theirEvent, theirSpan), theirs],
        ["pure", () => pureSave(ourEvent, ourSpan, invocation, writeOurs), ours],
        ["effect", () => effectSave(ourEvent, ourSpan, invocation), ours]
      ] as const) {
        const sent = await recorder.sentBy(save)
        if (sent?.name !== writes) {
          throw new Error(`writer ${name}, ${scenario} at ${size}: wrote ${sent?.name}, expected ${writes}`)
        }
      }
      const timings = await compare({
        datadog: awaited(() => datadogSave(theirEvent, theirSpan)),
        pure: sync(() => pureSave(ourEvent, ourSpan, invocation, writeOurs)),
        effect: sync(() => effectSave(ourEvent, ourSpan, invocation))
      })
      results.push({ scenario, size, ...timings })
    }
  }
  await runtime.dispose()
  return results
}

/** The markdown section. */
export const report = (results: ReadonlyArray<WriterResult>): string =>
  table(
    [
      "scenario",
      "operations",
      "dd-trace µs",
      "durable-trace pure µs",
      "durable-trace Effect µs",
      "pure vs dd-trace",
      "Effect vs dd-trace"
    ],
    results.map(({ scenario, size, datadog, pure, effect }) => [
      scenario,
      size.toLocaleString("en-US"),
      `${micros(datadog.median)} (p95 ${micros(datadog.p95)})`,
      `${micros(pure.median)} (p95 ${micros(pure.p95)})`,
      `${micros(effect.median)} (p95 ${micros(effect.p95)})`,
      ratio(pure.median, datadog.median),
      ratio(effect.median, datadog.median)
    ])
  )
