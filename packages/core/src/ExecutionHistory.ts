/**
 * Trace continuity read off a durable execution's history (`GetDurableExecutionHistory` events), invocation by
 * invocation: the state each invocation started from, the context the reader continues from it, the
 * `_datadog_{N}` it wrote, and where continuity broke and why. Pure. Use it from outside the execution, where
 * the state API is closed (`GetDurableExecutionState` needs the invocation's checkpoint token) but the history
 * holds every completed step with its result. Gotcha: the history needs `IncludeExecutionData` for step
 * results; without it every checkpoint reads as empty.
 */
import * as Option from "effect/Option"
import * as Checkpoint from "./Checkpoint.ts"
import * as DurableEvent from "./DurableEvent.ts"
import * as Headers from "./Headers.ts"
import * as OfflineRead from "./OfflineRead.ts"
import type * as Reader from "./Reader.ts"
import * as Untrusted from "./Untrusted.ts"

/** The execution statuses of `GetDurableExecution` and `ListDurableExecutionsByFunction`. */
export type ExecutionStatus = "RUNNING" | "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "STOPPED"

/** A `_datadog_{N}` operation one invocation wrote: a checkpoint, or a user's step named like one. */
export interface Written {
  readonly name: string
  readonly n: number
  readonly id: string | undefined
  /**
   * The known writer that gives this name this id in this execution (`Checkpoint.writerOf`): `durable-trace`
   * (which Datadog's Python writer is too: the same id) or `dd-trace-js`; `none` when no known writer does, so it
   * is not a checkpoint at all (a user's step named like one, SPEC §3.3a).
   */
  readonly writer: Checkpoint.Writer | "none"
  readonly valid: boolean
  /** Why the reader cannot continue a trace from it (`not a checkpoint id` when `writer` is `none`); undefined when valid. */
  readonly problem: Checkpoint.RejectionReason | undefined
  /** 32 lowercase hex. */
  readonly traceId: string | undefined
  /** The anchor it carries, 16 lowercase hex. */
  readonly parentId: string | undefined
}

/** A `_datadog_{N}` the reader skips, and why (as file-mode `inspect` lists it). */
export interface Skipped {
  readonly name: string
  readonly id: string | undefined
  readonly reason: Checkpoint.RejectionReason
}

/** What broke continuity at one invocation, with a stable code. */
export interface Break {
  readonly code: "no_checkpoint_to_continue" | "no_valid_checkpoint" | "trace_changed" | "anchor_changed"
  readonly message: string
}

/** One invocation, in order. */
export interface Invocation {
  /** 1-based. */
  readonly index: number
  readonly requestId: string | undefined
  readonly startTimestamp: string | undefined
  readonly endTimestamp: string | undefined
  /** Operations rebuilt from the history (the EXECUTION and finished steps) that completed before it started. */
  readonly operationsSeen: number
  /** Where the reader takes its context from, given that state. */
  readonly continued: {
    readonly source: Reader.Source
    readonly checkpoint: string | undefined
    readonly traceId: string | undefined
    readonly parentId: string | undefined
    /** `_datadog_{N}` operations above the one continued that the reader skips, highest first. */
    readonly skipped: ReadonlyArray<Skipped>
  }
  readonly wrote: ReadonlyArray<Written>
  readonly breaks: ReadonlyArray<Break>
  /** Set when the invocation ended in an error (`InvocationCompletedDetails.Error`). */
  readonly error: string | undefined
}

/**
 * The verdict on one execution, most serious first. `no_checkpoint`: no `_datadog_{N}` carries a known writer's id
 * (a user's step named like one is no checkpoint). `corrupt_latest`: the highest `_datadog_{N}` cannot continue a
 * trace, `reason` says why (`not a checkpoint id`: a user's step named like one). `other_writer`: checkpoints with
 * Datadog's JS writer's id (dd-trace's own integration); Datadog's Python writer gives durable-trace's id, so its
 * checkpoints cannot be told apart and never make this verdict.
 */
export type Verdict =
  | { readonly _tag: "broken"; readonly invocation: number; readonly code: Break["code"]; readonly why: string }
  | { readonly _tag: "corrupt_latest"; readonly checkpoint: string; readonly reason: Checkpoint.RejectionReason }
  | { readonly _tag: "other_writer"; readonly checkpoints: ReadonlyArray<string> }
  | { readonly _tag: "no_checkpoint"; readonly invocations: number }
  | { readonly _tag: "running" }
  | { readonly _tag: "continuous"; readonly invocations: number; readonly traceId: string | undefined }

/** Every verdict tag, in the order a summary lists them. */
export const VERDICTS: ReadonlyArray<Verdict["_tag"]> = [
  "continuous",
  "broken",
  "no_checkpoint",
  "other_writer",
  "corrupt_latest",
  "running"
]

/** The continuity of one execution. */
export interface Analysis {
  readonly invocations: ReadonlyArray<Invocation>
  /** The operations of the execution's state now, rebuilt from the history (the input of the file-mode report). */
  readonly operations: ReadonlyArray<unknown>
  readonly verdict: Verdict
}

const field = Untrusted.field

const stringField = (value: unknown, key: string): string | undefined => {
  const found = field(value, key)
  return typeof found === "string" ? found : found instanceof Date ? found.toISOString() : undefined
}

/** Step events that end a step, and the status its operation then has. */
const STEP_END: Readonly<Record<string, { readonly status: string; readonly details: string }>> = {
  StepSucceeded: { status: "SUCCEEDED", details: "StepSucceededDetails" },
  StepFailed: { status: "FAILED", details: "StepFailedDetails" }
}

/**
 * The operation a history event completes, shaped as `GetDurableExecutionState` returns it, for the events the
 * reader looks at: the execution's start (its input) and finished steps (a checkpoint is a step).
 */
const operationOf = (event: unknown): Option.Option<unknown> => {
  const type = field(event, "EventType")
  const id = stringField(event, "Id")
  if (type === "ExecutionStarted") {
    const input = field(field(field(event, "ExecutionStartedDetails"), "Input"), "Payload")
    return Option.some({
      Id: id,
      Type: DurableEvent.EXECUTION,
      Status: "STARTED",
      ExecutionDetails: typeof input === "string" ? { InputPayload: input } : {}
    })
  }
  const end = typeof type === "string" ? STEP_END[type] : undefined
  if (end === undefined) return Option.none()
  const result = field(field(field(event, end.details), "Result"), "Payload")
  return Option.some({
    Id: id,
    Name: stringField(event, "Name"),
    Type: "STEP",
    SubType: stringField(event, "SubType") ?? "Step",
    Status: end.status,
    ...(stringField(event, "ParentId") === undefined ? {} : { ParentId: stringField(event, "ParentId") }),
    StepDetails: typeof result === "string" ? { Result: result } : {}
  })
}

/** Events only an invocation makes: after the last `InvocationCompleted`, one is still in flight. */
const INVOCATION_WORK: ReadonlySet<string> = new Set([
  "StepStarted",
  "StepSucceeded",
  "StepFailed",
  "WaitStarted",
  "ContextStarted",
  "CallbackStarted",
  "ChainedInvokeStarted"
])

/** The reader over a complete state (nothing to page, nothing reported outside). */
const readState = (operations: ReadonlyArray<unknown>, executionArn: string): Reader.ReadResult =>
  OfflineRead.read(
    { DurableExecutionArn: executionArn, InitialExecutionState: { Operations: operations } },
    executionArn
  ).read

const writtenOf = (operation: unknown, n: number, executionArn: string): Written => {
  const id = stringField(operation, "Id")
  const name = Checkpoint.checkpointName(n)
  const classified = Checkpoint.classify({ n, operation }, executionArn)
  const headers = Checkpoint.isCheckpoint(classified) ? Option.some(classified.headers) : Option.none()
  return {
    name,
    n,
    id,
    writer: Option.getOrElse(Checkpoint.writerOf(field(operation, "Id"), name, executionArn), () => "none" as const),
    valid: Option.isSome(headers),
    problem: Checkpoint.isCheckpoint(classified) ? undefined : classified.reason,
    traceId: Option.getOrUndefined(Option.flatMap(headers, Headers.traceIdHex)),
    parentId: Option.getOrUndefined(Option.flatMap(headers, Headers.parentId))
  }
}

const errorOf = (event: unknown): string | undefined => {
  const error = field(field(event, "InvocationCompletedDetails"), "Error")
  const payload = field(error, "Payload") ?? error
  const type = stringField(payload, "ErrorType")
  const message = stringField(payload, "ErrorMessage")
  return type === undefined && message === undefined ? undefined : [type, message].filter(Boolean).join(": ")
}

/**
 * Whether a known writer wrote any `_datadog_{N}` among `operations`, valid or not: a user's step named like one
 * is no checkpoint, so it does not make tracing look installed.
 */
const anyCheckpoint = (operations: ReadonlyArray<unknown>, executionArn: string): boolean =>
  Checkpoint.collect(operations, []).some((candidate) =>
    Checkpoint.isCheckpointId(field(candidate.operation, "Id"), Checkpoint.checkpointName(candidate.n), executionArn)
  )

/** Why invocation `index` does not continue the trace the execution's checkpoints hold, if it does not. */
const breaksOf = (
  index: number,
  read: Reader.ReadResult,
  checkpointed: boolean,
  highestN: number,
  wrote: ReadonlyArray<Written>
): Array<Break> => {
  const breaks: Array<Break> = []
  if (index > 1 && read.source !== "checkpoint") {
    breaks.push(
      !checkpointed
        ? {
            code: "no_checkpoint_to_continue",
            message: "no _datadog_* checkpoint to continue: the invocations before it wrote none, so it starts anew"
          }
        : {
            code: "no_valid_checkpoint",
            message: `no valid checkpoint among _datadog_0.._datadog_${highestN}: the reader skips them all and starts anew`
          }
    )
  }
  const continued = Option.getOrUndefined(read.checkpoint)
  const context = Option.getOrUndefined(read.context)
  if (continued === undefined || context === undefined) return breaks
  for (const written of wrote) {
    if (!written.valid) continue
    if (written.traceId !== context.traceId) {
      breaks.push({
        code: "trace_changed",
        message: `wrote ${written.name} with trace ${written.traceId}, but continued ${continued.name} of trace ${context.traceId}`
      })
    } else if (written.parentId !== context.spanId) {
      breaks.push({
        code: "anchor_changed",
        message: `wrote ${written.name} anchored at ${written.parentId}, but ${continued.name} anchors the trace at ${context.spanId}`
      })
    }
  }
  return breaks
}

const verdictOf = (
  invocations: ReadonlyArray<Invocation>,
  operations: ReadonlyArray<unknown>,
  status: ExecutionStatus | undefined,
  executionArn: string
): Verdict => {
  const scan = Checkpoint.scan(operations, executionArn)
  // No checkpoint at all is its own verdict, not a break at every invocation: tracing never wrote.
  if (!anyCheckpoint(operations, executionArn)) {
    return status === "RUNNING" ? { _tag: "running" } : { _tag: "no_checkpoint", invocations: invocations.length }
  }
  for (const invocation of invocations) {
    const first = invocation.breaks[0]
    if (first !== undefined) {
      return { _tag: "broken", invocation: invocation.index, code: first.code, why: first.message }
    }
  }
  // Anything above the latest valid checkpoint was rejected, highest first.
  const top = scan.rejected[0]
  const latestIsTop = Option.isSome(scan.latest) && scan.latest.value.n === scan.highestN
  if (!latestIsTop && top !== undefined) {
    return { _tag: "corrupt_latest", checkpoint: Checkpoint.checkpointName(top.n), reason: top.reason }
  }
  // The id proves the writer whatever the payload holds; a user's step (`none`) is no writer at all.
  const foreign = invocations.flatMap((i) => i.wrote).filter((w) => w.writer === "dd-trace-js")
  if (foreign.length > 0) return { _tag: "other_writer", checkpoints: foreign.map((w) => w.name) }
  if (status === "RUNNING") return { _tag: "running" }
  const traceId = Option.getOrUndefined(Option.flatMap(scan.latest, (latest) => Headers.traceIdHex(latest.headers)))
  return { _tag: "continuous", invocations: invocations.length, traceId }
}

/**
 * Analyses an execution's history, every page concatenated in order. Invocations are delimited by
 * `InvocationCompleted` events; one still in flight (after the last of them, while the execution runs) is
 * listed with no end. One pass over the events; each invocation's reader runs over the EXECUTION operation and
 * the checkpoints so far only (all the reader looks at), so the cost is the history plus invocations times
 * checkpoints.
 */
export const analyse = (
  executionArn: string,
  events: ReadonlyArray<unknown>,
  status?: ExecutionStatus | undefined
): Analysis => {
  // Operations by id, in first-seen order, as the state lists them; a later event of one id replaces it.
  const operations = new Map<string, unknown>()
  // What the reader looks at: the EXECUTION operation and the `_datadog_*` ones.
  const relevant = new Map<string, unknown>()
  let seen: ReadonlyArray<unknown> = []
  let seenCount = 0
  let wrote: Array<Written> = []
  let opened = false
  const invocations: Array<Invocation> = []
  const close = (end: unknown) => {
    const index = invocations.length + 1
    const read = readState(seen, executionArn)
    const scan = Checkpoint.scan(seen, executionArn)
    const checkpoint = Option.getOrUndefined(read.checkpoint)
    const context = Option.getOrUndefined(read.context)
    const details = field(end, "InvocationCompletedDetails")
    invocations.push({
      index,
      requestId: stringField(details, "RequestId"),
      startTimestamp: stringField(details, "StartTimestamp"),
      endTimestamp: stringField(details, "EndTimestamp"),
      operationsSeen: seenCount,
      continued: {
        source: read.source,
        checkpoint: checkpoint?.name,
        traceId: context?.traceId,
        parentId: context?.spanId,
        skipped: scan.rejected.map((rejected) => ({
          name: Checkpoint.checkpointName(rejected.n),
          id: rejected.operationId,
          reason: rejected.reason
        }))
      },
      wrote,
      breaks: breaksOf(index, read, anyCheckpoint(seen, executionArn), scan.highestN, wrote),
      error: errorOf(end)
    })
    seen = [...relevant.values()]
    seenCount = operations.size
    wrote = []
    opened = false
  }
  for (const event of events) {
    const type = field(event, "EventType")
    if (type === "InvocationCompleted") {
      close(event)
      continue
    }
    if (typeof type === "string" && INVOCATION_WORK.has(type)) opened = true
    const operation = operationOf(event)
    if (Option.isNone(operation)) continue
    const id = stringField(operation.value, "Id") ?? `#${operations.size}`
    operations.set(id, operation.value)
    const n = Checkpoint.parseCheckpointName(field(operation.value, "Name"))
    if (Option.isSome(n)) wrote.push(writtenOf(operation.value, n.value, executionArn))
    if (type === "ExecutionStarted" || Option.isSome(n)) relevant.set(id, operation.value)
    if (type === "ExecutionStarted") {
      seen = [...relevant.values()]
      seenCount = operations.size
    }
  }
  if (opened && status === "RUNNING") close(undefined)
  const all = [...operations.values()]
  return { invocations, operations: all, verdict: verdictOf(invocations, all, status, executionArn) }
}

/** One line for a verdict. */
export const describeVerdict = (verdict: Verdict): string => {
  switch (verdict._tag) {
    case "broken":
      return `broken at invocation ${verdict.invocation}: ${verdict.why}`
    case "corrupt_latest":
      return verdict.reason === "not a checkpoint id"
        ? `corrupt latest: ${verdict.checkpoint} is not a checkpoint: its id is not what a checkpoint writer gives this name (a user's step named like one?); readers that look only at the highest N, as Datadog's do, lose the trace`
        : `corrupt latest: ${verdict.checkpoint} is not a valid checkpoint (${verdict.reason}): Datadog's readers, which read only the highest N, lose the trace`
    case "other_writer":
      return `written by another writer: ${verdict.checkpoints.join(", ")} carry dd-trace-js's ids (dd-trace's own integration writes checkpoints too)`
    case "no_checkpoint":
      return verdict.invocations <= 1
        ? "no checkpoint: one invocation, nothing to continue"
        : `no checkpoint: ${verdict.invocations} invocations and no _datadog_* written (tracing not installed?)`
    case "running":
      return "still running: continuous so far"
    case "continuous":
      return `continuous: ${verdict.invocations} invocation${verdict.invocations === 1 ? "" : "s"} in trace ${verdict.traceId}`
  }
}
