/**
 * The Schemas and the lazy hot-path accessors describe one contract: on every event the Schema accepts, the
 * accessors read the same values; on inputs it rejects, the accessors still never throw.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Checkpoint from "../src/Checkpoint.ts"
import * as DurableEvent from "../src/DurableEvent.ts"
import * as DurableEventSchema from "../src/DurableEventSchema.ts"
import { ARN, checkpointOp, ddHeaders, durableEvent, executionOp, stepOp } from "./fixtures.ts"

const nonEmpty = (value: string | undefined) =>
  value === undefined || value === "" ? Option.none() : Option.some(value)

describe("DurableEventSchema", () => {
  it("decodes the events the SDK sends, in list and map form", () => {
    const list = durableEvent([executionOp(), stepOp("a"), checkpointOp(0, ddHeaders("5"))], "m2")
    const map = durableEvent({ "0": executionOp(), "1": stepOp("a") })
    assert.isTrue(Option.isSome(DurableEventSchema.decodeInvocationEvent(list)))
    assert.isTrue(Option.isSome(DurableEventSchema.decodeInvocationEvent(map)))
    assert.isTrue(Option.isNone(DurableEventSchema.decodeInvocationEvent({ DurableExecutionArn: ARN })))
    assert.isTrue(Option.isNone(DurableEventSchema.decodeInvocationEvent(null)))
  })

  it.prop(
    "the lazy accessors agree with Schema decoding on every valid event",
    [DurableEventSchema.InvocationEvent],
    ([event]) => {
      const operations = event.InitialExecutionState.Operations
      const list = Array.isArray(operations) ? operations : Object.values(operations)
      assert.deepStrictEqual(DurableEvent.executionArn(event), nonEmpty(event.DurableExecutionArn))
      assert.deepStrictEqual(DurableEvent.checkpointToken(event), nonEmpty(event.CheckpointToken))
      assert.deepStrictEqual(DurableEvent.initialOperations(event), list)
      assert.deepStrictEqual(DurableEvent.initialNextMarker(event), nonEmpty(event.InitialExecutionState.NextMarker))
      // The hot path's one pass over names finds exactly the canonical checkpoint names the decoded list holds.
      assert.deepStrictEqual(
        Checkpoint.collect(DurableEvent.initialOperations(event), []).map((c) => c.n),
        list.flatMap((op) => Option.toArray(Checkpoint.parseCheckpointName(op.Name)))
      )
    }
  )

  it.prop("accessors never throw where the Schema rejects", [Schema.Json], ([json]) => {
    DurableEvent.executionArn(json)
    DurableEvent.initialOperations(json)
    DurableEvent.initialNextMarker(json)
    DurableEvent.traceableInput(json)
  })
})
