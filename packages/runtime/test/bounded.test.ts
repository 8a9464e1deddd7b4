/**
 * Bounded writes (issue 8, SPEC §4.1): the suspend write is awaited before the invocation returns, so a hanging
 * checkpoint request must cost at most the configured bound, and never more than the invocation's remaining
 * time minus the margin. Measured on the local runner in real time (`RealClock`: the runner fakes `Date` and
 * timers) with a client whose `_datadog_` requests never settle. The early checkpoint is off here: it rides in
 * the SDK's own request, and this is about the write durable-trace makes alone.
 */
import * as RealClock from "@durable-trace/adapters/RealClock"
import { assert, describe, it } from "@effect/vitest"
import type { InvocationSummary } from "../src/withDurableTracing.ts"
import {
  beforeEach,
  inMemoryServices,
  type LambdaHandler,
  patchClient,
  runOnLocalRunner,
  traced
} from "./faults.harness.ts"
import { WORKFLOWS } from "./workflows.ts"

const workflow = WORKFLOWS[0]!

/** Time kept free before the deadline (the default of `DURABLE_TRACE_DEADLINE_MARGIN_MS`). */
const MARGIN_MILLIS = 500
/** Timer and scheduling slack allowed on top of a bound. */
const SLACK_MILLIS = 150

interface Measured {
  /** Real duration of the first invocation (the one that suspends and writes), ms. */
  readonly suspendingInvocationMillis: number
  readonly summaries: ReadonlyArray<InvocationSummary>
  readonly attempts: number
  readonly increments: ReadonlyArray<string>
}

const measure = async (options: {
  readonly writeTimeoutMillis: number
  readonly remainingMillis?: number
  readonly hang: boolean
}): Promise<Measured> => {
  const { memory } = inMemoryServices()
  const { handler, summaries } = traced(workflow, memory.layer, {
    writeTimeoutMillis: options.writeTimeoutMillis,
    deadlineMarginMillis: MARGIN_MILLIS,
    earlyCheckpoint: false
  })
  let attempts = 0
  const durations: Array<number> = []
  const timedHandler: LambdaHandler = async (event, context) => {
    const start = RealClock.now()
    try {
      return await handler(event, context)
    } finally {
      durations.push(RealClock.now() - start)
    }
  }
  const withFaults = beforeEach(timedHandler, (event, context) => {
    patchClient(event, {
      onCheckpoint: (request) => {
        attempts++
        if (options.hang) return new Promise<never>(() => {})
        return Promise.reject(new Error(`unexpected request ${request.Updates?.length}`))
      }
    })
    const remaining = options.remainingMillis
    return remaining === undefined ? context : { ...(context as object), getRemainingTimeInMillis: () => remaining }
  })
  if (!options.hang) {
    // The reference: the same invocation with a client that answers at once (the real one, unpatched).
    const reference = traced(workflow, memory.layer, {
      writeTimeoutMillis: options.writeTimeoutMillis,
      earlyCheckpoint: false
    })
    await runOnLocalRunner(async (event, context) => {
      const start = RealClock.now()
      try {
        return await reference.handler(event, context)
      } finally {
        durations.push(RealClock.now() - start)
      }
    }, workflow)
    return {
      suspendingInvocationMillis: durations[0]!,
      summaries: reference.summaries,
      attempts: 0,
      increments: memory.increments().map((i) => i.location)
    }
  }
  await runOnLocalRunner(withFaults, workflow)
  return {
    suspendingInvocationMillis: durations[0]!,
    summaries,
    attempts,
    increments: memory.increments().map((i) => i.location)
  }
}

/** Printed for the README's Guarantees figures. */
const figure = (label: string, millis: number) => console.log(`BOUNDED-WRITE ${label}: ${millis} ms`)

describe("bounded writes (SPEC §4.1)", () => {
  it("a hanging write costs the configured bound, not more", async () => {
    const reference = await measure({ writeTimeoutMillis: 300, hang: false })
    const hung = await measure({ writeTimeoutMillis: 300, hang: true })
    figure("reference suspending invocation", reference.suspendingInvocationMillis)
    figure("suspending invocation, write hangs, bound 300 ms", hung.suspendingInvocationMillis)
    assert.strictEqual(hung.attempts, 1, "the write was attempted")
    assert.isAtLeast(hung.suspendingInvocationMillis, 300 - 5, "the write is awaited up to the bound")
    assert.isAtMost(
      hung.suspendingInvocationMillis,
      reference.suspendingInvocationMillis + 300 + SLACK_MILLIS,
      "the write is cut at the bound"
    )
    const write = hung.summaries[0]?.write
    assert.strictEqual(write?._tag, "Failed")
    if (write?._tag === "Failed") {
      assert.strictEqual(write.error.location, "write_checkpoint")
      assert.strictEqual(write.error.reason, "timeout")
      assert.strictEqual(write.error.identifiers?.timeoutMillis, 300)
    }
    assert.deepStrictEqual(hung.increments, ["write_checkpoint"])
  })

  it("near the deadline the bound shrinks to the remaining time minus the margin", async () => {
    // 700 ms left, 500 ms margin: 200 ms for the write, although 2000 ms are configured.
    const hung = await measure({ writeTimeoutMillis: 2000, remainingMillis: 700, hang: true })
    figure(
      "suspending invocation, write hangs, 700 ms left, margin 500 ms, bound 2000 ms",
      hung.suspendingInvocationMillis
    )
    assert.strictEqual(hung.attempts, 1, "the write was attempted")
    const write = hung.summaries[0]?.write
    assert.strictEqual(write?._tag, "Failed")
    const bound = write?._tag === "Failed" ? Number(write.error.identifiers?.timeoutMillis) : Number.NaN
    assert.isAtMost(bound, 700 - MARGIN_MILLIS, "bound = remaining - margin")
    assert.isAtLeast(bound, 700 - MARGIN_MILLIS - 50, "bound = remaining - margin, less the time already spent")
    assert.isAtLeast(hung.suspendingInvocationMillis, bound - 5)
    assert.isBelow(hung.suspendingInvocationMillis, 700, "returned before the deadline")
  })

  it("with less time left than the margin, no write is attempted and write_checkpoint is counted", async () => {
    const hung = await measure({ writeTimeoutMillis: 2000, remainingMillis: MARGIN_MILLIS - 100, hang: true })
    figure("suspending invocation, 400 ms left, margin 500 ms", hung.suspendingInvocationMillis)
    assert.strictEqual(hung.attempts, 0, "no request was sent")
    assert.deepStrictEqual(hung.increments, ["write_checkpoint"])
    const write = hung.summaries[0]?.write
    assert.strictEqual(write?._tag === "Failed" ? write.error.reason : undefined, "no time left before the deadline")
    assert.isBelow(hung.suspendingInvocationMillis, MARGIN_MILLIS - 100, "returned before the deadline")
  })
})
