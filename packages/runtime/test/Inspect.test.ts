/**
 * `Inspect`: the analysis behind `durable-trace inspect`, over events and state dumps captured from the local
 * runner (fixtures/inspect, see capture.ts) and over broken inputs derived from them.
 */

import { readFileSync } from "node:fs"
import * as Checkpoint from "@durable-trace/core/Checkpoint"
import * as ExecutionInspection from "@durable-trace/core/ExecutionInspection"
import * as Inspection from "@durable-trace/core/Inspection"
import { assert, describe, it } from "@effect/vitest"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Inspect from "../src/Inspect.ts"
import { FIXTURES } from "./fixtures/inspect/capture.ts"
import { stepOperation } from "./support.ts"

type Json = Record<string, unknown>
type Operation = Record<string, unknown>

const fixture = (file: string): Json =>
  JSON.parse(readFileSync(new URL(`./fixtures/inspect/${file}`, import.meta.url), "utf8")) as Json

const first = fixture(FIXTURES.first)
const resumed = fixture(FIXTURES.resumed)
/** Our writer's id of checkpoint `name` in the captured execution (the reader accepts no other, SPEC §3.3a). */
const ourId = (name: string): string => Checkpoint.checkpointOperationId(name, first.DurableExecutionArn as string)
const changed = fixture(FIXTURES.changed)
const runnerOperations = fixture(FIXTURES.operations) as unknown as ReadonlyArray<Operation>

const operationsOf = (event: Json): ReadonlyArray<Operation> =>
  (event.InitialExecutionState as { Operations: ReadonlyArray<Operation> }).Operations

/** `event` with its operation list replaced. */
const withOperations = (event: Json, f: (operations: ReadonlyArray<Operation>) => ReadonlyArray<Operation>) => ({
  ...event,
  InitialExecutionState: { ...(event.InitialExecutionState as Json), Operations: f(operationsOf(event)) }
})

/** `event` with `operation` appended. */
const withOperation = (event: Json, operation: Operation) => withOperations(event, (ops) => [...ops, operation])

const byName = (event: Json, name: string): Operation => operationsOf(event).find((op) => op.Name === name)!

/** A checkpoint operation as read back (SPEC §2), with `result` as its `StepDetails.Result`. */
const step = (name: string, id: string, result: unknown): Operation => stepOperation(name, id, result, 1)

const HEADERS = {
  "x-datadog-trace-id": "1",
  "x-datadog-parent-id": "2",
  "x-datadog-sampling-priority": "1",
  traceparent: "00-0064757261626c650000000000000001-0000000000000002-01"
}

const report = (input: unknown): Inspection.Report => {
  const result = Inspection.inspect(input)
  if (Result.isFailure(result)) assert.fail(`unreadable: ${result.failure.message}`)
  return result.success
}

const unreadable = (text: string): Inspection.Unreadable => {
  const result = Inspect.inspectText(text)
  if (Result.isSuccess(result)) assert.fail(`read ${text} as a ${result.success.input.kind}`)
  return result.failure
}

const codes = (findings: ReadonlyArray<Inspection.Finding>): ReadonlyArray<string> => findings.map((f) => f.code)
const checkpoint = (r: Inspection.Report, name: string): Inspection.CheckpointReport => {
  const found = r.checkpoints.find((c) => c.name === name)
  assert.isDefined(found, `${name} in ${r.checkpoints.map((c) => c.name)}`)
  return found!
}

describe("Inspect over captured runner events", () => {
  it("first invocation: no checkpoint, a new trace, no anchor, nothing to warn about", () => {
    const r = report(first)
    assert.strictEqual(r.input.kind, "event")
    assert.strictEqual(r.input.executionArn, first.DurableExecutionArn)
    assert.strictEqual(r.input.operations, 1)
    assert.isUndefined(r.input.nextMarker, "the runner's empty NextMarker is no marker")
    assert.deepStrictEqual(r.checkpoints, [])
    assert.strictEqual(r.next.source, "none")
    assert.isUndefined(r.anchor)
    assert.deepStrictEqual(r.warnings, [])
    const text = Inspect.format(r)
    assert.include(text, "Checkpoints (_datadog_* operations): none")
    assert.include(text, "source: none: the invocation starts a new trace")
    assert.include(text, "Warnings: none")
  })

  it("resumed invocation: _datadog_0 valid, written by durable-trace, continued, anchored", () => {
    const r = report(resumed)
    const c = checkpoint(r, "_datadog_0")
    assert.isTrue(c.valid)
    assert.strictEqual(c.n, 0)
    assert.strictEqual(c.idForm, "durable-trace")
    assert.strictEqual(c.id, Checkpoint.checkpointOperationId("_datadog_0", resumed.DurableExecutionArn as string))
    assert.strictEqual(c.headers?.["x-datadog-parent-id"], "2")
    assert.strictEqual(r.next.source, "checkpoint")
    assert.strictEqual(r.next.checkpoint, "_datadog_0")
    assert.strictEqual(r.next.traceId, "0064757261626c650000000000000001")
    assert.strictEqual(r.next.traceIdDecimal, "1")
    assert.strictEqual(r.next.parentId, "0000000000000002")
    assert.deepStrictEqual(r.anchor, {
      parentId: "0000000000000002",
      decimal: "2",
      checkpoint: "_datadog_0",
      shared: true,
      disagreeing: []
    })
    assert.deepStrictEqual(r.warnings, [])
    const text = Inspect.format(r)
    assert.match(text, /valid {3}_datadog_0 {2}N=0 {2}id [0-9a-f]{32} \(durable-trace\)/)
    assert.include(text, "x-datadog-trace-id: 1")
    assert.include(text, "source: checkpoint _datadog_0")
    assert.include(text, "0000000000000002 (decimal 2), from _datadog_0")
    assert.include(text, "shared by every valid checkpoint")
  })

  it("changed checkpoint: _datadog_1 is continued, both share the anchor", () => {
    const r = report(changed)
    assert.deepStrictEqual(
      r.checkpoints.map((c) => [c.name, c.valid]),
      [
        ["_datadog_0", true],
        ["_datadog_1", true]
      ]
    )
    assert.strictEqual(checkpoint(r, "_datadog_1").headers?.["x-datadog-sampling-priority"], "2")
    assert.strictEqual(r.next.checkpoint, "_datadog_1")
    assert.strictEqual(r.anchor?.checkpoint, "_datadog_1")
    assert.isTrue(r.anchor?.shared)
    assert.deepStrictEqual(r.warnings, [])
  })

  it("the runner's operation dump reads as the same execution state, without an ARN", () => {
    const r = report(runnerOperations)
    assert.strictEqual(r.input.kind, "operations")
    assert.isUndefined(r.input.executionArn)
    assert.strictEqual(r.input.operations, runnerOperations.length)
    // The dump is taken after the run: the third invocation's numbered checkpoint (SPEC §11) is in it too.
    assert.deepStrictEqual(
      r.checkpoints.map((c) => c.name),
      ["_datadog_0", "_datadog_1", "_datadog_2"]
    )
    assert.strictEqual(r.next.checkpoint, "_datadog_2")
    assert.include(Inspect.format(r), "operation list (test runner dump)")
  })

  it("a GetDurableExecutionState output reads as state, as a list or as an object map", () => {
    const list = report({ Operations: operationsOf(changed) })
    assert.strictEqual(list.input.kind, "state")
    assert.strictEqual(list.next.checkpoint, "_datadog_1")
    const map = report({ Operations: Object.fromEntries(operationsOf(changed).map((op, i) => [String(i), op])) })
    assert.strictEqual(map.input.kind, "state")
    assert.strictEqual(map.next.checkpoint, "_datadog_1")
  })

  it("the caller's context in the first invocation's input is what it continues", () => {
    const event = withOperations(first, ([execution]) => [
      { ...execution, ExecutionDetails: { InputPayload: JSON.stringify({ headers: HEADERS }) } }
    ])
    const r = report(event)
    assert.strictEqual(r.next.source, "input_payload")
    assert.strictEqual(r.next.parentId, "0000000000000002")
    assert.isUndefined(r.anchor)
    assert.include(Inspect.format(r), "the caller's context in the execution input")
  })

  it("--json: every field present, null where there is nothing", () => {
    const json = JSON.parse(Inspect.toJson(report(first))) as Json
    assert.deepStrictEqual(Object.keys(json), ["input", "checkpoints", "next", "anchor", "warnings"])
    assert.isNull(json.anchor)
    const next = json.next as Json
    assert.isNull(next.traceId)
    assert.isNull(next.paging)
    const resumedJson = JSON.parse(Inspect.toJson(report(resumed))) as { checkpoints: Array<Json>; anchor: Json }
    assert.strictEqual(resumedJson.checkpoints[0]!.valid, true)
    assert.strictEqual(resumedJson.anchor.decimal, "2")
  })
})

describe("Inspect over broken inputs", () => {
  const notInspectable: ReadonlyArray<readonly [string, string]> = [
    ["42", "JSON number"],
    ["null", "JSON null"],
    ['"event"', "JSON string"],
    ["{}", "empty JSON object"],
    ['{"foo":1}', "JSON object with keys foo"],
    ["[1]", "JSON array whose element 0 is a number"],
    ['{"Operations":"none"}', "JSON object with keys Operations"],
    ['{"__proto__":{"DurableExecutionArn":"arn","InitialExecutionState":{"Operations":[]}}}', "keys __proto__"]
  ]
  for (const [text, expected] of notInspectable) {
    it(`${text} is neither an event nor a state dump`, () => {
      const failure = unreadable(text)
      assert.strictEqual(failure.reason, "not_inspectable", text)
      assert.include(failure.message, expected)
      assert.include(failure.message, "neither a durable invocation event")
      assert.notInclude(failure.message, "\n")
    })
  }

  it("empty and blank input", () => {
    assert.strictEqual(unreadable("").reason, "empty")
    assert.strictEqual(unreadable(" \n\t").reason, "empty")
  })

  it("non-JSON input, on one line", () => {
    const failure = unreadable('{"DurableExecutionArn":\n  oops}')
    assert.strictEqual(failure.reason, "not_json")
    assert.match(failure.message, /^not JSON: /)
    assert.notInclude(failure.message, "\n")
  })

  it("[] is an empty operation list: readable, nothing in it", () => {
    const r = report([])
    assert.strictEqual(r.input.kind, "operations")
    assert.strictEqual(r.input.operations, 0)
    assert.strictEqual(r.next.source, "none")
  })

  it("a corrupt _datadog_0 payload: invalid, unparseable, nothing to continue", () => {
    const event = withOperations(resumed, (ops) =>
      ops.map((op) =>
        op.Name === "_datadog_0" ? { ...op, StepDetails: { Attempt: 1, Result: '{"x-datadog-tr' } } : op
      )
    )
    const r = report(event)
    const c = checkpoint(r, "_datadog_0")
    assert.isFalse(c.valid)
    assert.deepStrictEqual(codes(c.problems), ["unparseable_payload"])
    assert.strictEqual(r.next.source, "none")
    assert.isUndefined(r.anchor)
    assert.deepStrictEqual(r.next.failures, [{ location: "read_checkpoint", errorType: "no propagation headers" }])
    assert.notInclude(codes(r.warnings), "user_step", "a corrupt write is not a user step")
    const text = Inspect.format(r)
    assert.include(text, "INVALID _datadog_0")
    assert.include(text, "why: payload is not JSON")
    assert.include(text, "integration_errors: location read_checkpoint")
  })

  it("a corrupt _datadog_1 above a valid _datadog_0 is skipped, never breaking continuity", () => {
    const event = withOperations(changed, (ops) =>
      ops.map((op) => (op.Name === "_datadog_1" ? { ...op, StepDetails: { Attempt: 1, Result: "{}" } } : op))
    )
    const r = report(event)
    assert.strictEqual(r.next.checkpoint, "_datadog_0")
    assert.deepStrictEqual(
      r.next.skipped.map((s) => [s.name, s.reason]),
      [["_datadog_1", "no propagation headers"]]
    )
    assert.strictEqual(r.anchor?.checkpoint, "_datadog_0")
    assert.include(Inspect.format(r), "skipped: _datadog_1 (no propagation headers)")
  })

  it("a user step named _datadog_3 with a non-header result: invalid, warned, written through the SDK", () => {
    const r = report(withOperation(resumed, step("_datadog_3", "c4ca4238a0b92383", JSON.stringify("hello"))))
    const c = checkpoint(r, "_datadog_3")
    assert.isFalse(c.valid)
    assert.strictEqual(c.idForm, "sdk")
    assert.deepStrictEqual(codes(c.problems), ["not_headers"])
    assert.deepStrictEqual(codes(r.warnings), ["user_step", "sdk_id"])
    assert.strictEqual(r.next.checkpoint, "_datadog_0", "the reader skips it")
    const text = Inspect.format(r)
    assert.include(text, "_datadog_3 carries no propagation headers: a user step named _datadog_*?")
    assert.include(
      text,
      "id c4ca4238a0b92383 is not durable-trace's 32-hex form: written through the SDK (dd-trace's integration or a user step)"
    )
  })

  it("a step named _datadog_x with an object result and no headers is a user step too", () => {
    const r = report(withOperation(resumed, step("_datadog_x", "eccbc87e4b5ce2fe", JSON.stringify({ ok: true }))))
    const c = checkpoint(r, "_datadog_x")
    assert.deepStrictEqual(codes(c.problems), ["non_canonical_name", "no_propagation_headers"])
    assert.includeMembers([...codes(r.warnings)], ["user_step", "sdk_id", "non_canonical_name"])
  })

  it("dd-trace's JS writer (16-hex id, no sampling priority) is valid, and its id is named for what it is", () => {
    const { "x-datadog-sampling-priority": _, ...headers } = HEADERS
    const r = report(
      withOperation(
        first,
        step(
          "_datadog_0",
          Checkpoint.ddTraceJsOperationId("_datadog_0", first.DurableExecutionArn as string),
          JSON.stringify(headers)
        )
      )
    )
    assert.isTrue(checkpoint(r, "_datadog_0").valid)
    assert.strictEqual(r.next.checkpoint, "_datadog_0")
    assert.deepStrictEqual(codes(r.warnings), ["sdk_id"])
  })

  it("_datadog_01 is not canonical: invalid even with good headers, and readers ignore it", () => {
    const r = report(withOperation(first, step("_datadog_01", "0".repeat(32), JSON.stringify(HEADERS))))
    const c = checkpoint(r, "_datadog_01")
    assert.isUndefined(c.n)
    assert.isFalse(c.valid)
    assert.deepStrictEqual(codes(c.problems), ["non_canonical_name"])
    assert.isDefined(c.headers, "its headers are still decoded")
    assert.deepStrictEqual(codes(r.warnings), ["non_canonical_name"])
    assert.strictEqual(r.next.source, "none")
    assert.include(Inspect.format(r), "INVALID _datadog_01  N=-")
  })

  it("an oversize payload whose allowlisted part fits: valid, warned, extra keys named", () => {
    const payload = JSON.stringify({ ...HEADERS, baggage: `userId=${"x".repeat(1200)}` })
    const r = report(withOperation(first, step("_datadog_0", ourId("_datadog_0"), payload)))
    const c = checkpoint(r, "_datadog_0")
    assert.isTrue(c.valid)
    assert.isAbove(c.payloadBytes!, 1024)
    assert.deepStrictEqual(c.dropped, [{ key: "baggage", why: "not allowed" }])
    assert.deepStrictEqual(codes(r.warnings), ["oversize_payload", "disallowed_keys"])
    assert.include(Inspect.format(r), "over the 1024-byte limit (SPEC §4.6)")
  })

  it("an oversize payload of allowlisted headers: the reader rejects it", () => {
    const vendors = Array.from({ length: 8 }, (_, i) => `v${i}=${"a".repeat(200)}`).join(",")
    const payload = JSON.stringify({ ...HEADERS, tracestate: `dd=s:1;p:0000000000000002,${vendors}` })
    const r = report(withOperation(first, step("_datadog_0", ourId("_datadog_0"), payload)))
    const c = checkpoint(r, "_datadog_0")
    assert.isFalse(c.valid)
    assert.deepStrictEqual(codes(c.problems), ["oversize_payload"])
    assert.deepStrictEqual(codes(r.warnings), ["oversize_payload"])
    assert.strictEqual(r.next.source, "none")
  })

  it("invalid values are dropped and named", () => {
    const payload = JSON.stringify({ ...HEADERS, traceparent: "00-zz-zz-01", "X-Datadog-Trace-Id": "3" })
    const c = checkpoint(report(withOperation(first, step("_datadog_0", ourId("_datadog_0"), payload))), "_datadog_0")
    assert.isTrue(c.valid)
    assert.deepStrictEqual(c.dropped, [
      { key: "traceparent", why: "invalid value" },
      { key: "X-Datadog-Trace-Id", why: "duplicate" }
    ])
  })

  it("no trace context, and no parent id, are told apart", () => {
    const priorityOnly = report(
      withOperation(
        first,
        step("_datadog_0", ourId("_datadog_0"), JSON.stringify({ "x-datadog-sampling-priority": "1" }))
      )
    )
    assert.deepStrictEqual(codes(checkpoint(priorityOnly, "_datadog_0").problems), ["no_trace_context"])
    const noParent = report(
      withOperation(first, step("_datadog_0", ourId("_datadog_0"), JSON.stringify({ "x-datadog-trace-id": "1" })))
    )
    assert.deepStrictEqual(codes(checkpoint(noParent, "_datadog_0").problems), ["no_parent_id"])
    assert.include(Inspect.format(noParent), "no valid parent id")
  })

  it("__proto__ keys are own data, dropped, never inherited headers", () => {
    const payload = `{"__proto__":${JSON.stringify(HEADERS)}}`
    const r = report(withOperation(first, step("_datadog_0", ourId("_datadog_0"), payload)))
    const c = checkpoint(r, "_datadog_0")
    assert.isFalse(c.valid)
    assert.deepStrictEqual(c.dropped, [{ key: "__proto__", why: "not allowed" }])
    assert.deepStrictEqual(codes(c.problems), ["no_propagation_headers"])
    assert.strictEqual(r.next.source, "none")
    const text = `{"DurableExecutionArn":"arn","__proto__":{"InitialExecutionState":{"Operations":[${JSON.stringify(
      step("_datadog_0", ourId("_datadog_0"), JSON.stringify(HEADERS))
    )}]}}}`
    const inherited = Inspect.inspectText(text)
    assert.isTrue(Result.isSuccess(inherited))
    if (Result.isSuccess(inherited)) assert.deepStrictEqual(inherited.success.checkpoints, [])
  })

  it("a first page ending in NextMarker, with a valid checkpoint on it: the reader does not page", () => {
    const event = { ...resumed, InitialExecutionState: { Operations: operationsOf(resumed), NextMarker: "page-2" } }
    const r = report(event)
    assert.strictEqual(r.input.nextMarker, "page-2")
    assert.deepStrictEqual(r.next.paging, { nextMarker: "page-2", readerWouldPage: false })
    assert.strictEqual(r.next.checkpoint, "_datadog_0")
    assert.deepStrictEqual(codes(r.warnings), ["next_marker"])
    assert.include(Inspect.format(r), "NextMarker page-2 (further pages not read)")
  })

  it("a first page ending in NextMarker without a valid checkpoint: the reader would page, shown as page 1 only", () => {
    const r = report({ Operations: operationsOf(first), NextMarker: "page-2" })
    assert.strictEqual(r.input.kind, "state")
    assert.deepStrictEqual(r.next.paging, { nextMarker: "page-2", readerWouldPage: true })
    assert.deepStrictEqual(r.next.failures, [], "the in-memory page failure is not reported as the reader's")
    const warning = r.warnings.find((w) => w.code === "next_marker")
    assert.include(warning?.message, "the reader would page through the rest")
    assert.include(Inspect.format(r), "the reader would page past the first page; not done here (page 1 only)")
  })

  it("two checkpoints with the same N", () => {
    const r = report(withOperation(resumed, step("_datadog_0", ourId("_datadog_0"), JSON.stringify(HEADERS))))
    assert.deepStrictEqual(codes(r.warnings), ["duplicate_n"])
    assert.include(r.warnings[0]!.message, "2 operations named _datadog_0")
  })

  it("checkpoints that disagree on the anchor", () => {
    const other = {
      ...HEADERS,
      "x-datadog-parent-id": "3",
      traceparent: "00-0064757261626c650000000000000001-0000000000000003-01"
    }
    const r = report(withOperation(resumed, step("_datadog_1", ourId("_datadog_1"), JSON.stringify(other))))
    assert.strictEqual(r.anchor?.parentId, "0000000000000003")
    assert.isFalse(r.anchor?.shared)
    assert.deepStrictEqual(
      r.anchor?.disagreeing.map((d) => d.name),
      ["_datadog_0"]
    )
    assert.deepStrictEqual(codes(r.warnings), ["anchor_mismatch"])
    assert.include(Inspect.format(r), "NOT shared: _datadog_0 has 0000000000000002")
  })

  it("payloads given as objects, or as Payload, are read as the reader reads them", () => {
    const asObject = report(withOperation(first, step("_datadog_0", ourId("_datadog_0"), HEADERS)))
    assert.isTrue(checkpoint(asObject, "_datadog_0").valid)
    const asPayload = report(
      withOperation(first, {
        Id: ourId("_datadog_0"),
        Name: "_datadog_0",
        Type: "STEP",
        Payload: JSON.stringify(HEADERS)
      })
    )
    assert.isTrue(checkpoint(asPayload, "_datadog_0").valid)
    assert.strictEqual(asPayload.next.checkpoint, "_datadog_0")
  })

  it("a _datadog_* operation with no payload at all", () => {
    const r = report(withOperation(first, { Id: "c81e728d9d4c2f64", Name: "_datadog_2", Type: "WAIT" }))
    assert.deepStrictEqual(codes(checkpoint(r, "_datadog_2").problems), ["no_payload"])
    assert.include(Inspect.format(r), "no payload (StepDetails.Result or Payload): a WAIT operation")
    assert.include([...codes(r.warnings)], "user_step")
  })

  it("an event without an ARN, or without operations, is still read, with a warning", () => {
    const { DurableExecutionArn: _, ...noArn } = resumed
    const r = report(noArn)
    assert.strictEqual(r.input.kind, "event")
    assert.deepStrictEqual(codes(r.warnings), ["no_execution_arn"])
    assert.strictEqual(r.next.checkpoint, "_datadog_0")
    const empty = report({ DurableExecutionArn: "arn" })
    assert.deepStrictEqual(codes(empty.warnings), ["no_operations"])
    assert.strictEqual(empty.input.operations, 0)
  })

  it("ordinary operations are not listed", () => {
    const r = report([byName(changed, "start"), byName(changed, "approve")])
    assert.deepStrictEqual(r.checkpoints, [])
    assert.strictEqual(r.input.operations, 2)
  })
})

describe("Inspect on inputs too deep to analyse", () => {
  const DEPTH = 100_000
  const deepObject = (): unknown => {
    let value: unknown = 1
    for (let i = 0; i < DEPTH; i++) value = { a: value }
    return value
  }

  it("a checkpoint payload object nested 100,000 deep: reported invalid, size unknown", () => {
    const r = Result.getOrThrow(
      Inspection.inspect({
        Operations: [{ Id: "x", Name: "_datadog_0", Type: "STEP", StepDetails: { Result: deepObject() } }]
      })
    )
    assert.strictEqual(r.checkpoints[0]!.valid, false)
    assert.strictEqual(r.checkpoints[0]!.payloadBytes, undefined)
    assert.include(r.checkpoints[0]!.problems[0]!.message, "nested too deeply")
    assert.include(Inspect.format(r), "size unknown")
  })

  it("a stack overflow anywhere in the analysis is unreadable input, with one line", () => {
    const overflowing = {
      get Operations(): unknown {
        throw new RangeError("Maximum call stack size exceeded")
      }
    }
    const result = Inspection.inspectJson(overflowing)
    assert.isTrue(Result.isFailure(result))
    if (Result.isFailure(result))
      assert.strictEqual(result.failure.message, "nested too deeply to inspect: Maximum call stack size exceeded")
  })
})

describe("inspectExecution: the history's invocations, in the file mode's terms", () => {
  /** A captured execution (fixtures/inspect/capture-live.ts): three invocations, `_datadog_0` and `_datadog_1`. */
  const live = (
    fixture("live-otel.json") as unknown as ReadonlyArray<{
      label: string
      executionArn: string
      history: ReadonlyArray<{ EventType?: string }>
    }>
  ).find((e) => e.label === "step, wait, step")!
  const inspectHistory = (events: ReadonlyArray<unknown>) =>
    ExecutionInspection.inspectExecution({
      execution: {
        arn: live.executionArn,
        name: undefined,
        functionArn: undefined,
        status: "SUCCEEDED",
        startTimestamp: undefined,
        endTimestamp: undefined
      },
      events,
      operations: Option.none()
    })
  /** The captured history with a user's step named `_datadog_7` (the SDK's id), run in the first invocation. */
  const withUserStep = (result: unknown) => {
    const end = live.history.findIndex((e) => e.EventType === "InvocationCompleted")
    const step = { SubType: "Step", Id: "a87ff679a2f3e71d", Name: "_datadog_7" }
    return [
      ...live.history.slice(0, end),
      { ...step, EventType: "StepStarted", EventId: 100, StepStartedDetails: {} },
      {
        ...step,
        EventType: "StepSucceeded",
        EventId: 101,
        StepSucceededDetails: { Result: { Payload: JSON.stringify(result) }, RetryDetails: {} }
      },
      ...live.history.slice(end)
    ]
  }

  it("the captured execution is continuous, each checkpoint named for its writer", () => {
    const r = inspectHistory(live.history)
    assert.strictEqual(r.verdict._tag, "continuous")
    assert.match(
      Inspect.formatExecution(r),
      /wrote _datadog_0: trace [0-9a-f]{32}, anchor [0-9a-f]{16}, id [0-9a-f]{32} \(durable-trace's id/
    )
  })

  it("a user's step named _datadog_7 with good headers is not a checkpoint: as the file mode says, and skipped", () => {
    const r = inspectHistory(withUserStep(HEADERS))
    assert.deepInclude(r.verdict, { _tag: "corrupt_latest", checkpoint: "_datadog_7", reason: "not a checkpoint id" })
    assert.deepStrictEqual(codes(checkpoint(r.state, "_datadog_7").problems), ["not_a_checkpoint_id"])
    const [one, two] = r.invocations
    assert.deepStrictEqual(
      one!.wrote.map((w) => [w.name, w.writer, w.valid, w.problem]),
      [
        ["_datadog_0", "durable-trace", true, undefined],
        ["_datadog_7", "none", false, "not a checkpoint id"]
      ]
    )
    assert.deepStrictEqual(two!.continued.skipped, [
      { name: "_datadog_7", id: "a87ff679a2f3e71d", reason: "not a checkpoint id" }
    ])
    assert.strictEqual(two!.continued.checkpoint, "_datadog_0")
    const text = Inspect.formatExecution(r)
    const fileMode = checkpoint(r.state, "_datadog_7").problems[0]!.message
    assert.include(text, `wrote _datadog_7: not a checkpoint: ${fileMode}, id a87ff679a2f3e71d`)
    assert.include(text, "skipped _datadog_7 (not a checkpoint id)")
    assert.include(
      Inspect.formatExecution(r),
      "Verdict: corrupt latest: _datadog_7 is not a checkpoint: its id is not what a checkpoint writer gives this name"
    )
  })
})
