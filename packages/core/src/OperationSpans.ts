/**
 * Which spans a durable execution's operations get, where they hang and when they start and end (SPEC §5.2).
 * Pure: the SDK plugin feeds in what its hooks report and what the invocation's state says, and does what these
 * functions answer.
 *
 * The rules, in one place:
 * - Every durable operation has exactly one operation span (`aws.durable.span_role: operation`), from its real
 *   start to its real completion. An operation that starts and completes in one invocation is a live span there
 *   (its attempts, child operations and the user's spans nest under it). One that outlives its invocation is
 *   emitted by the invocation that sees it complete, with the service's `StartTimestamp` / `EndTimestamp`, under
 *   the anchor (the first invocation's `aws.durable.execute`, the parent of every resumed `aws.lambda`), which
 *   exists before every invocation.
 * - The invocation that suspends on an operation shows it as a short `aws.durable.suspend` marker span (role
 *   `suspend`): from the operation's start in that invocation to the suspend.
 * - Each attempt of a step (or check of a wait_for_condition) is an `aws.durable.attempt` span (role `attempt`) in
 *   the invocation that ran it, under the step's span when that is live there, else under the invocation's
 *   `aws.durable.execute`.
 * - When the execution ends, one `aws.durable.execution` span (role `execution`) covers it from the EXECUTION
 *   operation's start.
 * Times are clamped so that no span starts before its parent and none ends before it starts, whatever clocks the
 * service and the function run on.
 */
import * as InvocationNumber from "./InvocationNumber.ts"
import type * as SpanRules from "./SpanRules.ts"

/** The tag naming what a span stands for. */
export const ROLE_TAG = "aws.durable.span_role"

/** What a span stands for. */
export type Role = "operation" | "attempt" | "suspend" | "execution"

/** One attempt of a step. */
export const ATTEMPT_SPAN = "aws.durable.attempt"

/** What an invocation suspended on. */
export const SUSPEND_SPAN = "aws.durable.suspend"

/** The whole execution, emitted once it ended. */
export const EXECUTION_SPAN = "aws.durable.execution"

/** What the rules know of an operation: SpanRules' view of it. */
export type Operation = SpanRules.Operation

/** Statuses after which an operation never changes again. */
const TERMINAL = new Set(["SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED", "CANCELLED"])

/** Whether `status` is terminal. */
export const isTerminal = (status: string | undefined): boolean => status !== undefined && TERMINAL.has(status)

/**
 * Operations that only wait on the service (a timer, a callback's result): no user code runs inside them, so
 * nothing needs them live; their span is always made from the service's timestamps when they complete.
 */
export const isWaiting = (operation: Operation): boolean => operation.type === "WAIT" || operation.type === "CALLBACK"

/**
 * Whether an operation starting now gets a live span in this invocation: yes when it is new in this invocation
 * (absent from the state it started with) and user code, attempts, child operations or a callee can run under it.
 * A carried operation (begun in an earlier invocation) is emitted when it completes, under the anchor.
 */
export const opensLive = (operation: Operation, statusAtStart: string | undefined): boolean =>
  statusAtStart === undefined && !isWaiting(operation)

/**
 * Operations the service completes between invocations (a timer, a callback's result, a callee's end): the only
 * ones an invocation can find ended that no earlier invocation saw end. Steps and child contexts end inside the
 * invocation that runs them, which emits their span.
 */
export const completesOutside = (operation: Operation): boolean =>
  isWaiting(operation) || operation.type === "CHAINED_INVOKE"

/**
 * Whether this invocation emits the operation span of an operation the SDK reports as ended: always when it had
 * not ended when the invocation started; when it had, only if the service completed it between invocations and
 * it was updated since the previous one (else an earlier invocation emitted it; this one only replays it).
 */
export const emitsOnEnd = (
  operation: Operation,
  statusAtStart: string | undefined,
  updatedSinceLastInvocation: boolean
): boolean => emitsOnEndAsking(operation, statusAtStart, () => updatedSinceLastInvocation)

/**
 * `emitsOnEnd`, asking `updatedSinceLastInvocation` only when the answer matters: knowing it may take a pass over
 * the whole state (`lastActivity`), which a replayed step never needs.
 */
export const emitsOnEndAsking = (
  operation: Operation,
  statusAtStart: string | undefined,
  updatedSinceLastInvocation: () => boolean
): boolean => !isTerminal(statusAtStart) || (completesOutside(operation) && updatedSinceLastInvocation())

/**
 * The service time of the last thing an earlier invocation did, from the state this invocation received: the
 * latest start or end of a step, or end of a child context (work that happens inside an invocation). Waits,
 * callbacks and invokes are left out: they start in an invocation but complete between invocations.
 */
export const lastActivity = (
  operations: Iterable<{ readonly type: string; readonly start: number | undefined; readonly end: number | undefined }>
): number | undefined => {
  let latest: number | undefined
  for (const { type, start, end } of operations) latest = laterActivity(latest, type, start, end)
  return latest
}

/** One step of `lastActivity`: `latest` moved past an operation's times where they count (no allocation). */
export const laterActivity = (
  latest: number | undefined,
  type: string,
  start: number | undefined,
  end: number | undefined
): number | undefined => {
  if (type === "STEP") return later(later(latest, start), end)
  return type === "CONTEXT" ? later(latest, end) : latest
}

const later = (a: number | undefined, time: number | undefined): number | undefined =>
  time !== undefined && (a === undefined || time > a) ? time : a

/**
 * Whether an operation terminal when this invocation started was updated since the previous invocation: the
 * service says so (`UpdatedOperationIds`), or, when it lists nothing, the operation ended (or, its end unknown,
 * started) after the last work an earlier invocation did, so no earlier invocation went past it.
 */
export const updatedSince = (input: {
  readonly listed: boolean
  readonly listKnown: boolean
  readonly start: number | undefined
  readonly end: number | undefined
  readonly lastActivity: number | undefined
}): boolean => {
  if (input.listed) return true
  if (input.listKnown) return false
  const time = input.end ?? input.start
  return time !== undefined && (input.lastActivity === undefined || time >= input.lastActivity)
}

/**
 * Whether an operation the service completed between invocations must be emitted at the end of this invocation,
 * though no hook reported it (the handler took another path): a terminal, externally completed operation this
 * invocation has not emitted yet.
 */
export const drainsAtEnd = (operation: Operation, status: string | undefined, emitted: boolean): boolean =>
  !emitted && isTerminal(status) && completesOutside(operation)

/** Where an operation span made from the service's timestamps hangs. */
export type Placement = "parent" | "execute" | "anchor"

/**
 * The parent of an operation span made when the operation completes: its parent operation's live span when that
 * is live in this invocation; the anchor when the operation began in an earlier invocation (and an anchor is
 * known); else the invocation's `aws.durable.execute`.
 */
export const placement = (input: {
  readonly carried: boolean
  readonly parentLive: boolean
  readonly anchorKnown: boolean
}): Placement =>
  input.carried && input.anchorKnown ? "anchor" : input.parentLive && !input.carried ? "parent" : "execute"

/** A span's start and end, epoch ms. */
export interface Window {
  readonly start: number
  readonly end: number
}

/**
 * The window of a span made after the fact: the service's start and end when known (else the parent's start and
 * now), with the start never before the parent's start (when known) and the end never before the start.
 */
export const window = (input: {
  readonly serviceStart: number | undefined
  readonly serviceEnd: number | undefined
  readonly parentStart: number | undefined
  readonly now: number
}): Window => {
  const { serviceStart, serviceEnd, parentStart, now } = input
  const wanted = serviceStart ?? parentStart ?? now
  const start = parentStart === undefined ? wanted : Math.max(wanted, parentStart)
  return { start, end: Math.max(serviceEnd ?? now, start) }
}

/**
 * The start of the execution span under the anchor: the EXECUTION operation's start, but never before the anchor.
 * The service creates the execution a moment before the first invocation opens the anchor; the anchor's own start
 * is known only in the invocation that opened it, so elsewhere the floor is the first work the service recorded
 * (an operation's start, which lies inside the first invocation's execute span).
 */
export const executionStart = (input: {
  readonly serviceStart: number | undefined
  readonly anchorStart: number | undefined
  readonly firstWork: number | undefined
}): number | undefined => {
  const floor = input.anchorStart ?? input.firstWork
  if (input.serviceStart === undefined) return floor
  return floor === undefined ? input.serviceStart : Math.max(input.serviceStart, floor)
}

/** A date reported by the SDK as epoch ms; `undefined` for anything but a valid `Date`. */
export const millis = (date: unknown): number | undefined =>
  date instanceof Date && Number.isFinite(date.getTime()) ? date.getTime() : undefined

/** Tag values, as the backends take them. */
export type Tags = Readonly<Record<string, string | number | boolean | undefined>>

/** Tags of an attempt span: the operation it belongs to, its number (SDK's, from 1) and later its outcome. */
export const attemptTags = (operationId: string, name: string | undefined, attempt: number): Tags => ({
  [ROLE_TAG]: "attempt",
  "aws.durable.operation_id": operationId,
  "aws.durable.operation_name": name,
  "aws.durable.attempt": Number.isFinite(attempt) ? Math.max(1, Math.trunc(attempt)) : 1
})

/** Tags an attempt span ends with. */
export const attemptOutcomeTags = (outcome: string): Tags => ({ "aws.durable.attempt_outcome": outcome.toLowerCase() })

/** Tags of a suspend marker: which operation the invocation suspended on. */
export const suspendTags = (operationId: string, name: string | undefined, spanName: string): Tags => ({
  [ROLE_TAG]: "suspend",
  "aws.durable.operation_id": operationId,
  "aws.durable.operation_name": name,
  "aws.durable.suspended_on": spanName
})

/** Execution statuses after which an execution span is emitted. */
export const endsExecution = (invocationStatus: string): boolean =>
  invocationStatus === "SUCCEEDED" || invocationStatus === "FAILED"

/** Tags of the execution span. */
export const executionTags = (executionArn: string, status: string, invocations: number | undefined): Tags => ({
  [ROLE_TAG]: "execution",
  "aws.durable.execution_arn": executionArn,
  "aws.durable.execution_status": status.toLowerCase(),
  [InvocationNumber.COUNT_TAG]: invocations
})
