/**
 * The durable invocation event (SPEC §2), read lazily. Every invocation pays for this, so the accessors touch
 * only the fields they return and never decode the operation list as a whole: a 10,000-operation event costs
 * one pass over `Name`s (see `Checkpoint.collect`). Untrusted input: accessors never throw, read own
 * properties only, and return `Option.none()` for anything off-contract. `DurableEventSchema` describes the
 * same shape as Schemas for tools that want full decoding.
 */
import * as Option from "effect/Option"
import * as Untrusted from "./Untrusted.ts"

/** The EXECUTION operation's type. */
export const EXECUTION = "EXECUTION"

/** Largest `InputPayload` parsed when looking for a caller's trace context. */
export const MAX_INPUT_PAYLOAD_BYTES = 1024 * 1024

const get = (value: unknown, key: string): unknown =>
  Untrusted.isArray(value) ? undefined : Untrusted.field(value, key)

const nonEmptyString = (value: unknown): Option.Option<string> =>
  typeof value === "string" && value.length > 0 ? Option.some(value) : Option.none()

/** The execution ARN, if `event` is a durable invocation (SPEC §3.3: a string `DurableExecutionArn`). */
export const executionArn = (event: unknown): Option.Option<string> => nonEmptyString(get(event, "DurableExecutionArn"))

/** Whether `event` is a durable invocation event. */
export const isDurableEvent = (event: unknown): boolean => Option.isSome(executionArn(event))

/** The checkpoint token the invocation started with. The SDK rotates it on every checkpoint. */
export const checkpointToken = (event: unknown): Option.Option<string> => nonEmptyString(get(event, "CheckpointToken"))

const EMPTY: ReadonlyArray<unknown> = []

/**
 * The operations of a state page (`InitialExecutionState`, or a `GetDurableExecutionState` response): a list
 * as is, an object map (`{"0": op, ...}`) in key order, anything else as empty.
 */
export const operationsOf = (state: unknown): ReadonlyArray<unknown> => {
  const operations = get(state, "Operations")
  if (Untrusted.isArray(operations)) return operations
  if (typeof operations === "object" && operations !== null)
    return Untrusted.attempt(() => Object.values(operations), EMPTY)
  return EMPTY
}

/** The marker of the next state page, when this page is not the last. */
export const nextMarkerOf = (state: unknown): Option.Option<string> => nonEmptyString(get(state, "NextMarker"))

/** The first page of operations carried by the event. */
export const initialOperations = (event: unknown): ReadonlyArray<unknown> =>
  operationsOf(get(event, "InitialExecutionState"))

/** The marker of the page after the event's first page. */
export const initialNextMarker = (event: unknown): Option.Option<string> =>
  nextMarkerOf(get(event, "InitialExecutionState"))

/** The EXECUTION operation: `Operations[0]` by contract, else the first one of that type. */
export const executionOperation = (event: unknown): Option.Option<unknown> => {
  const operations = initialOperations(event)
  return Untrusted.attempt(() => {
    const first = operations[0]
    if (get(first, "Type") === EXECUTION) return Option.some(first)
    const found = operations.find((operation) => get(operation, "Type") === EXECUTION)
    return found === undefined ? Option.none() : Option.some(found)
  }, Option.none())
}

/** The user's original input (`ExecutionDetails.InputPayload`, a JSON string), still as a string. */
export const inputPayload = (event: unknown): Option.Option<string> =>
  Option.flatMap(executionOperation(event), (operation) =>
    nonEmptyString(get(get(operation, "ExecutionDetails"), "InputPayload"))
  )

/** Parses JSON without throwing; `undefined` for malformed or oversized text. */
export const parseJson = (text: string, maxLength: number): unknown => {
  if (text.length > maxLength) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * The user's original input, parsed, but only when it may carry a trace context: payloads that mention no
 * propagation key are not parsed at all, so a large input costs one substring search.
 */
export const traceableInput = (event: unknown): Option.Option<unknown> =>
  Option.flatMap(inputPayload(event), (text) => {
    if (!text.includes("x-datadog-trace-id") && !text.includes("traceparent")) return Option.none()
    const parsed = parseJson(text, MAX_INPUT_PAYLOAD_BYTES)
    return parsed === undefined ? Option.none() : Option.some(parsed)
  })

/** The execution's name and id, from `arn:...:durable-execution/{name}/{id}` (SPEC §5 span tags). */
export interface ExecutionIdentity {
  readonly name: string
  readonly id: string
}

const EXECUTION_ARN = /\/durable-execution\/([^/]+)\/([^/]+)$/

/** The execution's name and id parsed from its ARN. */
export const parseExecutionArn = (arn: string): Option.Option<ExecutionIdentity> => {
  if (typeof arn !== "string") return Option.none()
  const match = EXECUTION_ARN.exec(arn)
  return match === null ? Option.none() : Option.some({ name: match[1]!, id: match[2]! })
}

/**
 * Whether this is the execution's first invocation: only the EXECUTION operation exists so far. Replays of
 * later invocations carry the operations completed before them.
 */
export const isFirstInvocation = (event: unknown): boolean => {
  const operations = initialOperations(event)
  return Untrusted.attempt(() => operations.length, 0) <= 1 && Option.isNone(initialNextMarker(event))
}
