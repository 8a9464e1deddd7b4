/**
 * The analysis behind `durable-trace inspect`, next to the reader it explains: given a durable invocation event or
 * a dump of an execution's state, what every `_datadog_*` operation holds and why it is or is not a usable
 * checkpoint (`CheckpointInspection`), which context the reader continues from it (`OfflineRead`), the anchor, and
 * what looks wrong. Pure: a report is the same on every run. Gotcha: only the first page is ever read; when it
 * ends in `NextMarker` the report says so instead of guessing what later pages hold.
 */
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Checkpoint from "./Checkpoint.ts"
import { analyse, type CheckpointReport, describe, type Finding } from "./CheckpointInspection.ts"
import * as DatadogHeaders from "./DatadogHeaders.ts"
import * as DurableEvent from "./DurableEvent.ts"
import type * as Headers from "./Headers.ts"
import * as Hex from "./Hex.ts"
import { warningsOf } from "./InspectionWarnings.ts"
import * as OfflineRead from "./OfflineRead.ts"
import type * as Reader from "./Reader.ts"

export type { CheckpointReport, Finding } from "./CheckpointInspection.ts"

/** What the input was recognised as. */
export type InputKind = "event" | "state" | "operations"

/** Why an input cannot be inspected at all. */
export interface Unreadable {
  readonly reason: "empty" | "not_json" | "not_inspectable"
  /** One line. */
  readonly message: string
}

/** A telemetry increment the reader made while reading. */
export type ReaderFailure = OfflineRead.Failure

/** The context an invocation given this state continues: for an event, the invocation that received it. */
export interface NextContext {
  readonly source: Reader.Source
  /** The checkpoint continued, when `source` is `checkpoint`. */
  readonly checkpoint: string | undefined
  /** 32 lowercase hex. */
  readonly traceId: string | undefined
  /** The low 64 bits of the trace id in decimal: the id Datadog shows and logs carry. */
  readonly traceIdDecimal: string | undefined
  /** The span the invocation's `aws.lambda` span becomes a child of, 16 lowercase hex. */
  readonly parentId: string | undefined
  readonly parentIdDecimal: string | undefined
  readonly headers: Headers.Headers | undefined
  /** Canonical checkpoints above the one continued that were skipped, highest first. */
  readonly skipped: ReadonlyArray<{ readonly name: string; readonly id: string | undefined; readonly reason: string }>
  /** Set when the first page ends in `NextMarker`; later pages were not read. */
  readonly paging: { readonly nextMarker: string; readonly readerWouldPage: boolean } | undefined
  /** What the reader would count as `integration_errors` (SPEC §4.7). */
  readonly failures: ReadonlyArray<ReaderFailure>
}

/** The anchor: the parent id every resumed invocation hangs under (SPEC §4.4). */
export interface Anchor {
  /** 16 lowercase hex. */
  readonly parentId: string
  readonly decimal: string
  /** The latest valid checkpoint it was read from. */
  readonly checkpoint: string
  /** Whether every valid checkpoint carries this parent id. */
  readonly shared: boolean
  /** Valid checkpoints with another parent id. */
  readonly disagreeing: ReadonlyArray<{
    readonly name: string
    readonly id: string | undefined
    readonly parentId: string
  }>
}

/** Everything `inspect` found. `JSON.stringify` of it is the `--json` output. */
export interface Report {
  readonly input: {
    readonly kind: InputKind
    readonly executionArn: string | undefined
    /** Operations on the (first) page. */
    readonly operations: number
    readonly nextMarker: string | undefined
  }
  /** Every `_datadog_*` operation, in list order. */
  readonly checkpoints: ReadonlyArray<CheckpointReport>
  readonly next: NextContext
  readonly anchor: Anchor | undefined
  readonly warnings: ReadonlyArray<Finding>
}
const STATE_DUMP_ARN = "(state dump)"

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

// Not `Untrusted.field`: the input is JSON, and a throw (a stack overflow) must reach `inspectJson` to be said.
const own = (value: unknown, key: string): unknown =>
  isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined

interface Recognised {
  readonly kind: InputKind
  /** The input as an invocation event: what the reader is given. */
  readonly event: unknown
  readonly warnings: ReadonlyArray<Finding>
}

const notInspectable = (what: string): Result.Result<never, Unreadable> =>
  Result.fail({
    reason: "not_inspectable",
    message:
      `${what}: neither a durable invocation event (DurableExecutionArn, InitialExecutionState) ` +
      "nor a state dump ({ Operations, NextMarker? } or an array of operations)"
  })

/** Which kind of input `json` is, as the event the reader would get. */
const recognise = (json: unknown): Result.Result<Recognised, Unreadable> => {
  if (Array.isArray(json)) {
    const stray = json.findIndex((operation) => !isRecord(operation))
    if (stray !== -1) return notInspectable(`JSON array whose element ${stray} is ${describe(json[stray])}`)
    return Result.succeed({
      kind: "operations",
      event: { DurableExecutionArn: STATE_DUMP_ARN, InitialExecutionState: { Operations: json } },
      warnings: []
    })
  }
  if (!isRecord(json)) return notInspectable(`JSON ${json === null ? "null" : typeof json}`)
  const state = own(json, "InitialExecutionState")
  const arn = Option.getOrUndefined(DurableEvent.executionArn(json))
  if (arn !== undefined || state !== undefined) {
    const warnings: Array<Finding> = []
    if (arn === undefined) {
      warnings.push({
        code: "no_execution_arn",
        message: "no DurableExecutionArn: a reader would not treat this as a durable invocation; read as if it were"
      })
    }
    if (!isRecord(own(state, "Operations")) && !Array.isArray(own(state, "Operations"))) {
      warnings.push({ code: "no_operations", message: "InitialExecutionState.Operations is missing: no operations" })
    }
    return Result.succeed({
      kind: "event",
      event: arn === undefined ? { ...json, DurableExecutionArn: STATE_DUMP_ARN } : json,
      warnings
    })
  }
  const operations = own(json, "Operations")
  if (Array.isArray(operations) || isRecord(operations)) {
    return Result.succeed({
      kind: "state",
      event: { DurableExecutionArn: STATE_DUMP_ARN, InitialExecutionState: json },
      warnings: []
    })
  }
  const keys = Object.keys(json)
  return notInspectable(
    keys.length === 0
      ? "empty JSON object"
      : `JSON object with keys ${keys.slice(0, 5).join(", ")}${keys.length > 5 ? ", ..." : ""}`
  )
}

const hex16ToDecimal = (hex: string | undefined): string | undefined =>
  hex === undefined ? undefined : Option.getOrUndefined(DatadogHeaders.hex16ToDecimal(hex))

const nextContext = (event: unknown, executionArn: string): NextContext => {
  // A state dump does not say which execution it is: its checkpoint ids cannot be checked (SPEC §3.3a).
  const { read, firstPage, pageRequests, failures } = OfflineRead.read(event, executionArn, {
    unverifiedIds: executionArn === STATE_DUMP_ARN
  })
  const context = Option.getOrUndefined(read.context)
  const checkpoint = Option.getOrUndefined(read.checkpoint)
  const nextMarker = Option.getOrUndefined(DurableEvent.initialNextMarker(event))
  return {
    source: read.source,
    checkpoint: checkpoint?.name,
    traceId: context?.traceId,
    traceIdDecimal: context === undefined ? undefined : Hex.lowDecimal(context.traceId),
    parentId: context?.spanId,
    parentIdDecimal: hex16ToDecimal(context?.spanId),
    headers: Option.getOrUndefined(read.headers),
    skipped: firstPage.rejected.map((rejected) => ({
      name: Checkpoint.checkpointName(rejected.n),
      id: rejected.operationId,
      reason: rejected.reason
    })),
    paging: nextMarker === undefined ? undefined : { nextMarker, readerWouldPage: pageRequests.length > 0 },
    failures
  }
}

const anchorOf = (checkpoints: ReadonlyArray<CheckpointReport>, latest: Option.Option<Checkpoint.Checkpoint>) => {
  if (Option.isNone(latest)) return undefined
  const from = checkpoints.find((c) => c.valid && c.n === latest.value.n && c.id === latest.value.operationId)
  const parentId = from?.parentId
  const decimal = hex16ToDecimal(parentId)
  if (from === undefined || parentId === undefined || decimal === undefined) return undefined
  const disagreeing = checkpoints
    .filter((c) => c.valid && c.parentId !== undefined && c.parentId !== parentId)
    .map((c) => ({ name: c.name, id: c.id, parentId: c.parentId! }))
  return { parentId, decimal, checkpoint: from.name, shared: disagreeing.length === 0, disagreeing }
}

/**
 * Inspects a parsed input: a durable invocation event, a `GetDurableExecutionState` output
 * (`{ Operations, NextMarker? }`), or the SDK test runner's operations (an array of raw operations). Fails only
 * when the input is none of these; a readable input always gives a report, even with no checkpoint at all.
 * The input is a JSON value (what `decode` returns, or a `structuredClone` of one); objects with throwing
 * getters or Proxies are outside the contract.
 */
export const inspect = (input: unknown): Result.Result<Report, Unreadable> =>
  Result.map(recognise(input), ({ kind, event, warnings }) => {
    const operations = DurableEvent.initialOperations(event)
    const executionArn = Option.getOrElse(DurableEvent.executionArn(event), () => STATE_DUMP_ARN)
    // A state dump does not say which execution it is: its checkpoint ids cannot be checked.
    const knownArn = executionArn === STATE_DUMP_ARN ? undefined : executionArn
    const checkpoints: Array<CheckpointReport> = []
    operations.forEach((operation, index) => {
      const name = own(operation, "Name")
      if (typeof name === "string" && name.startsWith(Checkpoint.CHECKPOINT_NAME_PREFIX)) {
        checkpoints.push(analyse(operation, index, name, knownArn))
      }
    })
    const next = nextContext(event, executionArn)
    const anchor = anchorOf(checkpoints, Checkpoint.scan(operations, knownArn).latest)
    return {
      input: {
        kind,
        executionArn: executionArn === STATE_DUMP_ARN ? undefined : executionArn,
        operations: operations.length,
        nextMarker: Option.getOrUndefined(DurableEvent.initialNextMarker(event))
      },
      checkpoints,
      next,
      anchor,
      warnings: [...warnings, ...warningsOf(checkpoints, next, anchor)]
    }
  })

/**
 * `inspect`, total over any parsed JSON: an input so deeply nested that a step of the analysis overflows the
 * stack is unreadable with one line saying so, never a crash.
 */
export const inspectJson = (json: unknown): Result.Result<Report, Unreadable> => {
  try {
    return inspect(json)
  } catch (error) {
    if (!(error instanceof RangeError)) throw error
    return Result.fail({ reason: "not_inspectable", message: `nested too deeply to inspect: ${error.message}` })
  }
}
