/**
 * The durable invocation event (SPEC §2) as Schemas: the full contract, for tools that decode it as a whole
 * (inspection, tests, generators). The hot path does not use these: `DurableEvent` reads the same shape lazily,
 * field by field, without loading Schema (its cold-start cost: bench/RESULTS.md, measurement notes). A property test keeps
 * the two in agreement. Decoding never throws; unknown fields are ignored.
 */
import * as Schema from "effect/Schema"

/** `StepDetails`; `Result` is the step's serialised result: a string, or an already-parsed value from some producers. */
export const StepDetails = Schema.Struct({
  Attempt: Schema.optionalKey(Schema.Number),
  Result: Schema.optionalKey(Schema.Unknown)
})

/** One operation of the execution's state, as read back. */
export const Operation = Schema.Struct({
  Id: Schema.optionalKey(Schema.String),
  ParentId: Schema.optionalKey(Schema.String),
  Name: Schema.optionalKey(Schema.String),
  Type: Schema.optionalKey(Schema.String),
  SubType: Schema.optionalKey(Schema.String),
  Status: Schema.optionalKey(Schema.String),
  StepDetails: Schema.optionalKey(StepDetails),
  /** dd-trace-js reads a checkpoint payload here too. */
  Payload: Schema.optionalKey(Schema.String),
  ExecutionDetails: Schema.optionalKey(Schema.Struct({ InputPayload: Schema.optionalKey(Schema.String) }))
})

/** The operations of a state page: a list, or an object map keyed by position (`{"0": op, ...}`). */
export const Operations = Schema.Union([Schema.Array(Operation), Schema.Record(Schema.String, Operation)])

/** A page of execution state: `InitialExecutionState`, or a `GetDurableExecutionState` response. */
export const ExecutionState = Schema.Struct({
  Operations: Operations,
  NextMarker: Schema.optionalKey(Schema.String)
})

/** The invocation event a durable function receives. */
export const InvocationEvent = Schema.Struct({
  DurableExecutionArn: Schema.String,
  CheckpointToken: Schema.String,
  UpdatedOperationIds: Schema.optionalKey(Schema.Array(Schema.String)),
  InitialExecutionState: ExecutionState
})

/** The decoded event, or none when `input` does not satisfy the contract. */
export const decodeInvocationEvent = Schema.decodeUnknownOption(InvocationEvent)

/** A decoded state page, or none. */
export const decodeExecutionState = Schema.decodeUnknownOption(ExecutionState)
