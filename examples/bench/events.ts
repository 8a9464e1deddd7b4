/**
 * Synthetic durable invocation events (SPEC §2) of a given size, shaped like the service's: the EXECUTION
 * operation first, then completed STEP operations with ~100-byte results, and the `_datadog_{N}` checkpoints
 * spread through the log with the latest near the end, where a long-running execution has it. Built once per
 * size and never mutated, so every reader and writer sees the same object.
 */
import { createHash } from "node:crypto"
import * as Checkpoint from "@durable-trace/core/Checkpoint"

/** The execution every benchmark event belongs to. */
export const EXECUTION_ARN =
  "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/order-42/4f1c2a9e-7b3d-4e8a-9c61-2d5f8b0e7a13"

/** The sizes the issue asks for: total operations in the event, the EXECUTION operation included. */
export const SIZES = [10, 1_000, 10_000] as const

/** The SDK's step ids: the first 16 hex of the md5 of the step counter. */
const stepId = (counter: number): string => createHash("md5").update(String(counter)).digest("hex").slice(0, 16)

const timestamp = (second: number): string => new Date(Date.UTC(2026, 10, 21, 10, 0, second % 60)).toISOString()

const step = (counter: number, name: string, result: string, id = stepId(counter)) => ({
  Id: id,
  Name: name,
  Type: "STEP",
  SubType: "Step",
  Status: "SUCCEEDED",
  StartTimestamp: timestamp(counter),
  EndTimestamp: timestamp(counter + 1),
  StepDetails: { Attempt: 1, Result: result }
})

/** A user step's result: about 100 bytes of JSON, as a reservation or a charge would return. */
const resultOf = (counter: number): string =>
  JSON.stringify({
    sku: `sku-${String(counter).padStart(6, "0")}`,
    quantity: (counter % 5) + 1,
    warehouse: "eu-west-1a",
    reservedAt: timestamp(counter)
  })

/** The EXECUTION operation every bench event starts with. */
const executionOperation = () => ({
  Id: "4f1c2a9e-7b3d-4e8a-9c61-2d5f8b0e7a13",
  Type: "EXECUTION",
  Status: "STARTED",
  StartTimestamp: timestamp(0),
  ExecutionDetails: { InputPayload: JSON.stringify({ orderId: "order-42", items: 3 }) }
})

/**
 * An event of `size` operations whose `_datadog_{i}` checkpoint carries `checkpoints[i]` (a JSON payload). The
 * last checkpoint sits just before the final step; earlier ones are spread evenly before it.
 */
export const makeEvent = (size: number, checkpoints: ReadonlyArray<string> = []) => {
  const slots = new Map<number, number>()
  checkpoints.forEach((_, i) => {
    slots.set(Math.max(1, Math.round(((i + 1) * (size - 2)) / checkpoints.length)), i)
  })
  const operations: Array<unknown> = [executionOperation()]
  for (let i = 1; i < size; i++) {
    const n = slots.get(i)
    operations.push(
      n === undefined
        ? step(i, `reserve-${i}`, resultOf(i))
        : step(i, `_datadog_${n}`, checkpoints[n]!, Checkpoint.checkpointOperationId(`_datadog_${n}`, EXECUTION_ARN))
    )
  }
  return {
    DurableExecutionArn: EXECUTION_ARN,
    CheckpointToken: "bench-token",
    InitialExecutionState: { Operations: operations }
  }
}

/** How many of a scale event's steps the handler replays: the SDK's own bookkeeping is quadratic in those. */
export const REPLAYED_STEPS = 10

/**
 * An event of `size` operations for the whole-wrapper benchmark: the EXECUTION operation, the first
 * `REPLAYED_STEPS` completed STEPs with the ids and names the SDK gives `context.step("reserve-{i}")` at top
 * level (the handler replays them), and completed STEPs of other ids up to `size` (the history of a long
 * execution, which every traced invocation reads). No checkpoint: a first invocation that has run for a long time.
 */
export const makeScaleEvent = (size: number) => {
  const operations: Array<unknown> = [executionOperation()]
  for (let i = 1; i < size; i++) {
    operations.push(
      i <= REPLAYED_STEPS
        ? step(i, `reserve-${i}`, String(i))
        : step(i, `history-${i}`, String(i), `h${i.toString(16).padStart(15, "0")}`)
    )
  }
  return {
    DurableExecutionArn: EXECUTION_ARN,
    CheckpointToken: "bench-token",
    InitialExecutionState: { Operations: operations }
  }
}
