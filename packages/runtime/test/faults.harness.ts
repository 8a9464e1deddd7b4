/**
 * Shared harness of the fault-injection, bounded-write and hygiene tests (issue 8): runs a workflow on the
 * durable SDK's local runner, traced or not, with faults injected at the seams a real deployment has (the
 * event-carried client, the tracer backend, the telemetry port, the event itself), and reduces a run to what
 * the differential tests compare. Gotcha: the runner fakes `Date` and timers for the whole process while it
 * runs, so every duration here is measured with `RealClock.now`, captured before the runner loads.
 */
import type {
  CheckpointDurableExecutionRequest,
  DurableExecutionClient,
  DurableExecutionInvocationOutput,
  GetDurableExecutionStateRequest,
  GetDurableExecutionStateResponse
} from "@aws/durable-execution-sdk-js"
import { withDurableExecution } from "@aws/durable-execution-sdk-js"
import { LocalDurableTestRunner } from "@aws/durable-execution-sdk-js-testing"
import { type BackendLayer, type BackendServices, layer } from "@durable-trace/adapters/Backend"
import * as InMemory from "@durable-trace/adapters/InMemory"
import * as RealClock from "@durable-trace/adapters/RealClock"
import {
  type InvocationSummary,
  type WithDurableTracingOptions,
  withDurableTracing
} from "../src/withDurableTracing.ts"
import { muteStdout } from "./support.ts"
import type { Workflow } from "./workflows.ts"

/** A Lambda handler as the local runner calls it. */
export type LambdaHandler = (event: unknown, context: unknown) => Promise<DurableExecutionInvocationOutput>

/** What the runner returns. */
export type RunResult = Awaited<ReturnType<LocalDurableTestRunner["run"]>>

/** The event as the local runner builds it: the SDK's fields plus its own client. */
export interface RunnerEvent {
  durableExecutionClient: DurableExecutionClient
  InitialExecutionState: { Operations: Array<unknown>; NextMarker?: string }
  readonly DurableExecutionArn: string
  readonly CheckpointToken: string
}

/** The prefix of every durable-trace checkpoint name. */
export const CHECKPOINT_PREFIX = "_datadog_"

const realSetTimeout = globalThis.setTimeout
const realClearTimeout = globalThis.clearTimeout

/** Longest a single run may take before it counts as stuck. */
export const RUN_LIMIT_MILLIS = 10_000

const isCheckpointName = (name: unknown): boolean => typeof name === "string" && name.startsWith(CHECKPOINT_PREFIX)

/**
 * Runs `handler` for `workflow` on a fresh local runner environment (the runner's fake clock otherwise carries
 * over and later waits stop suspending), with stdout muted: the SDK logger writes there.
 */
export const runOnLocalRunner = (
  handler: LambdaHandler,
  workflow: Workflow,
  payload: unknown = { orderId: "o-1" }
): Promise<RunResult> =>
  muteStdout(async () => {
    await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const runner = new LocalDurableTestRunner({ handlerFunction: handler as never })
      const driving = workflow.drive?.(runner)
      // A run that never ends must still tear the environment down, or every later run fails to set it up.
      const stuck = new Promise<never>((_, reject) => {
        timer = realSetTimeout(() => reject(new Error(`no result after ${RUN_LIMIT_MILLIS} ms`)), RUN_LIMIT_MILLIS)
      })
      const result = await Promise.race([runner.run({ payload }), stuck])
      await driving
      return result
    } finally {
      realClearTimeout(timer)
      await LocalDurableTestRunner.teardownTestEnvironment()
    }
  })

/**
 * What a differential test compares: status, result or error, and every operation but ours. Not the number of
 * invocations: the runner's fake clock sometimes lets a retry delay elapse before the SDK suspends for it, in
 * untraced runs as well.
 */
export const outcomeOf = (result: RunResult) => ({
  status: result.getStatus(),
  outcome: result.getStatus() === "FAILED" ? result.getError() : result.getResult(),
  operations: result
    .getOperations()
    .filter((op) => !isCheckpointName(op.getName()))
    .map((op) => ({
      name: op.getName(),
      type: op.getType(),
      subType: op.getSubType(),
      status: op.getStatus(),
      result: op.getType() === "STEP" ? op.getStepDetails()?.result : undefined
    }))
})

/** A run's shape, as the handler saw it: what the expected figures of a fault are computed from. */
export interface Shape {
  readonly invocations: number
  /** Invocations that ended PENDING. */
  readonly suspends: number
}

/**
 * Counts the invocations `handler` really served and how many ended PENDING, at the handler itself: the runner's
 * own invocation records can lag behind under load, which made expectations derived from them flaky.
 */
export const countInvocations = (
  handler: LambdaHandler
): { readonly handler: LambdaHandler; readonly shape: () => Shape } => {
  let invocations = 0
  let suspends = 0
  return {
    handler: async (event, context) => {
      invocations++
      const output = await handler(event, context)
      if (output?.Status === "PENDING") suspends++
      return output
    },
    shape: () => ({ invocations, suspends })
  }
}

/** The `_datadog_*` operations of a run, with their payloads as stored. */
export const checkpointsOf = (result: RunResult) =>
  result
    .getOperations()
    .filter((op) => isCheckpointName(op.getName()))
    .map((op) => ({ name: op.getName() ?? "", payload: op.getStepDetails()?.result as unknown }))

/** The untraced run of `workflow`: the reference every traced run must match. */
export const untraced = (workflow: Workflow, payload?: unknown): Promise<RunResult> =>
  runOnLocalRunner(withDurableExecution(workflow.make({})) as LambdaHandler, workflow, payload)

/** Calls `before` with each event and Lambda context, then `handler` with what it returns. */
export const beforeEach =
  (handler: LambdaHandler, before: (event: RunnerEvent, context: unknown) => unknown): LambdaHandler =>
  (event, context) =>
    handler(event, before(event as RunnerEvent, context) ?? context)

const patched = new WeakSet<object>()

/**
 * Patches the event-carried client once (the runner hands the same client to every invocation): `checkpoint`
 * requests that carry only `_datadog_` updates (durable-trace's own writes) go to `onCheckpoint` instead, so the
 * SDK's own checkpoints, the early checkpoint riding in them included, still work; `getExecutionState` calls go to
 * `onPage` when given. A fault on the SDK's own requests is `failSdkCheckpoint`'s.
 */
export const patchClient = (
  event: RunnerEvent,
  faults: {
    readonly onCheckpoint?: (request: CheckpointDurableExecutionRequest) => Promise<never>
    readonly onPage?: (
      request: GetDurableExecutionStateRequest,
      sdkLogger: unknown,
      next: () => Promise<GetDurableExecutionStateResponse>
    ) => Promise<GetDurableExecutionStateResponse>
  }
): void => {
  const client = event.durableExecutionClient
  if (patched.has(client)) return
  patched.add(client)
  const checkpoint = client.checkpoint.bind(client)
  const getExecutionState = client.getExecutionState.bind(client)
  const onCheckpoint = faults.onCheckpoint
  const onPage = faults.onPage
  if (onCheckpoint !== undefined) {
    client.checkpoint = (request, logger) =>
      (request.Updates ?? []).length > 0 && (request.Updates ?? []).every((update) => isCheckpointName(update.Name))
        ? onCheckpoint(request)
        : checkpoint(request, logger)
  }
  if (onPage !== undefined) {
    client.getExecutionState = (request, logger) => onPage(request, logger, () => getExecutionState(request, logger))
  }
}

/** An error shaped like the AWS SDK's: `name` is what `error_type` reports. */
export const awsError = (name: string, message: string): Error => Object.assign(new Error(message), { name })

/** The three services of a fresh in-memory backend, to rebuild with faults (`layerFrom`). */
export const inMemoryServices = (memory: InMemory.InMemory = InMemory.make()) => {
  const { backend, propagation, telemetry } = memory
  return { memory, backend, propagation, telemetry }
}

/** A traced handler for `workflow` on `backend`, recording each invocation's summary. */
export const traced = (
  workflow: Workflow,
  backend: BackendLayer,
  options: Partial<WithDurableTracingOptions> = {}
): { readonly handler: LambdaHandler; readonly summaries: Array<InvocationSummary> } => {
  const summaries: Array<InvocationSummary> = []
  const handler = withDurableTracing(workflow.make({}), {
    backend,
    enabled: true,
    ...options,
    onInvocation: (summary) => summaries.push(summary)
  }) as LambdaHandler
  return { handler, summaries }
}

/** Any backend layer built from services, for the tests that compose their own. */
export const layerFrom = (
  backend: BackendServices["backend"],
  propagation: BackendServices["propagation"],
  telemetry: BackendServices["telemetry"]
): BackendLayer => layer({ backend, propagation, telemetry })

/** Real elapsed milliseconds of `fn`, whatever the runner did to `Date`. */
export const timed = async <A>(fn: () => Promise<A>): Promise<{ readonly value: A; readonly millis: number }> => {
  const start = RealClock.now()
  const value = await fn()
  return { value, millis: RealClock.now() - start }
}
