/**
 * The errors of the Effect-native durable API (`DurableEffect`), and how failures cross the SDK: a typed failure
 * travels as a `StepError` whose `errorData` the SDK checkpoints, and item errors are stored as the SDK's batch serdes
 * stores them. A replay fails with what the first run failed with.
 */
import { DurableOperationError, type Duration as SdkDuration, StepError } from "@aws/durable-execution-sdk-js"
import * as Data from "effect/Data"
import * as Schema from "effect/Schema"

/**
 * A durable operation failed in a way no error Schema of yours describes: a typed failure of an operation given
 * no `error` schema (on the first run too, so that replays agree), a defect, a callback failed or timed out from
 * outside, an invoked function failed. `cause` is the SDK's error (`StepError`, `CallbackError`,
 * `ChildContextError`, `InvokeError`, ...), with the failure's message.
 */
export class DurableOperationFailure extends Data.TaggedError("DurableOperationFailure")<{
  readonly operation: string
  readonly cause: Error
}> {
  override get message(): string {
    return `${this.operation}: ${this.cause.message}`
  }
}

/**
 * A value or error did not cross the durable boundary: `Encode`, a result its own `success` schema refuses
 * (never retried, it would be refused again); `Decode`, stored data the schema no longer accepts (the code changed
 * between invocations). Checkpointed like any typed failure, so it is the same on every replay.
 */
export class DurableSchemaError extends Schema.TaggedError<DurableSchemaError>()("DurableSchemaError", {
  operation: Schema.String,
  reason: Schema.Literals(["Encode", "Decode"]),
  message: Schema.String
}) {}

/** A workflow did not finish before its durable `timeout`. */
export class DurableTimeoutError extends Data.TaggedError("DurableTimeoutError")<{
  readonly operation: string
  readonly duration: SdkDuration
}> {
  override get message(): string {
    return `${this.operation}: timed out after ${JSON.stringify(this.duration)}`
  }
}

/** What any durable operation may fail with besides your own errors. */
export type DurableError = DurableOperationFailure | DurableSchemaError

/**
 * A typed failure handed to the SDK: a `StepError`, so the SDK checkpoints its `errorData` (the failure encoded
 * with the operation's `error` schema), that still holds the failure for this invocation's retry decision.
 */
export class EffectFailure extends StepError {
  readonly failure: unknown
  constructor(failure: unknown, errorData: string | undefined) {
    super(describe(failure), undefined, errorData)
    this.failure = failure
  }
}

const describe = (failure: unknown): string => {
  if (failure instanceof Error && failure.message.length > 0) return failure.message
  if (typeof failure === "object" && failure !== null && typeof (failure as { _tag?: unknown })._tag === "string") {
    return (failure as { readonly _tag: string })._tag
  }
  return String(failure)
}

/** The `errorData` of an SDK error or of the first error in its cause chain that has one. */
export const errorDataOf = (error: unknown): string | undefined => {
  let node: unknown = error
  for (let depth = 0; depth < 10 && node instanceof Error; depth++) {
    if (node instanceof DurableOperationError && typeof node.errorData === "string") return node.errorData
    node = node.cause
  }
  return undefined
}

/** Item errors as the SDK's batch serdes stores them: `ErrorObject`s with their causes. */
export interface StoredError {
  readonly ErrorType?: string | undefined
  readonly ErrorMessage?: string | undefined
  readonly ErrorData?: string | undefined
  readonly Cause?: StoredError | undefined
}

export const storeError = (error: Error): StoredError => ({
  ...(error instanceof DurableOperationError
    ? error.toErrorObject()
    : { ErrorType: error.name, ErrorMessage: error.message }),
  ...(error.cause instanceof Error ? { Cause: storeError(error.cause) } : {})
})
