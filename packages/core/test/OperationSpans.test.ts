/**
 * The operation span rules (SPEC §5.2): where a span made after the fact hangs, its window, which invocation
 * emits an operation's span, and when it is live. Laws as property tests, the SDK's vocabulary as vectors.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Schema from "effect/Schema"
import * as OperationSpans from "../src/OperationSpans.ts"

const time = Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 4_000_000_000_000 })))
const maybeTime = Arbitrary.schema(
  Schema.UndefinedOr(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 4_000_000_000_000 })))
)
const bool = Arbitrary.schema(Schema.Boolean)
const STATUSES = ["STARTED", "READY", "PENDING", "SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED", "CANCELLED"]
const status = Arbitrary.schema(Schema.UndefinedOr(Schema.Literals(STATUSES)))
const operationType = Arbitrary.schema(Schema.Literals(["STEP", "CONTEXT", "WAIT", "CALLBACK", "CHAINED_INVOKE"]))

describe("OperationSpans laws", () => {
  it.prop(
    "a window never starts before its parent, never ends before it starts",
    { serviceStart: maybeTime, serviceEnd: maybeTime, parentStart: maybeTime, now: time },
    ({ serviceStart, serviceEnd, parentStart, now }) => {
      const w = OperationSpans.window({ serviceStart, serviceEnd, parentStart, now })
      if (parentStart !== undefined) assert.isAtLeast(w.start, parentStart)
      assert.isAtLeast(w.end, w.start)
    }
  )

  it.prop(
    "a window is the service's own when it fits in the parent",
    { serviceStart: time, length: time, parentStart: maybeTime, now: time },
    ({ serviceStart, length, parentStart, now }) => {
      if (parentStart !== undefined && parentStart > serviceStart) return
      const w = OperationSpans.window({ serviceStart, serviceEnd: serviceStart + length, parentStart, now })
      assert.deepStrictEqual(w, { start: serviceStart, end: serviceStart + length })
    }
  )

  it.prop(
    "an operation carried from an earlier invocation hangs under the anchor when one is known, never under a live span",
    { carried: bool, parentLive: bool, anchorKnown: bool },
    ({ carried, parentLive, anchorKnown }) => {
      const placed = OperationSpans.placement({ carried, parentLive, anchorKnown })
      if (carried) assert.strictEqual(placed, anchorKnown ? "anchor" : "execute")
      else assert.strictEqual(placed, parentLive ? "parent" : "execute")
    }
  )

  it.prop(
    "exactly one invocation emits an operation: the first to see it ended, however many replay it",
    { statusAtStart: status, updated: bool, type: operationType },
    ({ statusAtStart, updated, type }) => {
      const operation = { type }
      const emits = OperationSpans.emitsOnEnd(operation, statusAtStart, updated)
      // Ended before this invocation: only a service-side completion not seen since (a step or child context
      // ends inside the invocation that runs it, which emitted it); otherwise it ends here: always.
      const ended = OperationSpans.isTerminal(statusAtStart)
      assert.strictEqual(emits, !ended || (updated && OperationSpans.completesOutside(operation)))
      if (ended && (type === "STEP" || type === "CONTEXT")) assert.isFalse(emits, "a replayed step is never redrawn")
    }
  )

  it.prop(
    "asking lazily decides the same, and asks whether the operation was updated only where that can change it",
    { statusAtStart: status, updated: bool, type: operationType },
    ({ statusAtStart, updated, type }) => {
      const operation = { type }
      let asked = 0
      const emits = OperationSpans.emitsOnEndAsking(operation, statusAtStart, () => {
        asked++
        return updated
      })
      assert.strictEqual(emits, OperationSpans.emitsOnEnd(operation, statusAtStart, updated))
      // A replayed step or context, or an operation not ended at the start, never costs the pass over the state.
      const matters = OperationSpans.isTerminal(statusAtStart) && OperationSpans.completesOutside(operation)
      assert.strictEqual(asked, matters ? 1 : 0)
    }
  )

  it.prop(
    "the execution span never starts before the anchor, and is the service's start when that fits",
    { serviceStart: maybeTime, anchorStart: maybeTime, firstWork: maybeTime },
    ({ serviceStart, anchorStart, firstWork }) => {
      const start = OperationSpans.executionStart({ serviceStart, anchorStart, firstWork })
      const floor = anchorStart ?? firstWork
      if (floor !== undefined) assert.isAtLeast(start!, floor)
      if (serviceStart !== undefined && (floor === undefined || serviceStart >= floor)) {
        assert.strictEqual(start, serviceStart)
      }
    }
  )

  it.prop(
    "a live span only for an operation new in this invocation that runs work",
    {
      statusAtStart: status,
      type: Arbitrary.schema(Schema.Literals(["STEP", "WAIT", "CALLBACK", "CONTEXT", "CHAINED_INVOKE"]))
    },
    ({ statusAtStart, type }) => {
      const live = OperationSpans.opensLive({ type }, statusAtStart)
      if (statusAtStart !== undefined || type === "WAIT" || type === "CALLBACK") assert.isFalse(live)
      else assert.isTrue(live)
    }
  )

  it.prop(
    "updated since: the service's list decides when it lists anything",
    { listed: bool, start: maybeTime, end: maybeTime, last: maybeTime },
    ({ listed, start, end, last }) => {
      assert.strictEqual(
        OperationSpans.updatedSince({ listed, listKnown: true, start, end, lastActivity: last }),
        listed
      )
    }
  )

  it.prop(
    "updated since, without a list: an operation ending after an earlier invocation's last work",
    { end: time, last: time },
    ({ end, last }) => {
      assert.strictEqual(
        OperationSpans.updatedSince({ listed: false, listKnown: false, start: undefined, end, lastActivity: last }),
        end >= last
      )
    }
  )

  it.prop("a drained completion is emitted at most once", { emitted: bool, status }, ({ emitted, status }) => {
    if (emitted) assert.isFalse(OperationSpans.drainsAtEnd({ type: "WAIT" }, status, emitted))
  })
})

describe("OperationSpans vectors", () => {
  it("the last work of earlier invocations: steps' starts and ends, child contexts' ends; not waits or callbacks", () => {
    assert.strictEqual(
      OperationSpans.lastActivity([
        { type: "STEP", start: 1, end: 5 },
        { type: "WAIT", start: 9, end: 50 },
        { type: "CALLBACK", start: 10, end: undefined },
        { type: "CONTEXT", start: 2, end: 7 }
      ]),
      7
    )
    assert.isUndefined(OperationSpans.lastActivity([{ type: "WAIT", start: 1, end: 2 }]))
  })

  it("tags attempts from 1, outcomes lowercase", () => {
    assert.strictEqual(OperationSpans.attemptTags("id", "charge", 2)["aws.durable.attempt"], 2)
    assert.strictEqual(OperationSpans.attemptTags("id", "charge", Number.NaN)["aws.durable.attempt"], 1)
    assert.deepStrictEqual(OperationSpans.attemptOutcomeTags("FAILED"), { "aws.durable.attempt_outcome": "failed" })
  })

  it("an execution span only for a terminal invocation", () => {
    assert.deepStrictEqual(["SUCCEEDED", "FAILED", "PENDING", "RETRYING"].map(OperationSpans.endsExecution), [
      true,
      true,
      false,
      false
    ])
  })

  it("reads only valid dates", () => {
    assert.strictEqual(OperationSpans.millis(new Date(5)), 5)
    assert.isUndefined(OperationSpans.millis(new Date(Number.NaN)))
    assert.isUndefined(OperationSpans.millis("2026-01-01T00:00:00Z"))
  })
})
