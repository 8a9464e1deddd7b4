/**
 * Fault injection, differential (issue 8, SPEC §4.7): every end-to-end workflow runs untraced, then traced once
 * per fault: the checkpoint write throws, is throttled, or hangs past the bound; a state page fails; the event
 * carries a malformed prior; the backend's inject or extract throws; the telemetry throws; a user step is named
 * `_datadog_3` and returns no headers (its id is the SDK's, so it is no checkpoint, and the writer heals above it); the backend injects an oversize `x-datadog-tags`. The traced run must end
 * exactly as the untraced one (status, result or error, operations but ours), the counter must show exactly the
 * failures expected, at their SPEC location, and the checkpoints left must be the ones expected. Faults sit at
 * the seams a deployment has: the event-carried client, the tracer backend, the telemetry port, the event.
 */
import type { CheckpointDurableExecutionRequest } from "@aws/durable-execution-sdk-js"
import type { BackendLayer } from "@durable-trace/adapters/Backend"
import * as InMemory from "@durable-trace/adapters/InMemory"
import { errorType } from "@durable-trace/core/Errors"
import * as Headers from "@durable-trace/core/Headers"
import { Telemetry } from "@durable-trace/core/Telemetry"
import { assert, beforeAll, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { WithDurableTracingOptions } from "../src/withDurableTracing.ts"
import {
  awsError,
  beforeEach,
  checkpointsOf,
  countInvocations,
  inMemoryServices,
  type LambdaHandler,
  layerFrom,
  outcomeOf,
  patchClient,
  type RunnerEvent,
  runOnLocalRunner,
  type Shape,
  traced,
  untraced
} from "./faults.harness.ts"
import { checkpointOperation } from "./support.ts"
import { WORKFLOWS, type Workflow } from "./workflows.ts"

/** One traced run's set-up: the backend, where its failures are read, and how the run is altered. */
interface FaultRun {
  readonly backend: BackendLayer
  /** Every failure reported, as `location/error_type`. */
  readonly reported: () => ReadonlyArray<string>
  readonly wrap?: ((handler: LambdaHandler) => LambdaHandler) | undefined
  readonly workflow?: ((workflow: Workflow) => Workflow) | undefined
  readonly options?: Partial<WithDurableTracingOptions> | undefined
  /** The trace ids of the spans recorded. */
  readonly traceIds?: (() => ReadonlyArray<string>) | undefined
}

interface Fault {
  readonly name: string
  readonly setup: () => FaultRun
  /** The failures reported, in any order, given the run's shape. */
  readonly increments: (shape: Shape) => ReadonlyArray<string>
  /** The `_datadog_*` operations left in the execution, in any order. */
  readonly checkpoints: (shape: Shape) => ReadonlyArray<string>
  /** Checks the written payloads. */
  readonly payloads?: (payloads: ReadonlyArray<unknown>) => void
  /** Whether every invocation must join one trace despite the fault. */
  readonly oneTrace?: boolean
}

const times = <A>(n: number, value: A): Array<A> => Array.from({ length: n }, () => value)
/** `_datadog_{from}` to `_datadog_{from + n - 1}`. */
const names = (n: number, from = 0): Array<string> => Array.from({ length: n }, (_, i) => `_datadog_${from + i}`)

const reportedBy = (memory: InMemory.InMemory) => () => memory.increments().map((i) => `${i.location}/${i.error_type}`)

/** The in-memory backend as is, the run altered by `wrap`. */
const plain =
  (wrap: (handler: LambdaHandler) => LambdaHandler) =>
  (options?: Partial<WithDurableTracingOptions>) =>
  (): FaultRun => {
    const { memory } = inMemoryServices()
    return { backend: InMemory.layer(memory), reported: reportedBy(memory), wrap, options }
  }

const WRITE_BOUND_MILLIS = 50

/** A request carrying only our update never settles: the write bound must end it. */
const hang = (_request: CheckpointDurableExecutionRequest): Promise<never> => new Promise<never>(() => {})

/**
 * The write faults hit durable-trace's own requests, the suspend write: the early checkpoint is off for them, or
 * it would ride in the SDK's first batch, succeed, and leave nothing to write (a fault on the SDK's own requests
 * is the SDK's failure to see, exactly as without us: see reliability.test.ts).
 */
const WRITE_ONLY = { earlyCheckpoint: false } as const

/** A marker of our own: the page it names exists only for this fault. */
const FAULT_MARKER = "durable-trace-fault-page"

/**
 * A prior whose trace id is valid but whose parent id is not (`0` is "no id"): the reader must skip it, the
 * writer must not invent an anchor (SPEC §4.4). Its id is the one our writer gives `_datadog_0` of the execution.
 */
const malformedPrior = (executionArn: string) =>
  checkpointOperation(0, executionArn, JSON.stringify({ "x-datadog-trace-id": "4242", "x-datadog-parent-id": "0" }), 1)

const withMalformedPrior = (handler: LambdaHandler): LambdaHandler =>
  beforeEach(handler, (event: RunnerEvent) => {
    const state = event.InitialExecutionState
    event.InitialExecutionState = {
      ...state,
      Operations: [...state.Operations, malformedPrior(event.DurableExecutionArn)]
    }
  })

/** A failed write is counted once per attempt: each suspend write (the early checkpoint is off). */
const failedWrites = ({ suspends }: Shape, errorType: string) => times(suspends, `write_checkpoint/${errorType}`)

/** A vendor call that throws instead of failing its Effect: what an adapter without a guard would do. */
const throwing = (message: string) => (): never => {
  throw new RangeError(message)
}

/** 600 bytes, over the 512-byte cap: the in-memory tracer's `_dd.p.tid`, then one oversize tag. */
const OVERSIZE_TAGS = `_dd.p.tid=${InMemory.TRACE_ID_HIGH},_dd.p.big=${"x".repeat(563)}`

/** The workflow, first running a user step named like a checkpoint whose result is no propagation header. */
const withUserCheckpointStep = (workflow: Workflow): Workflow => ({
  ...workflow,
  make: (hooks) => {
    const handler = workflow.make(hooks)
    return async (event, context) => {
      await context.step("_datadog_3", async () => ({ note: "a user's step, not a trace context" }))
      return handler(event, context)
    }
  }
})

// Checked once, so the fault is what the test says it is.
if (OVERSIZE_TAGS.length !== 600) throw new Error(`OVERSIZE_TAGS is ${OVERSIZE_TAGS.length} bytes`)

/** Every fault, in the order of issue 8. */
const FAULTS: ReadonlyArray<Fault> = [
  {
    name: "the checkpoint write throws",
    setup: plain((handler) =>
      beforeEach(handler, (event) =>
        patchClient(event, { onCheckpoint: () => Promise.reject(new TypeError("socket hang up")) })
      )
    )(WRITE_ONLY),
    increments: (shape) => failedWrites(shape, "TypeError"),
    checkpoints: () => []
  },
  {
    name: "the checkpoint write is throttled",
    setup: plain((handler) =>
      beforeEach(handler, (event) =>
        patchClient(event, { onCheckpoint: () => Promise.reject(awsError("ThrottlingException", "Rate exceeded")) })
      )
    )(WRITE_ONLY),
    increments: (shape) => failedWrites(shape, "ThrottlingException"),
    checkpoints: () => []
  },
  {
    name: `the checkpoint write hangs past the ${WRITE_BOUND_MILLIS} ms bound`,
    setup: plain((handler) => beforeEach(handler, (event) => patchClient(event, { onCheckpoint: hang })))({
      ...WRITE_ONLY,
      writeTimeoutMillis: WRITE_BOUND_MILLIS
    }),
    increments: ({ suspends }) => times(suspends, "write_checkpoint/timeout"),
    checkpoints: () => []
  },
  {
    // The SDK pages too, before the handler, through the same client (vendor notes §1): only the reader's request
    // fails. The SDK passes its logger as the second argument; durable-trace's page request passes none.
    name: "a state page fails",
    setup: plain((handler) =>
      beforeEach(handler, (event) => {
        event.InitialExecutionState = { ...event.InitialExecutionState, NextMarker: FAULT_MARKER }
        patchClient(event, {
          onPage: (request, sdkLogger, next) => {
            if (request.Marker !== FAULT_MARKER) return next()
            return sdkLogger === undefined
              ? Promise.reject(awsError("ServiceException", "state unavailable"))
              : Promise.resolve({ Operations: [] })
          }
        })
      })
    )(),
    // Only an invocation whose first page has no checkpoint pages: the first one; later ones find `_datadog_0`,
    // written with the first SDK batch (the early checkpoint). Each invocation's number rides in its own first
    // batch (SPEC §11): one checkpoint per invocation.
    increments: () => ["page_state/ServiceException"],
    checkpoints: ({ invocations }) => names(invocations)
  },
  {
    name: "the event carries a malformed prior (_datadog_0 without a valid parent id)",
    setup: plain(withMalformedPrior)(),
    // Each invocation skips it on read; each suspend refuses to anchor anew rather than re-parent the trace.
    increments: ({ invocations, suspends }) => [
      ...times(invocations, "read_checkpoint/no parent id"),
      ...times(suspends, "resolve_parent_id/checkpoint anchor is malformed")
    ],
    checkpoints: () => []
  },
  {
    name: "the backend's inject throws",
    setup: () => {
      const { memory, backend, propagation, telemetry } = inMemoryServices()
      return {
        backend: layerFrom(backend, { ...propagation, inject: throwing("inject exploded") }, telemetry),
        reported: reportedBy(memory)
      }
    },
    // Nothing is ever written, so every invocation offers the early checkpoint again, and every suspend tries.
    increments: ({ invocations, suspends }) => times(invocations + suspends, "inject/RangeError"),
    checkpoints: () => []
  },
  {
    name: "the backend's extract throws",
    setup: () => {
      const { memory, backend, propagation, telemetry } = inMemoryServices()
      return {
        backend: layerFrom(backend, { ...propagation, extract: throwing("extract exploded") }, telemetry),
        reported: reportedBy(memory)
      }
    },
    // Every resumed invocation finds `_datadog_0` and fails to continue it, so it starts a new trace; it must not
    // write that other trace over the execution's (SPEC §4.4), neither in its first SDK batch (its number, SPEC §11)
    // nor when it suspends again: the next one still finds `_datadog_0`.
    increments: ({ invocations, suspends }) => [
      ...times(invocations - 1, "extract/RangeError"),
      ...times(
        invocations - 1 + Math.max(0, suspends - 1),
        "resolve_parent_id/context is another trace than the checkpoint's"
      )
    ],
    checkpoints: () => ["_datadog_0"]
  },
  {
    name: "the telemetry throws (while reporting a malformed prior)",
    setup: () => {
      const { backend, propagation } = inMemoryServices()
      const attempts: Array<string> = []
      const telemetry = Telemetry.of({
        failure: (error) => {
          attempts.push(`${error.location}/${errorType(error)}`)
          throw new Error("statsd socket closed")
        }
      })
      return {
        backend: layerFrom(backend, propagation, telemetry),
        reported: () => attempts,
        wrap: withMalformedPrior
      }
    },
    increments: ({ invocations, suspends }) => [
      ...times(invocations, "read_checkpoint/no parent id"),
      ...times(suspends, "resolve_parent_id/checkpoint anchor is malformed")
    ],
    checkpoints: () => []
  },
  {
    name: "a user step named _datadog_3 returns no headers",
    setup: () => {
      const { memory } = inMemoryServices()
      return { backend: InMemory.layer(memory), reported: reportedBy(memory), workflow: withUserCheckpointStep }
    },
    // `_datadog_0` rides with the first SDK batch. The next invocation skips the higher `_datadog_3` (the SDK's id,
    // not a checkpoint's) and continues `_datadog_0`; its number, in its first SDK batch (SPEC §11), goes above the
    // step as `_datadog_4`, for readers that read only the highest N. Later invocations continue that, each writing
    // its own number.
    increments: ({ invocations }) => times(Math.min(1, invocations - 1), "read_checkpoint/not a checkpoint id"),
    checkpoints: ({ invocations }) => ["_datadog_0", "_datadog_3", ...names(invocations - 1, 4)]
  },
  {
    name: "the backend injects a 600-byte x-datadog-tags",
    setup: () => {
      const { memory, backend, propagation, telemetry } = inMemoryServices()
      return {
        backend: layerFrom(
          backend,
          {
            ...propagation,
            inject: (span) =>
              Effect.map(propagation.inject(span), (headers) => ({
                ...headers,
                "x-datadog-tags": OVERSIZE_TAGS
              }))
          },
          telemetry
        ),
        reported: reportedBy(memory),
        traceIds: () => memory.spans().map((span) => span.traceId)
      }
    },
    increments: () => [],
    // Dropping the tags must not drop the trace: the next invocation continues the same 128-bit trace id, so the
    // context did not change; each invocation writes only its number (SPEC §11), in its first SDK batch.
    checkpoints: ({ invocations }) => names(invocations),
    oneTrace: true,
    payloads: (payloads) => {
      for (const payload of payloads) {
        const text = typeof payload === "string" ? payload : JSON.stringify(payload)
        assert.isAtMost(text.length, Headers.MAX_PAYLOAD_BYTES, "payload size")
        assert.notInclude(text, "_dd.p.big", "the oversize tag is not written")
        const tags = (typeof payload === "string" ? JSON.parse(payload) : payload)["x-datadog-tags"]
        if (tags !== undefined) assert.isAtMost(String(tags).length, Headers.MAX_TAGS_BYTES, "x-datadog-tags size")
      }
    }
  }
]

const sorted = (values: ReadonlyArray<string>): Array<string> => [...values].sort()

describe("fault injection against every workflow (SPEC §4.7)", () => {
  for (const workflow of WORKFLOWS) {
    describe(workflow.name, () => {
      let reference: ReturnType<typeof outcomeOf>
      beforeAll(async () => {
        reference = outcomeOf(await untraced(workflow))
      })

      for (const fault of FAULTS) {
        it(fault.name, async () => {
          const run = fault.setup()
          const target = run.workflow?.(workflow) ?? workflow
          const { handler } = traced(target, run.backend, run.options)
          const counted = countInvocations(run.wrap?.(handler) ?? handler)
          const result = await runOnLocalRunner(counted.handler, target)
          const shape = counted.shape()
          assert.deepStrictEqual(outcomeOf(result), reference, "the traced run ends as the untraced one")
          assert.deepStrictEqual(sorted(run.reported()), sorted(fault.increments(shape)), "failures reported")
          const checkpoints = checkpointsOf(result)
          assert.deepStrictEqual(
            sorted(checkpoints.map((c) => c.name)),
            sorted(fault.checkpoints(shape)),
            "checkpoints written"
          )
          fault.payloads?.(checkpoints.map((c) => c.payload))
          if (fault.oneTrace) {
            const traceIds = new Set(run.traceIds?.())
            assert.strictEqual(traceIds.size, 1, `one trace, got ${[...traceIds].join(", ")}`)
          }
        })
      }
    })
  }
})
