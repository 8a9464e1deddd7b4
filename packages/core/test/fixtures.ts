/**
 * Builders for durable invocation events and trace headers, shaped like what the durable SDK and Datadog's
 * writers produce (SPEC §2, §8).
 */
import * as Arbitrary from "effect/Arbitrary"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { checkpointOperationId } from "../src/Checkpoint.ts"
import { CheckpointStore, type StatePage } from "../src/CheckpointStore.ts"
import type { Headers } from "../src/Headers.ts"
import { Telemetry } from "../src/Telemetry.ts"
import { TracePropagation } from "../src/TracePropagation.ts"

export const ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/order-1/3f1c9a"

export const TRACE_ID = "4611686018427387904" // 0x4000000000000000
export const TRACE_ID_HIGH = "6760a5b100000000"
export const EXECUTE_SPAN_ID = "1311768467294899695" // 0x1234567890abcdef
export const EXECUTE_SPAN_HEX = "1234567890abcdef"

/** dd-trace's default injection (SPEC §8) for a span `spanIdDecimal`. */
export const ddHeaders = (spanIdDecimal: string, priority = "1", traceId = TRACE_ID): Headers => {
  const spanHex = BigInt(spanIdDecimal).toString(16).padStart(16, "0")
  const traceHex = BigInt(traceId).toString(16).padStart(16, "0")
  return {
    "x-datadog-trace-id": traceId,
    "x-datadog-parent-id": spanIdDecimal,
    "x-datadog-sampling-priority": priority,
    "x-datadog-tags": `_dd.p.tid=${TRACE_ID_HIGH},_dd.p.dm=-0`,
    traceparent: `00-${TRACE_ID_HIGH}${traceHex}-${spanHex}-01`,
    tracestate: `dd=t.dm:-0;t.tid:${TRACE_ID_HIGH};s:${priority};p:${spanHex},othervendor=keep`
  }
}

/** Datadog's JS writer payload: datadog headers only, no sampling priority (SPEC §3). */
export const ddJsPayload = (spanIdDecimal: string): Headers => ({
  "x-datadog-trace-id": TRACE_ID,
  "x-datadog-parent-id": spanIdDecimal,
  "x-datadog-tags": `_dd.p.tid=${TRACE_ID_HIGH},_dd.p.dm=-0`
})

export const executionOp = (input: unknown = { orderId: "o-1" }) => ({
  Id: "0a1b2c3d4e5f6a7b",
  Type: "EXECUTION",
  Status: "STARTED",
  ExecutionDetails: { InputPayload: JSON.stringify(input) }
})

export const stepOp = (name: string, result: unknown = '"ok"', id = `${name.length}f00d`.padStart(16, "0")) => ({
  Id: id,
  Name: name,
  Type: "STEP",
  SubType: "Step",
  Status: "SUCCEEDED",
  StepDetails: { Attempt: 1, Result: result }
})

/** A checkpoint as read back (SPEC §2): the payload string in `StepDetails.Result`, our writer's id. */
export const checkpointOp = (n: number, payload: unknown, executionArn = ARN) =>
  stepOp(
    `_datadog_${n}`,
    typeof payload === "string" ? payload : JSON.stringify(payload),
    checkpointOperationId(`_datadog_${n}`, executionArn)
  )

export const durableEvent = (
  operations: ReadonlyArray<unknown> | Readonly<Record<string, unknown>>,
  nextMarker?: string
) => ({
  DurableExecutionArn: ARN,
  CheckpointToken: "token-1",
  InitialExecutionState:
    nextMarker === undefined ? { Operations: operations } : { Operations: operations, NextMarker: nextMarker }
})

export const page = (operations: ReadonlyArray<unknown>, nextMarker?: string): StatePage => ({
  operations,
  nextMarker: nextMarker === undefined ? Option.none() : Option.some(nextMarker)
})

/** The in-memory ports, with optional faults. */
export const testLayer = (
  options: {
    readonly pages?: Readonly<Record<string, StatePage>>
    readonly failPage?: unknown
    readonly failWrite?: unknown
    readonly failInject?: unknown
    readonly failExtract?: unknown
  } = {}
) => Layer.mergeAll(CheckpointStore.layerTest(options), TracePropagation.layerTest(options), Telemetry.layerTest)

/** Arbitraries the property tests share: a string of `regex`, an integer in a range, a boolean, maybe a value. */
export const pattern = (regex: RegExp): Arbitrary.Arbitrary<string> =>
  Arbitrary.schema(Schema.String.check(Schema.isPattern(regex)))
export const int = (minimum: number, maximum: number): Arbitrary.Arbitrary<number> =>
  Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum, maximum })))
export const bool = Arbitrary.schema(Schema.Boolean)
export const optional = <A>(arbitrary: Arbitrary.Arbitrary<A>): Arbitrary.Arbitrary<A | undefined> =>
  Arbitrary.map(Arbitrary.all([bool, arbitrary]), ([present, value]) => (present ? value : undefined))
