/**
 * `ExecutionHistory.analyse`: invocations delimited by `InvocationCompleted`, what each continued and wrote, and
 * one named case per verdict and per break. Events are shaped like the local runner's
 * `GetDurableExecutionHistory` (the live-inspect CLI test runs the captured ones).
 */
import { assert, describe, it } from "@effect/vitest"
import * as Checkpoint from "../src/Checkpoint.ts"
import * as ExecutionHistory from "../src/ExecutionHistory.ts"
import { ARN, ddHeaders } from "./fixtures.ts"

/** The ids the known writers give checkpoint `n` of the analysed execution (SPEC §3.3a). */
const OURS = (n: number) => Checkpoint.checkpointOperationId(Checkpoint.checkpointName(n), ARN)
const DD_TRACE_JS = (n: number) => Checkpoint.ddTraceJsOperationId(Checkpoint.checkpointName(n), ARN)
/** What the SDK gives a user's step: the first 16 hex of the MD5 of its position, here the first step's. */
const SDK_STEP_ID = "c4ca4238a0b92382"

let eventId = 0
const started = () => ({
  EventType: "ExecutionStarted",
  EventId: ++eventId,
  Id: "6cce83ef-f155-4cb6-bcd8-bf7fe297d8df",
  EventTimestamp: "2026-12-02T05:50:22.737Z",
  ExecutionStartedDetails: { Input: { Payload: '{"orderId":"o-1"}' } }
})
const step = (name: string, payload: unknown, id = `${name.length}`.padStart(16, "a")) => [
  { EventType: "StepStarted", SubType: "Step", EventId: ++eventId, Id: id, Name: name, StepStartedDetails: {} },
  {
    EventType: "StepSucceeded",
    SubType: "Step",
    EventId: ++eventId,
    Id: id,
    Name: name,
    StepSucceededDetails: {
      Result: { Payload: typeof payload === "string" ? payload : JSON.stringify(payload) },
      RetryDetails: {}
    }
  }
]
const checkpoint = (n: number, payload: unknown, id = OURS(n)) => step(`_datadog_${n}`, payload, id).slice(1) // the writer's checkpoint is one SUCCEED update
/** A user's step that happens to be named `_datadog_{n}`: the SDK's id, START and SUCCEED. */
const userStep = (n: number, payload: unknown) => step(`_datadog_${n}`, payload, SDK_STEP_ID)
const wait = () => [{ EventType: "WaitStarted", SubType: "Wait", EventId: ++eventId, Id: "c81e728d9d4c2f63" }]
const completed = (requestId: string, error?: unknown) => ({
  EventType: "InvocationCompleted",
  EventId: ++eventId,
  InvocationCompletedDetails: {
    StartTimestamp: "2026-12-02T05:50:22.737Z",
    EndTimestamp: "2026-12-02T05:50:22.798Z",
    RequestId: requestId,
    Error: error ?? {}
  }
})

const ANCHOR = "1000"
const OTHER_TRACE = "1152921504606846976"

const analyse = (events: ReadonlyArray<unknown>, status: ExecutionHistory.ExecutionStatus = "SUCCEEDED") =>
  ExecutionHistory.analyse(ARN, events, status)

describe("ExecutionHistory.analyse", () => {
  it("continuous: each invocation continues the checkpoint the one before wrote", () => {
    const { invocations, verdict } = analyse([
      started(),
      ...step("reserve", '"ok"'),
      ...checkpoint(0, ddHeaders(ANCHOR)),
      ...wait(),
      completed("r1"),
      ...step("ship", '"shipped"'),
      completed("r2")
    ])
    assert.strictEqual(verdict._tag, "continuous")
    assert.deepStrictEqual(
      invocations.map((i) => [i.index, i.requestId, i.operationsSeen, i.continued.source, i.continued.checkpoint]),
      [
        [1, "r1", 1, "none", undefined],
        [2, "r2", 3, "checkpoint", "_datadog_0"]
      ]
    )
    assert.deepStrictEqual(
      invocations[0]!.wrote.map((w) => [w.name, w.writer, w.valid, w.parentId]),
      [["_datadog_0", "durable-trace", true, "00000000000003e8"]]
    )
  })

  const verdicts: ReadonlyArray<{
    readonly name: string
    readonly events: () => ReadonlyArray<unknown>
    readonly status?: ExecutionHistory.ExecutionStatus
    readonly verdict: Partial<ExecutionHistory.Verdict> & { readonly _tag: ExecutionHistory.Verdict["_tag"] }
  }> = [
    {
      name: "broken_noCheckpointToContinue: invocation 1 suspended without writing, invocation 2 wrote",
      events: () => [started(), ...wait(), completed("r1"), ...checkpoint(0, ddHeaders(ANCHOR)), completed("r2")],
      verdict: { _tag: "broken", invocation: 2, code: "no_checkpoint_to_continue" }
    },
    {
      name: "broken_noValidCheckpoint: the only checkpoint is corrupt",
      events: () => [started(), ...checkpoint(0, '{"x-datadog-trace-id":'), completed("r1"), completed("r2")],
      verdict: { _tag: "broken", invocation: 2, code: "no_valid_checkpoint" }
    },
    {
      name: "broken_traceChanged: invocation 2 wrote another trace",
      events: () => [
        started(),
        ...checkpoint(0, ddHeaders(ANCHOR)),
        completed("r1"),
        ...checkpoint(1, ddHeaders(ANCHOR, "1", OTHER_TRACE)),
        completed("r2")
      ],
      verdict: { _tag: "broken", invocation: 2, code: "trace_changed" }
    },
    {
      name: "broken_anchorChanged: invocation 2 wrote the trace under another anchor",
      events: () => [
        started(),
        ...checkpoint(0, ddHeaders(ANCHOR)),
        completed("r1"),
        ...checkpoint(1, ddHeaders("2000")),
        completed("r2")
      ],
      verdict: { _tag: "broken", invocation: 2, code: "anchor_changed" }
    },
    {
      name: "corruptLatest: a corrupt _datadog_1 above a valid _datadog_0 (the reader skips it: no break)",
      events: () => [
        started(),
        ...checkpoint(0, ddHeaders(ANCHOR)),
        completed("r1"),
        ...checkpoint(1, "not json"),
        completed("r2"),
        completed("r3")
      ],
      verdict: { _tag: "corrupt_latest", checkpoint: "_datadog_1", reason: "no propagation headers" }
    },
    {
      name: "corruptLatest: a user's step named _datadog_1 above a valid _datadog_0 is no checkpoint, and says so",
      events: () => [
        started(),
        ...checkpoint(0, ddHeaders(ANCHOR)),
        completed("r1"),
        ...userStep(1, ddHeaders(ANCHOR)),
        completed("r2"),
        completed("r3")
      ],
      verdict: { _tag: "corrupt_latest", checkpoint: "_datadog_1", reason: "not a checkpoint id" }
    },
    {
      name: "otherWriter: a checkpoint with dd-trace-js's id (dd-trace's own integration)",
      events: () => [started(), ...checkpoint(0, ddHeaders(ANCHOR), DD_TRACE_JS(0)), completed("r1"), completed("r2")],
      verdict: { _tag: "other_writer", checkpoints: ["_datadog_0"] }
    },
    {
      name: "otherWriter: dd-trace-js's checkpoint beside ours",
      events: () => [
        started(),
        ...checkpoint(0, ddHeaders(ANCHOR)),
        ...checkpoint(1, ddHeaders(ANCHOR), DD_TRACE_JS(1)),
        completed("r1"),
        completed("r2")
      ],
      verdict: { _tag: "other_writer", checkpoints: ["_datadog_1"] }
    },
    {
      name: "continuous: a user's step named _datadog_0 (the SDK's id) below our checkpoint is no other writer",
      events: () => [
        started(),
        ...userStep(0, ddHeaders(ANCHOR)),
        ...checkpoint(1, ddHeaders(ANCHOR)),
        completed("r1"),
        completed("r2")
      ],
      verdict: { _tag: "continuous", invocations: 2 }
    },
    {
      name: "noCheckpoint: only a user's step named _datadog_0, whatever its result holds",
      events: () => [started(), ...userStep(0, ddHeaders(ANCHOR)), completed("r1"), completed("r2")],
      verdict: { _tag: "no_checkpoint", invocations: 2 }
    },
    {
      name: "noCheckpoint: our id, but another execution's (an id is only a checkpoint's in its own execution)",
      events: () => [
        started(),
        ...checkpoint(0, ddHeaders(ANCHOR), Checkpoint.checkpointOperationId("_datadog_0", `${ARN}0`)),
        completed("r1"),
        completed("r2")
      ],
      verdict: { _tag: "no_checkpoint", invocations: 2 }
    },
    {
      name: "noCheckpoint: two invocations, tracing never wrote",
      events: () => [started(), ...wait(), completed("r1"), ...step("ship", '"ok"'), completed("r2")],
      verdict: { _tag: "no_checkpoint", invocations: 2 }
    },
    {
      name: "running: continuous so far, one invocation in flight",
      events: () => [started(), ...checkpoint(0, ddHeaders(ANCHOR)), completed("r1"), ...step("ship", '"ok"')],
      status: "RUNNING",
      verdict: { _tag: "running" }
    }
  ]
  for (const { name, events, status, verdict } of verdicts) {
    it(name, () => {
      assert.deepInclude(analyse(events(), status).verdict, verdict, name)
    })
  }

  it("an invocation still in flight is listed with no end", () => {
    const { invocations } = analyse([started(), completed("r1"), ...step("ship", '"ok"')], "RUNNING")
    assert.strictEqual(invocations.length, 2)
    assert.strictEqual(invocations[1]!.endTimestamp, undefined)
    assert.strictEqual(invocations[1]!.requestId, undefined)
  })

  it("an invocation that ended in an error says so", () => {
    const { invocations } = analyse([
      started(),
      completed("r1", { Payload: { ErrorType: "Error", ErrorMessage: "invalid order" } })
    ])
    assert.strictEqual(invocations[0]!.error, "Error: invalid order")
  })

  it("a corrupt checkpoint skipped by a later invocation is listed as skipped", () => {
    const { invocations } = analyse([
      started(),
      ...checkpoint(0, ddHeaders(ANCHOR)),
      completed("r1"),
      ...checkpoint(1, "not json"),
      completed("r2"),
      completed("r3")
    ])
    assert.deepStrictEqual(invocations[2]!.continued.skipped, [
      { name: "_datadog_1", id: OURS(1), reason: "no propagation headers" }
    ])
    assert.strictEqual(invocations[2]!.continued.checkpoint, "_datadog_0")
  })

  it("a user's step named like a checkpoint: written by no known writer, not a checkpoint id, skipped as one", () => {
    const { invocations } = analyse([
      started(),
      ...checkpoint(0, ddHeaders(ANCHOR)),
      completed("r1"),
      ...userStep(1, ddHeaders("2000")),
      completed("r2"),
      completed("r3")
    ])
    assert.deepStrictEqual(
      invocations[1]!.wrote.map((w) => [w.name, w.id, w.writer, w.valid, w.problem, w.traceId]),
      [["_datadog_1", SDK_STEP_ID, "none", false, "not a checkpoint id", undefined]]
    )
    assert.deepStrictEqual(invocations[1]!.breaks, [], "its headers are not a trace it wrote: no anchor_changed")
    assert.deepStrictEqual(invocations[2]!.continued.skipped, [
      { name: "_datadog_1", id: SDK_STEP_ID, reason: "not a checkpoint id" }
    ])
    assert.strictEqual(invocations[2]!.continued.checkpoint, "_datadog_0")
  })

  it("each known writer's checkpoint is named for its writer; Python's id is ours, so it reads as durable-trace", () => {
    const { invocations } = analyse([
      started(),
      ...checkpoint(0, ddHeaders(ANCHOR)),
      ...checkpoint(1, ddHeaders(ANCHOR), DD_TRACE_JS(1)),
      completed("r1")
    ])
    assert.deepStrictEqual(
      invocations[0]!.wrote.map((w) => [w.name, w.writer, w.valid, w.problem]),
      [
        ["_datadog_0", "durable-trace", true, undefined],
        ["_datadog_1", "dd-trace-js", true, undefined]
      ]
    )
  })

  it("the state rebuilt from the history lists each operation once, as the state API would", () => {
    const { operations } = analyse([
      started(),
      ...step("a", '"1"'),
      ...checkpoint(0, ddHeaders(ANCHOR)),
      completed("r1")
    ])
    assert.deepStrictEqual(
      operations.map((o) => (o as { Type: string; Name?: string }).Name ?? (o as { Type: string }).Type),
      ["EXECUTION", "a", "_datadog_0"]
    )
  })
})
