/**
 * The durable SDK's plugin view of an execution (`InvocationInfo.operations`, every page already fetched) as the
 * wire-shaped event the core reads. Lets the plugin read and write without touching the raw event or paging
 * again.
 */

import type { InvocationEndInfo, InvocationInfo, OperationInfo } from "@aws/durable-execution-sdk-js"
import * as Checkpoint from "@durable-trace/core/Checkpoint"
import type { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import * as DatadogHeaders from "@durable-trace/core/DatadogHeaders"
import { DurableTraceError } from "@durable-trace/core/Errors"
import * as Effect from "effect/Effect"

const CARRIER_KEYS = [DatadogHeaders.DATADOG_CARRIER, "headers", "x-datadog-trace-id", "traceparent"]

/** Whether the execution input may carry the caller's context: only then is it serialised for the reader. */
const mayCarryContext = (input: unknown): boolean =>
  typeof input === "object" && input !== null && CARRIER_KEYS.some((key) => Object.hasOwn(input, key))

const toOperation = (info: OperationInfo) => ({
  Id: info.id,
  Name: info.name,
  Type: info.type,
  SubType: info.subType,
  Status: info.status,
  StepDetails: info.result === undefined ? undefined : { Result: info.result }
})

/**
 * A wire-shaped event (SPEC §2) holding the operations of every page the SDK has loaded that the reader and writer
 * look at: the EXECUTION operation and those named `_datadog_…`. The core reads no other operation (not even its
 * name twice), so converting the rest would only copy the execution's whole history on every invocation.
 */
export const toEvent = (info: InvocationInfo | InvocationEndInfo) => {
  const operations: Array<unknown> = []
  const all = info.operations
  for (const id in all) {
    if (!Object.hasOwn(all, id)) continue
    const operation = all[id]!
    if (operation.type === "EXECUTION") {
      operations.push(
        mayCarryContext(info.executionInput)
          ? { ...toOperation(operation), ExecutionDetails: { InputPayload: JSON.stringify(info.executionInput) } }
          : toOperation(operation)
      )
    } else if (typeof operation.name === "string" && operation.name.startsWith(Checkpoint.CHECKPOINT_NAME_PREFIX)) {
      operations.push(toOperation(operation))
    }
  }
  return { DurableExecutionArn: info.executionArn, InitialExecutionState: { Operations: operations } }
}

/** A store for events built by `toEvent`: they hold every page, so asking for another is a bug. */
export const noPaging: CheckpointStore["Service"] = {
  page: (marker) =>
    Effect.fail(new DurableTraceError({ location: "page_state", reason: "no further pages", identifiers: { marker } })),
  write: (update) =>
    Effect.fail(
      new DurableTraceError({
        location: "write_checkpoint",
        reason: "no checkpoint client",
        identifiers: { name: update.Name }
      })
    )
}
