/**
 * The demo's skipped time: read from what the service recorded (its timers and each invocation's start), on a
 * hand-built history, as laws over arbitrary executions, and on the local runner's own history.
 */
import type { DurableContext } from "@aws/durable-execution-sdk-js"
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Schema from "effect/Schema"
import { type HistoryEvent, type ServiceTimes, serviceTimes, skippedBefore, unskip } from "../src/demo/skippedTime.ts"

const DAY = 86_400_000
const MINUTES_5 = 300_000
const T = 1_800_000_000_000
const at = (ms: number) => new Date(T + ms)

// The demo's shape: a callback resumes invocation 2, a 5-minute retry delay invocation 3, a one-day wait
// invocation 4; the local runner starts each at once.
const history: ReadonlyArray<HistoryEvent> = [
  { EventType: "ExecutionStarted", EventTimestamp: at(0) },
  { EventType: "CallbackSucceeded", EventTimestamp: at(100) },
  { EventType: "InvocationCompleted", EventTimestamp: at(190), InvocationCompletedDetails: { StartTimestamp: at(0) } },
  {
    EventType: "StepFailed",
    EventTimestamp: at(250),
    StepFailedDetails: { RetryDetails: { NextAttemptDelaySeconds: 300 } }
  },
  {
    EventType: "InvocationCompleted",
    EventTimestamp: at(390),
    InvocationCompletedDetails: { StartTimestamp: at(200) }
  },
  { EventType: "WaitStarted", EventTimestamp: at(500), WaitStartedDetails: { ScheduledEndTimestamp: at(500 + DAY) } },
  { EventType: "WaitSucceeded", EventTimestamp: at(520) },
  {
    EventType: "InvocationCompleted",
    EventTimestamp: at(590),
    InvocationCompletedDetails: { StartTimestamp: at(400) }
  },
  { EventType: "InvocationCompleted", EventTimestamp: at(700), InvocationCompletedDetails: { StartTimestamp: at(600) } }
]

describe("skipped time, from the service's history", () => {
  it("reads each invocation's start and each timer the service set", () => {
    assert.deepStrictEqual(serviceTimes(history), {
      invocations: [T, T + 200, T + 400, T + 600],
      timers: [
        { set: T + 250, due: T + 250 + MINUTES_5 },
        { set: T + 500, due: T + 500 + DAY }
      ]
    })
  })

  it("adds up what was skipped before each invocation: nothing after a callback, the rest of each timer", () => {
    assert.deepStrictEqual(
      skippedBefore(serviceTimes(history)).map((s) => s.skipped),
      [0, 0, MINUTES_5 - 150, MINUTES_5 - 150 + DAY - 100]
    )
  })

  it("puts each resumed invocation where its timer fell due", () => {
    const f = unskip(serviceTimes(history))
    assert.strictEqual(f(T + 400) - f(T + 250), MINUTES_5, "the retry runs 5 minutes after the failed attempt")
    assert.strictEqual(f(T + 600) - f(T + 500), DAY, "the shipping invocation runs a day after the wait began")
    assert.strictEqual(f(T + 650) - f(T + 620), 30, "busy time is not stretched")
    assert.strictEqual(f(T + 100), T + 100, "nothing before the first timer moves")
  })

  // An execution as the local runner runs it: each invocation starts as the last one ends, and may set a timer
  // (`offset` into it, for `delay`) that resumes the next.
  const ms = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 2 * DAY }))
  const executions = Arbitrary.schema(
    Schema.Array(Schema.Struct({ busy: ms, offset: ms, delay: Schema.UndefinedOr(ms) }))
  )
  const build = (
    steps: ReadonlyArray<{ busy: number; offset: number; delay: number | undefined }>
  ): ServiceTimes & { set: Array<{ i: number; set: number; due: number }> } => {
    let start = T
    const invocations: Array<number> = []
    const set: Array<{ i: number; set: number; due: number }> = []
    steps.forEach(({ busy, offset, delay }, i) => {
      invocations.push(start)
      const length = busy + 1
      if (delay !== undefined) set.push({ i, set: start + (offset % length), due: start + (offset % length) + delay })
      start += length
    })
    return { invocations, timers: set.map(({ set, due }) => ({ set, due })), set }
  }

  it.prop("an invocation resumed by a timer starts when the timer falls due", { steps: executions }, ({ steps }) => {
    const times = build(steps)
    const f = unskip(times)
    for (const { i, set, due } of times.set) {
      const next = times.invocations[i + 1]
      if (next === undefined) continue
      assert.strictEqual(f(next) - f(set), Math.max(due, next) - set)
    }
  })

  it.prop(
    "the timeline is monotone and never shortens real time",
    { steps: executions, a: ms, b: ms },
    ({ steps, a, b }) => {
      const f = unskip(build(steps))
      const [lo, hi] = a <= b ? [a, b] : [b, a]
      assert.isAtLeast(f(T + hi) - f(T + lo), hi - lo)
    }
  )

  it.prop("without timers nothing moves", { steps: executions, a: ms }, ({ steps, a }) => {
    const f = unskip({ ...build(steps), timers: [] })
    assert.strictEqual(f(T + a), T + a)
  })

  it("reads the local runner's own history: a 5-minute retry delay and a one-day wait", async () => {
    const { LocalDurableTestRunner } = await import("@aws/durable-execution-sdk-js-testing")
    const { withDurableExecution } = await import("@aws/durable-execution-sdk-js")
    let calls = 0
    const handler = withDurableExecution(async (_input: unknown, context: DurableContext) => {
      await context.step(
        "flaky",
        async () => {
          if (++calls === 1) throw new Error("first call fails")
          return "ok"
        },
        { retryStrategy: (_error, attempt) => ({ shouldRetry: attempt < 2, delay: { minutes: 5 } }) }
      )
      await context.wait("one-day", { days: 1 })
      return "done"
    })
    await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
    try {
      const result = await new LocalDurableTestRunner({ handlerFunction: handler }).run({ payload: {} })
      assert.strictEqual(result.getStatus(), "SUCCEEDED")
      const times = serviceTimes(result.getHistoryEvents())
      assert.strictEqual(times.invocations.length, result.getInvocations().length)
      assert.deepStrictEqual(
        times.timers.map((t) => t.due - t.set),
        [MINUTES_5, DAY]
      )
      const f = unskip(times)
      const [first, last] = [times.invocations[0]!, times.invocations.at(-1)!]
      assert.isAtLeast(f(last) - f(first), MINUTES_5 + DAY, "the execution took a day and 5 minutes, as deployed")
    } finally {
      await LocalDurableTestRunner.teardownTestEnvironment()
    }
  })
})
