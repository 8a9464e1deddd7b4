/**
 * The durable SDK's plugin view of an execution (`InvocationInfo.operations`, every page already fetched) as the
 * wire-shaped event the core reads. Lets the plugin read and write without touching the raw event or paging
 * again.
 */

import type { InvocationEndInfo, InvocationInfo, OperationInfo } from "@aws/durable-execution-sdk-js"
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

/** A wire-shaped event (SPEC §2) holding every operation the SDK has loaded. */
export const toEvent = (info: InvocationInfo | InvocationEndInfo) => {
  const operations: Array<unknown> = []
  for (const operation of Object.values(info.operations)) {
    operations.push(
      operation.type === "EXECUTION" && mayCarryContext(info.executionInput)
        ? { ...toOperation(operation), ExecutionDetails: { InputPayload: JSON.stringify(info.executionInput) } }
        : toOperation(operation)
    )
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
