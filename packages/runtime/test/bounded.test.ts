/**
 * Bounded writes (issue 8, SPEC §4.1): the suspend write is awaited before the invocation returns, so a hanging
 * checkpoint request must cost at most the configured bound, and never more than the invocation's remaining
 * time minus the margin. The bound runs on the real clock in production (`RealClock`); here that clock is a
 * manual one (`manualClock.ts`), so the test asserts the logic (still pending one millisecond before the bound,
 * returned at it) and never how fast the machine is (issue 14 item 19). Real-time figures are the benchmark's
 * (`examples/src/bench/bounded.ts`). The early checkpoint is off: it rides in the SDK's own request, and this is
 * about the write durable-trace makes alone.
 */
import * as InMemory from "@durable-trace/adapters/InMemory"
import { assert, describe, it } from "@effect/vitest"
import { vi } from "vitest"
import type { InvocationSummary } from "../src/withDurableTracing.ts"
import {
  beforeEach,
  inMemoryServices,
  type LambdaHandler,
  patchClient,
  runOnLocalRunner,
  traced
} from "./faults.harness.ts"
import * as ManualClock from "./manualClock.ts"
import { WORKFLOWS } from "./workflows.ts"

vi.mock("../../adapters/src/RealClock.ts", async () => {
  const manual = await import("./manualClock.ts")
  return { now: manual.now, clock: manual.clock, race: manual.race }
})

const workflow = WORKFLOWS[0]!

/** Time kept free before the deadline (the default of `DURABLE_TRACE_DEADLINE_MARGIN_MS`). */
const MARGIN_MILLIS = 500

// Captured before the local runner fakes timers: the test waits on real time for the runner (whose checkpoint
// server is a worker thread) to make progress. How long it takes is never asserted.
const realSetTimeout = globalThis.setTimeout
const pause = (millis: number) => new Promise<void>((resolve) => realSetTimeout(resolve, millis))

/** Waits until `condition` holds (up to 10 s of real time, so a bug fails the test instead of hanging it). */
const until = async (condition: () => boolean, what: string) => {
  for (let i = 0; i < 2000 && !condition(); i++) await pause(5)
  assert.isTrue(condition(), what)
}

interface Run {
  readonly done: Promise<void>
  /** Invocations that have returned. */
  readonly returned: () => number
  /** `_datadog_` requests sent. */
  readonly attempts: () => number
  readonly summaries: ReadonlyArray<InvocationSummary>
  readonly increments: () => ReadonlyArray<string>
}

/** Runs the workflow with a client whose `_datadog_` requests never settle, and `remainingMillis` left. */
const start = (options: { readonly writeTimeoutMillis: number; readonly remainingMillis?: number }): Run => {
  const { memory } = inMemoryServices()
  const { handler, summaries } = traced(workflow, InMemory.layer(memory), {
    writeTimeoutMillis: options.writeTimeoutMillis,
    deadlineMarginMillis: MARGIN_MILLIS,
    earlyCheckpoint: false
  })
  let attempts = 0
  let returned = 0
  const counted: LambdaHandler = async (event, context) => {
    try {
      return await handler(event, context)
    } finally {
      returned++
    }
  }
  const withFaults = beforeEach(counted, (event, context) => {
    patchClient(event, {
      onCheckpoint: () => {
        attempts++
        return new Promise<never>(() => {})
      }
    })
    const remaining = options.remainingMillis
    return remaining === undefined ? context : { ...(context as object), getRemainingTimeInMillis: () => remaining }
  })
  return {
    done: runOnLocalRunner(withFaults, workflow).then(() => undefined),
    returned: () => returned,
    attempts: () => attempts,
    summaries,
    increments: () => memory.increments().map((i) => i.location)
  }
}

/** Asserts the first invocation is held by the hanging write exactly until `bound` ms have passed. */
const heldFor = async (run: Run, bound: number) => {
  await until(() => run.attempts() === 1 && ManualClock.sleeping() > 0, "the write was attempted and is timed")
  ManualClock.advance(bound - 1)
  await pause(50)
  assert.strictEqual(run.returned(), 0, "one millisecond before the bound, the invocation still waits for the write")
  ManualClock.advance(1)
  await until(() => run.returned() >= 1, "at the bound, the invocation returns")
  await run.done
}

describe("bounded writes (SPEC §4.1)", () => {
  it("a hanging write holds the invocation for the configured bound, then it returns", async () => {
    const run = start({ writeTimeoutMillis: 300 })
    await heldFor(run, 300)
    assert.strictEqual(run.attempts(), 1, "the write was attempted once")
    const write = run.summaries[0]?.write
    assert.strictEqual(write?._tag, "Failed")
    if (write?._tag === "Failed") {
      assert.strictEqual(write.error.location, "write_checkpoint")
      assert.strictEqual(write.error.reason, "timeout")
      assert.strictEqual(write.error.identifiers?.timeoutMillis, 300)
    }
    assert.deepStrictEqual(run.increments(), ["write_checkpoint"])
  })

  it("near the deadline the bound shrinks to the remaining time minus the margin", async () => {
    // 700 ms left, 500 ms margin: 200 ms for the write, although 2000 ms are configured.
    const run = start({ writeTimeoutMillis: 2000, remainingMillis: 700 })
    await heldFor(run, 700 - MARGIN_MILLIS)
    const write = run.summaries[0]?.write
    assert.strictEqual(write?._tag === "Failed" ? write.error.identifiers?.timeoutMillis : undefined, 200)
  })

  it("with less time left than the margin, no write is attempted; the write and the flush are counted", async () => {
    const run = start({ writeTimeoutMillis: 2000, remainingMillis: MARGIN_MILLIS - 100 })
    await run.done
    assert.strictEqual(run.attempts(), 0, "no request was sent")
    const write = run.summaries[0]?.write
    assert.strictEqual(write?._tag === "Failed" ? write.error.reason : undefined, "no time left before the deadline")
    // Each of the two invocations had no time left to await its flush either (it is started, not awaited).
    assert.deepStrictEqual(run.increments(), ["write_checkpoint", "flush", "flush"])
  })
})
