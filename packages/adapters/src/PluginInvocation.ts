/**
 * One invocation as the SDK plugin sees it: the state the wrapper (or the plugin alone) creates for it, found by
 * every hook through the async context it runs in, and the spans it holds open. Many invocations may be in flight
 * in one process (Lambda Managed Instances, SPEC §8): nothing here is process-wide but the in-flight index for
 * calls that lost their async context.
 */
import { AsyncLocalStorage } from "node:async_hooks"
import type { OperationInfo } from "@aws/durable-execution-sdk-js"
import { CHECKPOINT_NAME_PREFIX } from "@durable-trace/core/Checkpoint"
import type * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import type { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import { laterActivity, millis } from "@durable-trace/core/OperationSpans"
import type * as SpanRules from "@durable-trace/core/SpanRules"
import type * as Writer from "@durable-trace/core/Writer"
import type { Parent, Span } from "./Backend.ts"

/** A checkpoint written early, inside one of the SDK's own checkpoint batches. */
export interface EarlyWrite {
  readonly name: string
  readonly anchor: string
  readonly operationId: string
}

/** What one invocation read and wrote. */
export interface InvocationReport {
  readonly executionArn: string
  readonly status: string
  /** The suspend-time save, when the invocation suspended. */
  readonly write: Writer.SaveOutcome | undefined
  /** The checkpoint that rode along in the SDK's first batch (crash resilience). */
  readonly early: EarlyWrite | undefined
}

/** A span this invocation holds open, with what the span rules need of it. */
export interface OpenSpan {
  readonly span: Span
  /** Epoch ms, read right after the span started. */
  readonly start: number
  readonly rule: SpanRules.Parent
}

/** Each operation's status when the invocation started: a view over the SDK's snapshot, not a copy. */
export interface StatusView {
  readonly get: (id: string) => string | undefined
  readonly has: (id: string) => boolean
}

/** The per-invocation index built once in `wrapInvocation` from the operations the invocation received. */
export interface StartIndex {
  /** Each operation's status when the invocation started. */
  readonly statusAtStart: StatusView
  /** The operations the invocation received (the SDK's own record, not a copy). */
  readonly operations: Readonly<Record<string, OperationInfo>>
  /** The operations the service updated since the previous invocation. */
  readonly updated: Readonly<Record<string, OperationInfo>>
  /** Whether the service listed any updated operation (else `updated` says nothing). */
  readonly listKnown: boolean
  /** The EXECUTION operation's start, epoch ms. */
  readonly executionStart: number | undefined
  /** The service time of the last thing an earlier invocation did (`OperationSpans.lastActivity`). */
  readonly lastActivity: number | undefined
  /** The earliest start of the handler's operations, epoch ms: work inside the first invocation. */
  readonly firstWork: number | undefined
}

/**
 * What the plugin knows of one invocation. The wrapper (`withDurableTracing`) creates it and runs the invocation
 * inside it (`runInvocation`); without a wrapper the plugin creates its own.
 */
export interface InvocationState {
  /** The execution this invocation belongs to. */
  readonly executionArn: string
  /** Present when the wrapper tracks the client: without it the plugin cannot write. */
  readonly store?: CheckpointStore["Service"] | undefined
  /** Epoch ms by which the invocation must have returned (from the Lambda context). */
  readonly deadline?: number | undefined
  /** The parent of `aws.durable.execute`; `undefined` means the plugin reads the context itself. */
  readonly parent?: Span | undefined
  /**
   * The anchor: the first invocation's `aws.durable.execute` (in a resumed invocation, the checkpoint's context).
   * Operations that outlive their invocation hang under it (SPEC §5.2).
   */
  anchor?: Parent | undefined
  executeSpan?: Span | undefined
  /** `aws.durable.execute` with its start. */
  execute?: OpenSpan | undefined
  /** Live operation spans by operation id. */
  readonly operationSpans: Map<string, OpenSpan>
  /** Attempt spans in flight by operation id. */
  attempts?: Map<string, OpenSpan> | undefined
  /** Waits and callbacks started in this invocation and not completed yet: the suspend markers' input. */
  waiting?: Map<string, OperationInfo> | undefined
  /** Operations whose operation span this invocation emitted. */
  emitted?: Set<string> | undefined
  index?: StartIndex | undefined
  /** Created by the plugin itself (no wrapper): dropped when the invocation ends. */
  readonly ownedByPlugin?: boolean | undefined
  /** This invocation's number in its execution (`InvocationNumber`), when known; set by `wrapInvocation`. */
  invocationNumber?: number | undefined
  /** The invocation's checkpoint view, shared by the early write and the suspend write. */
  log?: CheckpointLog.CheckpointLog | undefined
  /** Whether the early write (crash resilience) was offered already. */
  early?: boolean | undefined
  /** The checkpoint that went out early, in one of the SDK's batches. */
  earlyWritten?: EarlyWrite | undefined
  outcome?: Writer.SaveOutcome | undefined
  /** What the invocation read and wrote, once it ended. */
  report?: InvocationReport | undefined
  /** The plugin tracing this invocation (set by its `wrapInvocation`). */
  plugin?: unknown
}

/** The invocation each async context belongs to. */
const current = new AsyncLocalStorage<InvocationState>()

/**
 * The invocations in flight, by execution: only for a call that names its execution but runs outside any
 * invocation's context (a timer faked by a test runner loses the context). It answers only when exactly one
 * invocation of that execution is in flight, so it can never pick another invocation's state.
 */
const inFlight = new Map<string, Set<InvocationState>>()

/** Registers `state` as in flight. */
export const enter = (state: InvocationState): void => {
  const states = inFlight.get(state.executionArn)
  if (states === undefined) inFlight.set(state.executionArn, new Set([state]))
  else states.add(state)
}

/** Removes `state` from the in-flight index. */
export const leave = (state: InvocationState): void => {
  const states = inFlight.get(state.executionArn)
  states?.delete(state)
  if (states?.size === 0) inFlight.delete(state.executionArn)
}

/** Runs `fn`, and everything it starts, as part of the invocation `state` (the wrapper's entry point). */
export const runInvocation = <A>(state: InvocationState, fn: () => A): A => current.run(state, fn)

/**
 * The invocation this async context belongs to (of `executionArn`, when given), if any. Without a context, a
 * given `executionArn` with exactly one invocation in flight names that one.
 */
export const currentInvocation = (executionArn?: string): InvocationState | undefined => {
  const state = current.getStore()
  if (state !== undefined) return executionArn === undefined || state.executionArn === executionArn ? state : undefined
  if (executionArn === undefined) return undefined
  const states = inFlight.get(executionArn)
  return states?.size === 1 ? states.values().next().value : undefined
}

/**
 * The index of the operations an invocation received: built once, read by every hook. Nothing here walks the
 * operations up front: the times that need a pass over the whole state (`executionStart` without a reported start,
 * `lastActivity`, `firstWork`) are computed on first use, at most once, and most invocations never ask.
 */
export const indexOf = (
  operations: Readonly<Record<string, OperationInfo>> | undefined,
  updated: Readonly<Record<string, OperationInfo>> | undefined,
  reportedStart: Date | undefined
): StartIndex => {
  // The SDK converts its operations afresh for each hook: this snapshot is the state the invocation started with.
  const all = operations ?? {}
  const get = (id: string): string | undefined => (Object.hasOwn(all, id) ? all[id]?.status : undefined)
  const statusAtStart: StatusView = { get, has: (id) => get(id) !== undefined }
  const reported = millis(reportedStart)
  let executionStart: { readonly value: number | undefined } | undefined
  let lastActivity: { readonly value: number | undefined } | undefined
  let firstWork: { readonly value: number | undefined } | undefined
  return {
    statusAtStart,
    operations: all,
    updated: updated ?? {},
    listKnown: updated !== undefined && Object.keys(updated).length > 0,
    get executionStart() {
      if (reported !== undefined) return reported
      executionStart ??= { value: executionStartOf(all) }
      return executionStart.value
    },
    get lastActivity() {
      lastActivity ??= { value: lastActivityOf(all) }
      return lastActivity.value
    },
    get firstWork() {
      firstWork ??= { value: firstWorkOf(all) }
      return firstWork.value
    }
  }
}

type Operations = Readonly<Record<string, OperationInfo>>

// durable-trace's own checkpoints are written at suspend: not the handler's work.
const isWork = (operation: OperationInfo): boolean =>
  operation.type !== "EXECUTION" && operation.name?.startsWith(CHECKPOINT_NAME_PREFIX) !== true

/** The EXECUTION operation's start. */
const executionStartOf = (operations: Operations): number | undefined => {
  for (const id in operations) {
    const operation = operations[id]
    if (operation?.type === "EXECUTION") return millis(operation.startTimestamp)
  }
  return undefined
}

/** Folds `step` over the handler's operations (not the EXECUTION, not durable-trace's checkpoints): one pass. */
const foldWork = <A>(operations: Operations, initial: A, step: (acc: A, operation: OperationInfo) => A): A => {
  let acc = initial
  for (const id in operations) {
    const operation = operations[id]
    if (operation !== undefined && isWork(operation)) acc = step(acc, operation)
  }
  return acc
}

/** `OperationSpans.lastActivity` over the handler's operations. */
const lastActivityOf = (operations: Operations): number | undefined =>
  foldWork<number | undefined>(operations, undefined, (latest, operation) =>
    laterActivity(latest, operation.type, millis(operation.startTimestamp), millis(operation.endTimestamp))
  )

/** The earliest start of the handler's operations. */
const firstWorkOf = (operations: Operations): number | undefined =>
  foldWork<number | undefined>(operations, undefined, (first, operation) => {
    const start = millis(operation.startTimestamp)
    return start !== undefined && (first === undefined || start < first) ? start : first
  })
