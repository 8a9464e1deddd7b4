/**
 * The settled read and write (SPEC §3, §4.8): on an event whose first page is the whole state, the reader and the
 * writer decide without running an Effect, with what the Effect programs would decide and report.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as CheckpointLog from "../src/CheckpointLog.ts"
import { DurableTraceError } from "../src/Errors.ts"
import * as ReadSettled from "../src/ReadSettled.ts"
import * as SyncPort from "../src/SyncPort.ts"
import { TracePropagation, testSpan } from "../src/TracePropagation.ts"
import * as Writer from "../src/Writer.ts"
import { ARN, checkpointOp, ddHeaders, durableEvent, executionOp } from "./fixtures.ts"

const propagationOf = (options: Parameters<typeof TracePropagation.layerTest>[0] = {}) =>
  Effect.runSync(Effect.service(TracePropagation).pipe(Effect.provide(TracePropagation.layerTest(options))))

describe("ReadSettled.decide (SPEC §3)", () => {
  it("continues the latest valid checkpoint of a single-page event, with nothing to report", () => {
    const event = durableEvent([
      executionOp(),
      checkpointOp(0, ddHeaders("1000", "1")),
      checkpointOp(1, ddHeaders("2000", "2"))
    ])
    const log = CheckpointLog.settled(event, ARN)!
    const decided = ReadSettled.decide(event, undefined, log, propagationOf())!
    assert.strictEqual(decided.result.source, "checkpoint")
    assert.strictEqual(Option.getOrThrow(decided.result.checkpoint).n, 1)
    assert.deepStrictEqual(decided.failures, [])
  })

  it("leaves a paged event to the Effect reader: no settled log, and no decision for a log that pages", () => {
    const event = durableEvent([executionOp()], "marker-2")
    assert.isUndefined(CheckpointLog.settled(event, ARN))
    const paged = Effect.runSync(CheckpointLog.makeWith(undefined as never, event, ARN))
    assert.isUndefined(ReadSettled.decide(event, undefined, paged, propagationOf()))
  })

  it("returns the failures it met, in order, and moves on down the chain", () => {
    const event = durableEvent([executionOp(), checkpointOp(0, ddHeaders("1000", "1")), checkpointOp(1, "not json")])
    const log = CheckpointLog.settled(event, ARN)!
    const decided = ReadSettled.decide(event, undefined, log, propagationOf({ failExtract: new Error("broken") }))!
    assert.deepStrictEqual(
      decided.failures.map((failure) => failure.location),
      ["read_checkpoint", "extract"]
    )
    assert.strictEqual(decided.result.source, "none")
  })
})

describe("Writer.prepareSettled (SPEC §4.8)", () => {
  it("decides a first save, then finds the same context unchanged, on the log's own record", () => {
    const propagation = propagationOf()
    const log = CheckpointLog.settled(durableEvent([executionOp()]), ARN)!
    const executeSpan = testSpan(ddHeaders("3000", "1"))
    const first = Writer.prepareSettled({ log, executeSpan }, propagation)
    assert.isTrue(first !== undefined && !(first instanceof DurableTraceError) && !("_tag" in first))
    const prepared = first as Writer.PreparedCheckpoint
    assert.strictEqual(prepared.n, 0)
    CheckpointLog.settledFace(log)!.recordWrite(prepared.n, prepared.payload)
    assert.deepStrictEqual(Writer.prepareSettled({ log, executeSpan }, propagation), { _tag: "Unchanged", prior: 0 })
  })

  it("fails at inject when the backend throws, and leaves a paged log to the Effect program", () => {
    const log = CheckpointLog.settled(durableEvent([executionOp()]), ARN)!
    const failed = Writer.prepareSettled(
      { log, executeSpan: testSpan(ddHeaders("3000", "1")) },
      propagationOf({ failInject: new Error("broken") })
    )
    assert.instanceOf(failed, DurableTraceError)
    assert.strictEqual((failed as DurableTraceError).location, "inject")
    const paged = Effect.runSync(CheckpointLog.makeWith(undefined as never, durableEvent([executionOp()], "m"), ARN))
    assert.isUndefined(
      Writer.prepareSettled({ log: paged, executeSpan: testSpan(ddHeaders("3000", "1")) }, propagationOf())
    )
  })
})

describe("SyncPort.exitOf", () => {
  it("takes an Exit as it is, runs a suspended effect, and makes a throw a defect", () => {
    const exit = Exit.succeed(1)
    assert.strictEqual(
      SyncPort.exitOf(() => exit),
      exit
    )
    assert.deepStrictEqual(
      SyncPort.exitOf(() => Effect.sync(() => 2)),
      Exit.succeed(2)
    )
    const thrown = SyncPort.exitOf((): Effect.Effect<number, DurableTraceError> => {
      throw new Error("backend threw")
    })
    assert.isTrue(Exit.isFailure(thrown))
    if (Exit.isFailure(thrown)) assert.strictEqual(SyncPort.failureAt(thrown.cause, "inject").location, "inject")
  })
})
