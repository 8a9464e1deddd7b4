/**
 * Reliability of the writer, the reader and the durable client (issue 14), on the durable SDK's local runner:
 * the SDK's own checkpoint failures reach it as they would untraced, a token of any type passes through, the
 * input's `_datadog` is the user's unless we wrote it, a shared client keeps each handler's settings, paging is
 * bounded, an unreadable state lets no other context take over, and a user step named like a checkpoint is none.
 * Differential where it can be: the traced run must end exactly as the untraced one under the same fault.
 */
import type {
  CheckpointDurableExecutionRequest,
  DurableExecutionClient,
  DurableExecutionHandler,
  GetDurableExecutionStateResponse
} from "@aws/durable-execution-sdk-js"
import { withDurableExecution } from "@aws/durable-execution-sdk-js"
import * as InMemory from "@durable-trace/adapters/InMemory"
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { assert, describe, it } from "@effect/vitest"
import {
  awsError,
  beforeEach,
  checkpointsOf,
  type LambdaHandler,
  outcomeOf,
  patchClient,
  type RunnerEvent,
  type RunResult,
  runOnLocalRunner,
  traced,
  untraced
} from "./faults.harness.ts"
import { WORKFLOWS, type Workflow } from "./workflows.ts"

// Captured at load: the local runner fakes timers while it runs.
const realSetTimeout = globalThis.setTimeout

const stepWaitStep = WORKFLOWS.find((w) => w.name === "step, wait, step")!
const suspendsTwice = WORKFLOWS.find((w) => w.name === "steady state: suspends twice")!

const isOurs = (update: { readonly Name?: string | undefined }): boolean =>
  update.Name?.startsWith("_datadog_") === true

/** Whether a request carries an update of the SDK's own (not only ours). */
const fromSdk = (request: CheckpointDurableExecutionRequest): boolean =>
  (request.Updates ?? []).some((update) => !isOurs(update))

/** A caller's context of a trace the execution never had: trace 12345 (hex 3039). */
const CALLER = { "x-datadog-trace-id": "12345", "x-datadog-parent-id": "67890" }
const CALLER_TRACE_LOW = (12345).toString(16).padStart(16, "0")

/**
 * Calls `onRequest` for each checkpoint request the SDK's client receives, under whatever durable-trace adds: the
 * raw client is patched before the traced wrapper tracks it, once (the runner reuses it across invocations).
 */
const underneath = (
  onRequest: (
    request: CheckpointDurableExecutionRequest,
    send: () => ReturnType<DurableExecutionClient["checkpoint"]>
  ) => ReturnType<DurableExecutionClient["checkpoint"]>
) => {
  const patched = new WeakSet<object>()
  return (handler: LambdaHandler): LambdaHandler =>
    beforeEach(handler, (event) => {
      const client = event.durableExecutionClient
      if (patched.has(client)) return
      patched.add(client)
      const checkpoint = client.checkpoint.bind(client)
      client.checkpoint = (request, logger) => onRequest(request, () => checkpoint(request, logger))
    })
}

describe("the SDK's own checkpoint failure reaches it as without us (issue 14, item 1)", () => {
  const failures: ReadonlyArray<readonly [string, () => Promise<never>]> = [
    [
      "400 InvalidParameterValueException",
      () =>
        Promise.reject(
          Object.assign(awsError("InvalidParameterValueException", "Invalid STEP action."), {
            $metadata: { httpStatusCode: 400 }
          })
        )
    ],
    [
      "500 ServiceException",
      () =>
        Promise.reject(Object.assign(awsError("ServiceException", "internal"), { $metadata: { httpStatusCode: 500 } }))
    ],
    [
      "429 throttling",
      () =>
        Promise.reject(
          Object.assign(awsError("TooManyRequestsException", "Rate exceeded"), { $metadata: { httpStatusCode: 429 } })
        )
    ],
    [
      "a timeout",
      () =>
        new Promise<never>((_, reject) => {
          realSetTimeout(() => reject(awsError("TimeoutError", "socket timed out")), 50)
        })
    ]
  ]
  /** Fails the execution's first checkpoint request, whatever it carries; counts the SDK's requests. */
  const failFirst = (fail: () => Promise<never>) => {
    const counted = { sdkRequests: 0 }
    let failed = false
    const wrap = underneath((request, send) => {
      if (fromSdk(request)) counted.sdkRequests++
      if (failed) return send()
      failed = true
      return fail()
    })
    return { wrap, counted }
  }
  /** A run's outcome, or what the runner threw (an invocation error ends the local run with it). */
  const settle = (run: Promise<RunResult>) =>
    run.then(
      (result) => ({ outcome: outcomeOf(result) }),
      (error: unknown) => ({ thrown: error instanceof Error ? `${error.name}: ${error.message}` : String(error) })
    )
  for (const [label, fail] of failures) {
    it(label, async () => {
      const reference = failFirst(fail)
      const expected = await settle(
        runOnLocalRunner(reference.wrap(withDurableExecution(stepWaitStep.make({})) as LambdaHandler), stepWaitStep)
      )
      const run = failFirst(fail)
      const memory = InMemory.make()
      const { handler } = traced(stepWaitStep, InMemory.layer(memory))
      const actual = await settle(runOnLocalRunner(run.wrap(handler), stepWaitStep))
      assert.deepStrictEqual(actual, expected, "the traced run ends as the untraced one")
      assert.strictEqual(run.counted.sdkRequests, reference.counted.sdkRequests, "as many SDK requests")
    })
  }
})

describe("a checkpoint token of any type passes through (issue 14, item 5)", () => {
  const tokens: ReadonlyArray<readonly [string, unknown]> = [
    ["a number", 12345],
    ["an object", { token: "opaque" }],
    ["a BigInt", 7n]
  ]
  /** The event carries `token` instead of its string token; the client maps it back, as a transport would. */
  const withToken = (token: unknown) => {
    let original = ""
    const patched = new WeakSet<object>()
    return (handler: LambdaHandler): LambdaHandler =>
      beforeEach(handler, (event) => {
        original = event.CheckpointToken
        ;(event as { CheckpointToken: unknown }).CheckpointToken = token
        const client = event.durableExecutionClient
        if (patched.has(client)) return
        patched.add(client)
        const checkpoint = client.checkpoint.bind(client)
        const getExecutionState = client.getExecutionState.bind(client)
        client.checkpoint = (request, logger) =>
          checkpoint(
            (request.CheckpointToken as unknown) === token ? { ...request, CheckpointToken: original } : request,
            logger
          )
        client.getExecutionState = (request, logger) =>
          getExecutionState(
            (request.CheckpointToken as unknown) === token ? { ...request, CheckpointToken: original } : request,
            logger
          )
      })
  }
  for (const [label, token] of tokens) {
    it(label, async () => {
      const expected = outcomeOf(
        await runOnLocalRunner(
          withToken(token)(withDurableExecution(stepWaitStep.make({})) as LambdaHandler),
          stepWaitStep
        )
      )
      assert.strictEqual(expected.status, "SUCCEEDED", "the untraced run succeeds")
      const memory = InMemory.make()
      const { handler } = traced(stepWaitStep, InMemory.layer(memory))
      const actual = outcomeOf(await runOnLocalRunner(withToken(token)(handler), stepWaitStep))
      assert.deepStrictEqual(actual, expected)
    })
  }
})

/** A workflow whose result is the input its handler saw. */
const echo: Workflow = {
  name: "echo",
  status: "SUCCEEDED",
  suspends: false,
  spans: [],
  make: () =>
    (async (event, context) => context.step("echo", async () => event)) as DurableExecutionHandler<unknown, unknown>
}

describe("the input's _datadog is removed only when we wrote it (issue 14, item 6)", () => {
  const users: ReadonlyArray<readonly [string, unknown]> = [
    ["a user's object", { orderId: "o-1", _datadog: { note: "user data" } }],
    ["a context with a user key besides", { orderId: "o-1", _datadog: { ...CALLER, note: "mine" } }],
    ["a string", { orderId: "o-1", _datadog: "keep me" }]
  ]
  for (const [label, payload] of users) {
    it(`kept: ${label}`, async () => {
      const expected = outcomeOf(await untraced(echo, payload))
      const memory = InMemory.make()
      const actual = outcomeOf(await runOnLocalRunner(traced(echo, InMemory.layer(memory)).handler, echo, payload))
      assert.deepStrictEqual(actual, expected, label)
      assert.deepStrictEqual(actual.outcome, payload, label)
    })
  }
  it("removed: a carrier as withTraceContext writes one", async () => {
    const memory = InMemory.make()
    const payload = { orderId: "o-1", _datadog: CALLER }
    const actual = outcomeOf(await runOnLocalRunner(traced(echo, InMemory.layer(memory)).handler, echo, payload))
    assert.deepStrictEqual(actual.outcome, { orderId: "o-1" })
  })
})

describe("a client shared by two handlers keeps each one's earlyCheckpoint (issue 14, item 7)", () => {
  it("the second handler's earlyCheckpoint: false holds", async () => {
    let current: DurableExecutionClient | undefined
    const batches: Array<{ readonly handler: string; readonly mixed: boolean }> = []
    let running = ""
    const shared: DurableExecutionClient = {
      checkpoint: (request, logger) => {
        const updates = request.Updates ?? []
        batches.push({ handler: running, mixed: updates.some(isOurs) && updates.some((u) => !isOurs(u)) })
        return current!.checkpoint(request, logger)
      },
      getExecutionState: (request, logger) => current!.getExecutionState(request, logger)
    }
    const share =
      (name: string) =>
      (handler: LambdaHandler): LambdaHandler =>
        beforeEach(handler, (event) => {
          running = name
          if (event.durableExecutionClient !== shared) current = event.durableExecutionClient
          event.durableExecutionClient = shared
        })
    const memory = InMemory.make()
    const first = traced(stepWaitStep, InMemory.layer(memory))
    const second = traced(stepWaitStep, InMemory.layer(memory), { earlyCheckpoint: false })
    await runOnLocalRunner(share("first")(first.handler), stepWaitStep)
    await runOnLocalRunner(share("second")(second.handler), stepWaitStep)
    assert.isDefined(first.summaries[0]?.early, "the first handler wrote early")
    assert.deepStrictEqual(
      second.summaries.map((s) => s.early),
      second.summaries.map(() => undefined),
      "the second did not"
    )
    assert.isFalse(
      batches.some((b) => b.handler === "second" && b.mixed),
      "no SDK batch of the second carried a checkpoint"
    )
  })
})

/** A marker of our own: the page it names exists only for these tests. */
const FAULT_MARKER = "durable-trace-fault-page"

/**
 * Adds a further page to every event; durable-trace's request for it (the SDK passes its logger, durable-trace
 * none) goes to `page`, the SDK's gets an empty page.
 */
const withOurPage =
  (page: (marker: string) => Promise<GetDurableExecutionStateResponse>) =>
  (handler: LambdaHandler): LambdaHandler =>
    beforeEach(handler, (event: RunnerEvent) => {
      event.InitialExecutionState = { ...event.InitialExecutionState, NextMarker: FAULT_MARKER }
      patchClient(event, {
        onPage: (request, sdkLogger, next) => {
          if (request.Marker === FAULT_MARKER || request.Marker?.startsWith(`${FAULT_MARKER}+`)) {
            return sdkLogger === undefined ? page(request.Marker) : Promise.resolve({ Operations: [] })
          }
          return next()
        }
      })
    })

describe("paging is bounded (issue 14, item 3)", () => {
  it("a page that never settles costs the read bound, not the invocation", async () => {
    const expected = outcomeOf(await untraced(stepWaitStep))
    const memory = InMemory.make()
    const { handler, summaries } = traced(stepWaitStep, InMemory.layer(memory), { readTimeoutMillis: 100 })
    const result = await runOnLocalRunner(withOurPage(() => new Promise(() => {}))(handler), stepWaitStep)
    assert.deepStrictEqual(outcomeOf(result), expected)
    // Only an invocation whose first page has no checkpoint pages: the first one.
    assert.deepStrictEqual(
      memory.increments().map((i) => `${i.location}/${i.error_type}`),
      ["page_state/timeout"]
    )
    assert.strictEqual(summaries[0]?.read?.source, "none")
  })

  it("fresh markers forever: at most MAX_PAGES pages", async () => {
    const expected = outcomeOf(await untraced(stepWaitStep))
    const memory = InMemory.make()
    const requests: Array<string> = []
    const { handler } = traced(stepWaitStep, InMemory.layer(memory))
    const endless = withOurPage(async (marker) => {
      requests.push(marker)
      return { Operations: [], NextMarker: `${marker}+` }
    })
    const result = await runOnLocalRunner(endless(handler), stepWaitStep)
    assert.deepStrictEqual(outcomeOf(result), expected)
    // 100 pages, the event's first included (`CheckpointLog.MAX_PAGES`).
    assert.strictEqual(CheckpointLog.MAX_PAGES, 100)
    assert.strictEqual(requests.length, 99)
    assert.deepStrictEqual(
      memory.increments().map((i) => `${i.location}/${i.error_type}`),
      ["page_state/too many pages"]
    )
  })
})

describe("an unreadable state lets no other context take over (issue 14, item 11)", () => {
  it("a failed page: the input's context is not continued, and no checkpoint carries it", async () => {
    const payload = { orderId: "o-1", _datadog: CALLER }
    const expected = outcomeOf(await untraced(suspendsTwice, payload))
    const memory = InMemory.make()
    const { handler, summaries } = traced(suspendsTwice, InMemory.layer(memory))
    const failing = withOurPage(() => Promise.reject(awsError("ServiceException", "state unavailable")))
    const result = await runOnLocalRunner(failing(handler), suspendsTwice, payload)
    assert.deepStrictEqual(outcomeOf(result), expected)
    assert.isAbove(summaries.length, 2)
    assert.deepStrictEqual(
      summaries.map((s) => s.read?.source === "input_payload"),
      summaries.map(() => false),
      "no invocation continued the input's context"
    )
    for (const checkpoint of checkpointsOf(result)) {
      assert.notInclude(JSON.stringify(checkpoint.payload), CALLER["x-datadog-trace-id"], checkpoint.name)
    }
    assert.isFalse(
      memory.spans().some((span) => span.traceId.endsWith(CALLER_TRACE_LOW)),
      "no span in the caller's trace"
    )
  })
})

describe("a user step named _datadog_N is no checkpoint (issue 14, item 12)", () => {
  const hijacking: Workflow = {
    ...stepWaitStep,
    name: "a user step named _datadog_5 returns a trace context",
    make: (hooks) => {
      const handler = stepWaitStep.make(hooks)
      return async (event, context) => {
        await context.step("_datadog_5", async () => CALLER)
        return handler(event, context)
      }
    }
  }
  it("every invocation stays in the execution's own trace", async () => {
    const memory = InMemory.make()
    const { handler, summaries } = traced(hijacking, InMemory.layer(memory))
    const result = await runOnLocalRunner(handler, hijacking)
    assert.strictEqual(result.getStatus(), "SUCCEEDED")
    assert.deepStrictEqual(
      summaries.map((s) => s.read?.source),
      ["none", "checkpoint"]
    )
    const traces = new Set(memory.spans().map((span) => span.traceId))
    assert.strictEqual(traces.size, 1, `one trace, got ${[...traces].join(", ")}`)
    assert.isFalse([...traces][0]!.endsWith(CALLER_TRACE_LOW), "not the user step's trace")
  })
})

describe("options in code are validated like the environment (issue 14, item 8)", () => {
  it("a negative deadlineMarginMillis keeps the default margin: the write stays before the deadline", async () => {
    const memory = InMemory.make()
    const { handler, summaries } = traced(stepWaitStep, InMemory.layer(memory), {
      earlyCheckpoint: false,
      deadlineMarginMillis: -100_000
    })
    // 600 ms left, our write never answers: with the default 500 ms margin it gets at most 100 ms.
    const hanging = beforeEach(handler, (event, context) => {
      patchClient(event, { onCheckpoint: () => new Promise<never>(() => {}) })
      return { ...(context as object), getRemainingTimeInMillis: () => 600 }
    })
    await runOnLocalRunner(hanging, stepWaitStep)
    const write = summaries[0]?.write
    assert.strictEqual(write?._tag, "Failed")
    const identifiers = write?._tag === "Failed" ? (write.error.identifiers ?? {}) : {}
    const bound = Number(identifiers.timeoutMillis ?? identifiers.leftMillis)
    assert.isAtMost(bound, 100, `the write's bound, ${JSON.stringify(identifiers)}`)
    assert.include(
      memory.increments().map((i) => `${i.location}/${i.error_type}`),
      "unknown/invalid option deadlineMarginMillis"
    )
  })
})
