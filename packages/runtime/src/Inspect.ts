/**
 * The analysis behind `durable-trace inspect`: given a durable invocation event or a dump of an execution's
 * state, say what every `_datadog_*` operation holds and why it is or is not a usable checkpoint, which context
 * the core reader continues from it, the anchor, and what looks wrong. Pure: the reader runs in memory (no
 * paging, no tracer), so a report is the same on every run. Gotcha: only the first page is ever read; when it
 * ends in `NextMarker` the report says so instead of guessing what later pages hold. The live reports
 * (`inspectExecution`, `auditReport`) compose core's `ExecutionHistory` analysis with this one and format both.
 */
import * as Checkpoint from "@durable-trace/core/Checkpoint"
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore, CheckpointStoreRecorder } from "@durable-trace/core/CheckpointStore"
import * as DatadogHeaders from "@durable-trace/core/DatadogHeaders"
import * as DurableEvent from "@durable-trace/core/DurableEvent"
import type { Audited, ExecutionSummary, FetchedExecution } from "@durable-trace/core/DurableExecutions"
import type { Location } from "@durable-trace/core/Errors"
import * as ExecutionHistory from "@durable-trace/core/ExecutionHistory"
import * as Headers from "@durable-trace/core/Headers"
import * as Reader from "@durable-trace/core/Reader"
import { Telemetry, TelemetryRecorder } from "@durable-trace/core/Telemetry"
import { TracePropagation } from "@durable-trace/core/TracePropagation"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"

/** What the input was recognised as. */
export type InputKind = "event" | "state" | "operations"

/** Why an input cannot be inspected at all. */
export interface Unreadable {
  readonly reason: "empty" | "not_json" | "not_inspectable"
  /** One line. */
  readonly message: string
}

/** A problem, or a warning, with a stable code for machines and a sentence for people. */
export interface Finding {
  readonly code: string
  readonly message: string
  /** The `_datadog_*` operation it is about, if any. */
  readonly operation?: string | undefined
}

/**
 * How an operation id was made: `durable-trace` (32 lowercase hex, our writer), `sdk` (16 lowercase hex, made by
 * the SDK: a user step, or dd-trace's integration, whose ids the SDK re-hashes), or anything else.
 */
export type IdForm = "durable-trace" | "sdk" | "other" | "missing"

/** A payload key the reader does not keep, and why. */
export interface DroppedKey {
  readonly key: string
  readonly why: "not allowed" | "invalid value" | "duplicate"
}

/** One operation whose name starts with `_datadog_`. */
export interface CheckpointReport {
  /** Position in the operation list. */
  readonly index: number
  readonly name: string
  /** The canonical N; undefined when the name is not `_datadog_{N}` in canonical decimal. */
  readonly n: number | undefined
  readonly id: string | undefined
  readonly idForm: IdForm
  readonly type: string | undefined
  readonly status: string | undefined
  /** Whether the reader can continue a trace from it. */
  readonly valid: boolean
  /** Why it is not valid; empty when valid. */
  readonly problems: ReadonlyArray<Finding>
  /**
   * UTF-8 size of the payload as stored (a string as is, an object as compact JSON); undefined when there is none
   * or it is nested too deeply to serialise.
   */
  readonly payloadBytes: number | undefined
  /** The payload as the reader decodes it: allowlisted, validated, canonical. */
  readonly headers: Headers.Headers | undefined
  readonly dropped: ReadonlyArray<DroppedKey>
  /** 32 lowercase hex. */
  readonly traceId: string | undefined
  /** 16 lowercase hex. */
  readonly parentId: string | undefined
}

/** A telemetry increment the reader made while reading. */
export interface ReaderFailure {
  readonly location: Location
  readonly errorType: string
}

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

const DURABLE_TRACE_ID = /^[0-9a-f]{32}$/
const SDK_ID = /^[0-9a-f]{16}$/
// Headers.fromCarrier does not parse a JSON string longer than this (it cannot be a propagation payload).
const MAX_PARSED_PAYLOAD = 16_384
const ALLOWED: ReadonlySet<string> = new Set(Headers.PAYLOAD_KEYS)
const STATE_DUMP_ARN = "(state dump)"

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const own = (value: unknown, key: string): unknown =>
  isRecord(value) && Object.hasOwn(value, key) ? value[key] : undefined

const ownString = (value: unknown, key: string): string | undefined => {
  const field = own(value, key)
  return typeof field === "string" ? field : undefined
}

const utf8Bytes = (text: string): number => new TextEncoder().encode(text).length

const describe = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "an array"
      : typeof value === "object"
        ? "an object"
        : `a ${typeof value}`

/** Parses the text of a file or stdin: one line saying why when it is empty or not JSON. */
export const decode = (text: string): Result.Result<unknown, Unreadable> => {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  if (body.trim().length === 0) {
    return Result.fail({ reason: "empty", message: "empty input: expected a durable invocation event or a state dump" })
  }
  try {
    return Result.succeed(JSON.parse(body))
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/\s+/g, " ") : String(error)
    return Result.fail({ reason: "not_json", message: `not JSON: ${detail}` })
  }
}

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

type RawPayload =
  | { readonly _tag: "Missing" }
  | { readonly _tag: "Unparseable"; readonly bytes: number; readonly why: string }
  | { readonly _tag: "NotHeaders"; readonly bytes: number | undefined; readonly why: string }
  | { readonly _tag: "Record"; readonly bytes: number; readonly record: Readonly<Record<string, unknown>> }

/**
 * Compact JSON of a parsed value; undefined when it is nested too deeply for `JSON.stringify`'s recursion (a
 * payload 100,000 levels deep overflows the stack: it is reported, not a crash).
 */
const stringified = (value: unknown): string | undefined => {
  try {
    return JSON.stringify(value) ?? ""
  } catch {
    return undefined
  }
}

/** The payload as stored, where `Checkpoint.parseCheckpointPayload` looks: `StepDetails.Result`, else `Payload`. */
const rawPayload = (operation: unknown): RawPayload => {
  const result = own(own(operation, "StepDetails"), "Result")
  const payload = result !== undefined && result !== null ? result : own(operation, "Payload")
  if (payload === undefined || payload === null) return { _tag: "Missing" }
  if (typeof payload !== "string") {
    const compact = stringified(payload)
    if (compact === undefined) {
      return { _tag: "NotHeaders", bytes: undefined, why: "payload is nested too deeply to be an object of headers" }
    }
    const bytes = utf8Bytes(compact)
    return isRecord(payload)
      ? { _tag: "Record", bytes, record: payload }
      : { _tag: "NotHeaders", bytes, why: `payload is ${describe(payload)}, not an object of headers` }
  }
  const bytes = utf8Bytes(payload)
  if (payload.length > MAX_PARSED_PAYLOAD) {
    return { _tag: "Unparseable", bytes, why: `payload is ${bytes} bytes: too large to be parsed as headers` }
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(payload)
  } catch {
    return { _tag: "Unparseable", bytes, why: "payload is not JSON" }
  }
  return isRecord(parsed)
    ? { _tag: "Record", bytes, record: parsed }
    : { _tag: "NotHeaders", bytes, why: `payload parses to ${describe(parsed)}, not an object of headers` }
}

/** The keys of a payload the reader does not keep (own keys only, as the reader reads them). */
const droppedKeys = (record: Readonly<Record<string, unknown>>): Array<DroppedKey> => {
  const dropped: Array<DroppedKey> = []
  const kept = new Set<string>()
  for (const key of Object.keys(record)) {
    const lower = key.toLowerCase()
    if (!ALLOWED.has(lower)) dropped.push({ key, why: "not allowed" })
    else if (kept.has(lower)) dropped.push({ key, why: "duplicate" })
    else if (Option.isNone(Headers.fromCarrier({ [lower]: record[key] }))) dropped.push({ key, why: "invalid value" })
    else kept.add(lower)
  }
  return dropped
}

const idFormOf = (id: string | undefined): IdForm =>
  id === undefined ? "missing" : DURABLE_TRACE_ID.test(id) ? "durable-trace" : SDK_ID.test(id) ? "sdk" : "other"

const REJECTION_CODES: Readonly<Record<Checkpoint.RejectionReason, string>> = {
  "not a checkpoint id": "not_a_checkpoint_id",
  "no propagation headers": "no_propagation_headers",
  "no trace context": "no_trace_context",
  "no parent id": "no_parent_id"
}

const REJECTION_MESSAGES: Readonly<Record<Checkpoint.RejectionReason, string>> = {
  "not a checkpoint id": "its id is not what a checkpoint writer gives this name (a user's step named like one?)",
  "no propagation headers": "no propagation headers in the payload",
  "no trace context": "headers hold no trace id (x-datadog-trace-id with a parent id, or traceparent)",
  "no parent id": "headers hold a trace id but no valid parent id: there is no anchor to continue"
}

/** Why the payload gave no headers at all, from what it is. */
const noHeadersProblem = (raw: RawPayload, dropped: ReadonlyArray<DroppedKey>, type: string | undefined): Finding => {
  switch (raw._tag) {
    case "Missing":
      return {
        code: "no_payload",
        message: `no payload (StepDetails.Result or Payload)${type !== undefined && type !== "STEP" ? `: a ${type} operation` : ""}`
      }
    case "Unparseable":
      return { code: "unparseable_payload", message: raw.why }
    case "NotHeaders":
      return { code: "not_headers", message: raw.why }
    case "Record":
      // Every allowlisted value validated, yet nothing came back: only the size limit rejects that.
      return dropped.length < Object.keys(raw.record).length
        ? {
            code: "oversize_payload",
            message: `allowlisted headers exceed ${Headers.MAX_PAYLOAD_BYTES} bytes (SPEC §4.6): the reader rejects them`
          }
        : { code: "no_propagation_headers", message: REJECTION_MESSAGES["no propagation headers"] }
  }
}

const analyse = (
  operation: unknown,
  index: number,
  name: string,
  executionArn: string | undefined
): CheckpointReport => {
  const id = ownString(operation, "Id")
  const type = ownString(operation, "Type")
  const n = Option.getOrUndefined(Checkpoint.parseCheckpointName(name))
  const raw = rawPayload(operation)
  const dropped = raw._tag === "Record" ? droppedKeys(raw.record) : []
  const headers = Option.getOrUndefined(Checkpoint.parseCheckpointPayload(operation))
  const problems: Array<Finding> = []
  if (n === undefined) {
    problems.push({
      code: "non_canonical_name",
      message: "not _datadog_{N} with N in canonical decimal: readers ignore it",
      operation: name
    })
  }
  // The verdict is core's own classification, so inspect and the reader cannot disagree.
  // A non-canonical name has no writer's id to check against: that it is not canonical is the problem.
  const classified = Checkpoint.classify({ n: n ?? 0, operation }, n === undefined ? undefined : executionArn)
  if (!Checkpoint.isCheckpoint(classified)) {
    problems.push(
      headers === undefined
        ? { ...noHeadersProblem(raw, dropped, type), operation: name }
        : { code: REJECTION_CODES[classified.reason], message: REJECTION_MESSAGES[classified.reason], operation: name }
    )
  }
  return {
    index,
    name,
    n,
    id,
    idForm: idFormOf(id),
    type,
    status: ownString(operation, "Status"),
    valid: problems.length === 0,
    problems,
    payloadBytes: raw._tag === "Missing" ? undefined : raw.bytes,
    headers,
    dropped,
    traceId: headers === undefined ? undefined : Option.getOrUndefined(Headers.traceIdHex(headers)),
    parentId: headers === undefined ? undefined : Option.getOrUndefined(Headers.parentId(headers))
  }
}

const hex16ToDecimal = (hex: string | undefined): string | undefined =>
  hex === undefined ? undefined : Option.getOrUndefined(DatadogHeaders.hex16ToDecimal(hex))

const traceIdDecimal = (hex: string | undefined): string | undefined =>
  hex === undefined ? undefined : BigInt(`0x${hex.slice(16)}`).toString(10)

/** Runs the core reader over the event, in memory: test propagation, no further pages, recorded telemetry. */
const readNext = (event: unknown, executionArn: string) =>
  Effect.runSync(
    Effect.gen(function* () {
      // A state dump does not say which execution it is: its checkpoint ids cannot be checked (SPEC §3.3a).
      const log = yield* CheckpointLog.make(event, executionArn, { unverifiedIds: executionArn === STATE_DUMP_ARN })
      const read = yield* Reader.read(event, undefined, { log })
      const increments = yield* Effect.flatMap(Effect.service(TelemetryRecorder), (r) => r.increments)
      const pageRequests = yield* Effect.flatMap(Effect.service(CheckpointStoreRecorder), (r) => r.pageRequests)
      return { read, log, increments, pageRequests }
    }).pipe(
      Effect.provide(Layer.mergeAll(TracePropagation.layerTest(), Telemetry.layerTest, CheckpointStore.layerTest()))
    )
  )

const nextContext = (event: unknown, executionArn: string): NextContext => {
  const { read, log, increments, pageRequests } = readNext(event, executionArn)
  const context = Option.getOrUndefined(read.context)
  const checkpoint = Option.getOrUndefined(read.checkpoint)
  const nextMarker = Option.getOrUndefined(DurableEvent.initialNextMarker(event))
  return {
    source: read.source,
    checkpoint: checkpoint?.name,
    traceId: context?.traceId,
    traceIdDecimal: traceIdDecimal(context?.traceId),
    parentId: context?.spanId,
    parentIdDecimal: hex16ToDecimal(context?.spanId),
    headers: Option.getOrUndefined(read.headers),
    skipped: log.firstPage.rejected.map((rejected) => ({
      name: Checkpoint.checkpointName(rejected.n),
      id: rejected.operationId,
      reason: rejected.reason
    })),
    paging: nextMarker === undefined ? undefined : { nextMarker, readerWouldPage: pageRequests.length > 0 },
    // A page request fails here by design (no pages are fetched): not a failure the real reader would have.
    failures: increments
      .filter((increment) => increment.location !== "page_state")
      .map((increment) => ({ location: increment.location, errorType: increment.errorType }))
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

// A step result that is JSON but no headers: what a user's step named `_datadog_*` leaves, unlike a corrupt write.
const USER_STEP_PROBLEMS: ReadonlySet<string> = new Set(["no_payload", "not_headers", "no_propagation_headers"])

const warningsOf = (
  checkpoints: ReadonlyArray<CheckpointReport>,
  next: NextContext,
  anchor: Anchor | undefined
): Array<Finding> => {
  const warnings: Array<Finding> = []
  for (const c of checkpoints) {
    if (c.problems.some((p) => USER_STEP_PROBLEMS.has(p.code))) {
      warnings.push({
        code: "user_step",
        message: `${c.name} carries no propagation headers: a user step named _datadog_*? Rename it: readers look at every _datadog_{N}`,
        operation: c.name
      })
    }
    if (c.idForm === "sdk") {
      warnings.push({
        code: "sdk_id",
        message: `${c.name}: id ${c.id} is not durable-trace's 32-hex form: written through the SDK (dd-trace's integration or a user step)`,
        operation: c.name
      })
    }
    if (c.payloadBytes !== undefined && c.payloadBytes > Headers.MAX_PAYLOAD_BYTES) {
      warnings.push({
        code: "oversize_payload",
        message: `${c.name}: payload is ${c.payloadBytes} bytes, over the ${Headers.MAX_PAYLOAD_BYTES}-byte limit (SPEC §4.6)`,
        operation: c.name
      })
    }
    if (c.n === undefined) {
      warnings.push({
        code: "non_canonical_name",
        message: `${c.name} is not a canonical checkpoint name (_datadog_{N}, N decimal without leading zeros): readers ignore it`,
        operation: c.name
      })
    }
    const disallowed = c.dropped.filter((d) => d.why === "not allowed").map((d) => d.key)
    if (disallowed.length > 0) {
      warnings.push({
        code: "disallowed_keys",
        message: `${c.name}: payload carries keys outside the allowlist, dropped by readers: ${disallowed.join(", ")}`,
        operation: c.name
      })
    }
  }
  const byN = new Map<number, Array<CheckpointReport>>()
  for (const c of checkpoints) {
    if (c.n === undefined) continue
    const same = byN.get(c.n)
    if (same === undefined) byN.set(c.n, [c])
    else same.push(c)
  }
  for (const [n, same] of byN) {
    if (same.length < 2) continue
    warnings.push({
      code: "duplicate_n",
      message: `${same.length} operations named ${Checkpoint.checkpointName(n)} (ids ${same.map((c) => c.id ?? "none").join(", ")}): two writers? The reader takes the first valid one in list order`,
      operation: Checkpoint.checkpointName(n)
    })
  }
  if (anchor !== undefined && !anchor.shared) {
    warnings.push({
      code: "anchor_mismatch",
      message: `checkpoints disagree on the anchor: ${anchor.checkpoint} has ${anchor.parentId}, ${anchor.disagreeing.map((d) => `${d.name} has ${d.parentId}`).join(", ")}`
    })
  }
  if (next.paging !== undefined) {
    warnings.push({
      code: "next_marker",
      message: next.paging.readerWouldPage
        ? `the first page ends in NextMarker ${next.paging.nextMarker} and holds no valid checkpoint: the reader would page through the rest (GetDurableExecutionState); further pages were not read here, so the context below is from page 1 only`
        : `the first page ends in NextMarker ${next.paging.nextMarker}: further pages were not read; the reader continues page 1's latest valid checkpoint without paging (the writer pages to number its next one)`
    })
  }
  return warnings
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

/** `decode`, then `inspectJson`. */
export const inspectText = (text: string): Result.Result<Report, Unreadable> =>
  Result.flatMap(decode(text), inspectJson)

/** The report as one JSON document: every field present, `null` where the report has nothing. */
export const toJson = (report: Report): string =>
  JSON.stringify(report, (_key, value: unknown) => (value === undefined ? null : value), 2)

const KIND_LABELS: Readonly<Record<InputKind, string>> = {
  event: "durable invocation event",
  state: "execution state (GetDurableExecutionState output)",
  operations: "operation list (test runner dump)"
}

const SOURCE_LABELS: Readonly<Record<Reader.Source, string>> = {
  checkpoint: "checkpoint",
  input_payload: "the caller's context in the execution input (no checkpoint yet)",
  none: "none: the invocation starts a new trace",
  extractor: "user extractor",
  event: "event-source carrier",
  client_context: "Lambda client context"
}

const indent = (lines: ReadonlyArray<string>, by = "    "): Array<string> => lines.map((line) => `${by}${line}`)

const headerLines = (headers: Headers.Headers | undefined): Array<string> =>
  headers === undefined ? [] : Object.keys(headers).map((key) => `${key}: ${headers[key]}`)

const checkpointLines = (c: CheckpointReport): Array<string> => {
  const id = c.id === undefined ? "no id" : `id ${c.id} (${c.idForm})`
  const size =
    c.payloadBytes !== undefined
      ? `${c.payloadBytes} bytes`
      : c.problems.some((p) => p.code === "no_payload")
        ? "no payload"
        : "size unknown"
  const lines = [`${c.valid ? "valid  " : "INVALID"} ${c.name}  N=${c.n ?? "-"}  ${id}  operation #${c.index}, ${size}`]
  for (const problem of c.problems) lines.push(`    why: ${problem.message}`)
  for (const d of c.dropped) lines.push(`    dropped: ${d.key} (${d.why})`)
  lines.push(...indent(headerLines(c.headers)))
  return lines
}

/** The report for people: sections for checkpoints, the context continued, the anchor and warnings. */
export const format = (report: Report): string => {
  const { input, checkpoints, next, anchor, warnings } = report
  const lines: Array<string> = [
    `Input: ${KIND_LABELS[input.kind]}${input.executionArn === undefined ? "" : `, execution ${input.executionArn}`}`,
    `  ${input.operations} operation${input.operations === 1 ? "" : "s"} on the first page${
      input.nextMarker === undefined
        ? ", no further pages"
        : `, NextMarker ${input.nextMarker} (further pages not read)`
    }`,
    "",
    `Checkpoints (_datadog_* operations): ${checkpoints.length === 0 ? "none" : checkpoints.length}`
  ]
  for (const c of checkpoints) lines.push(...indent(checkpointLines(c), "  "))
  lines.push("", "Continues")
  lines.push(`  source: ${next.source === "checkpoint" ? `checkpoint ${next.checkpoint}` : SOURCE_LABELS[next.source]}`)
  if (next.traceId !== undefined) lines.push(`  trace id: ${next.traceId} (dd.trace_id ${next.traceIdDecimal})`)
  if (next.parentId !== undefined) lines.push(`  parent id: ${next.parentId} (decimal ${next.parentIdDecimal})`)
  for (const s of next.skipped) lines.push(`  skipped: ${s.name} (${s.reason})`)
  if (next.paging !== undefined) {
    lines.push(
      next.paging.readerWouldPage
        ? "  paging: the reader would page past the first page; not done here (page 1 only)"
        : "  paging: further pages not read; neither would the reader (page 1 has a valid checkpoint)"
    )
  }
  for (const f of next.failures) lines.push(`  integration_errors: location ${f.location}, error_type ${f.errorType}`)
  lines.push("", "Anchor")
  if (anchor === undefined) {
    lines.push("  none: no valid checkpoint (the first invocation that suspends anchors the trace at its execute span)")
  } else {
    lines.push(`  ${anchor.parentId} (decimal ${anchor.decimal}), from ${anchor.checkpoint}`)
    lines.push(
      anchor.shared
        ? "  shared by every valid checkpoint"
        : `  NOT shared: ${anchor.disagreeing.map((d) => `${d.name} has ${d.parentId}`).join(", ")}`
    )
  }
  lines.push("", `Warnings: ${warnings.length === 0 ? "none" : warnings.length}`)
  for (const w of warnings) lines.push(`  - [${w.code}] ${w.message}`)
  return `${lines.join("\n")}\n`
}

/** `durable-trace inspect --execution`: the execution, its invocations in order, the verdict, and its state now. */
export interface ExecutionReport {
  readonly execution: ExecutionSummary
  /** History events read, over every page. */
  readonly historyEvents: number
  readonly verdict: ExecutionHistory.Verdict
  readonly invocations: ReadonlyArray<ExecutionHistory.Invocation>
  /** Where `state` comes from: `GetDurableExecutionState` (given a checkpoint token), else rebuilt from the history. */
  readonly stateSource: "GetDurableExecutionState" | "history"
  /** The file-mode report of the state now: every checkpoint, the anchor, every warning. */
  readonly state: Report
}

const checkpointKeys = (report: Report): string =>
  report.checkpoints
    .map((c) => `${c.name}/${c.id ?? ""}`)
    .sort()
    .join(",")

/**
 * Analyses a fetched execution (`DurableExecutions.fetchExecution`). The state section is the state read from
 * `GetDurableExecutionState` when there is one (with a warning if its checkpoints are not the history's), else
 * the state rebuilt from the history.
 */
export const inspectExecution = (fetched: FetchedExecution): ExecutionReport => {
  const { execution, events } = fetched
  const analysis = ExecutionHistory.analyse(execution.arn, events, execution.status)
  const asEvent = (operations: ReadonlyArray<unknown>) =>
    Result.getOrThrow(
      inspect({ DurableExecutionArn: execution.arn, InitialExecutionState: { Operations: operations } })
    )
  const rebuilt = asEvent(analysis.operations)
  const read = Option.map(fetched.operations, asEvent)
  const state = Option.match(read, {
    onNone: () => rebuilt,
    onSome: (fromState): Report =>
      checkpointKeys(fromState) === checkpointKeys(rebuilt)
        ? fromState
        : {
            ...fromState,
            warnings: [
              ...fromState.warnings,
              {
                code: "state_history_mismatch",
                message: `GetDurableExecutionState lists checkpoints ${checkpointKeys(fromState) || "none"}, the history ${checkpointKeys(rebuilt) || "none"}`
              }
            ]
          }
  })
  return {
    execution,
    historyEvents: events.length,
    verdict: analysis.verdict,
    invocations: analysis.invocations,
    stateSource: Option.isSome(read) ? "GetDurableExecutionState" : "history",
    state
  }
}

/** Any report as one JSON document, `null` where it has nothing. */
export const reportToJson = (report: unknown): string =>
  JSON.stringify(report, (_key, value: unknown) => (value === undefined ? null : value), 2)

const continuedLine = (continued: ExecutionHistory.Invocation["continued"]): string =>
  continued.source === "checkpoint"
    ? `continued ${continued.checkpoint}: trace ${continued.traceId}, parent ${continued.parentId}`
    : `continued ${SOURCE_LABELS[continued.source]}${continued.traceId === undefined ? "" : `: trace ${continued.traceId}, parent ${continued.parentId}`}`

const WRITER_LABELS: Readonly<Record<ExecutionHistory.Written["writer"], string>> = {
  "durable-trace": "durable-trace's id, which Datadog's Python writer gives too",
  "dd-trace-js": "dd-trace-js's id: dd-trace's own integration",
  none: "no known writer's id"
}

const writtenLine = (w: ExecutionHistory.Written): string => {
  const id = `id ${w.id ?? "none"}`
  if (w.valid) return `  wrote ${w.name}: trace ${w.traceId}, anchor ${w.parentId}, ${id} (${WRITER_LABELS[w.writer]})`
  // As the file mode says it (REJECTION_MESSAGES): a user's step named like a checkpoint is not one.
  if (w.writer === "none") {
    return `  wrote ${w.name}: not a checkpoint: ${REJECTION_MESSAGES["not a checkpoint id"]}, ${id}`
  }
  const why = w.problem === undefined ? "" : ` (${REJECTION_MESSAGES[w.problem]})`
  return `  wrote ${w.name}: NOT a valid checkpoint${why}, ${id} (${WRITER_LABELS[w.writer]})`
}

const invocationLines = (invocation: ExecutionHistory.Invocation): Array<string> => {
  const when =
    invocation.startTimestamp === undefined
      ? ""
      : `  ${invocation.startTimestamp} .. ${invocation.endTimestamp ?? "(in flight)"}`
  const lines = [
    `Invocation ${invocation.index}${invocation.requestId === undefined ? "" : `  request ${invocation.requestId}`}${when}`,
    `  started from ${invocation.operationsSeen} operation${invocation.operationsSeen === 1 ? "" : "s"}; ${continuedLine(invocation.continued)}`
  ]
  for (const skipped of invocation.continued.skipped) lines.push(`  skipped ${skipped.name} (${skipped.reason})`)
  if (invocation.wrote.length === 0) lines.push("  wrote no checkpoint")
  for (const w of invocation.wrote) lines.push(writtenLine(w))
  for (const b of invocation.breaks) lines.push(`  BROKEN [${b.code}] ${b.message}`)
  if (invocation.error !== undefined) lines.push(`  ended in error: ${invocation.error}`)
  return lines
}

/** The execution report for people: the verdict, each invocation, then the state as the file mode shows it. */
export const formatExecution = (report: ExecutionReport): string => {
  const { execution } = report
  const lines = [
    `Execution ${execution.arn}`,
    `  status ${execution.status ?? "unknown"}, started ${execution.startTimestamp ?? "?"}${execution.endTimestamp === undefined ? "" : `, ended ${execution.endTimestamp}`}; ${report.historyEvents} history events`,
    `Verdict: ${ExecutionHistory.describeVerdict(report.verdict)}`,
    ""
  ]
  for (const invocation of report.invocations) lines.push(...invocationLines(invocation), "")
  lines.push(
    `State now (${report.stateSource === "history" ? "rebuilt from the history" : "from GetDurableExecutionState, every page"}, as \`durable-trace inspect\` shows a state dump)`,
    ""
  )
  for (const line of format(report.state).trimEnd().split("\n")) lines.push(line.length === 0 ? "" : `  ${line}`)
  return `${lines.join("\n")}\n`
}

/** `durable-trace audit`: a function's recent executions, each classified. */
export interface AuditReport {
  readonly function: string
  /** ISO 8601. */
  readonly since: string
  readonly limit: number
  readonly executions: ReadonlyArray<{
    readonly arn: string
    readonly name: string | undefined
    readonly status: string | undefined
    readonly startTimestamp: string | undefined
    readonly verdict: ExecutionHistory.Verdict | undefined
    readonly description: string
    /** Set when the history could not be read. */
    readonly error: string | undefined
  }>
  /** Executions per verdict, and `error` for unreadable ones. */
  readonly summary: Readonly<Record<ExecutionHistory.Verdict["_tag"] | "error", number>>
}

/** The audit report of `DurableExecutions.audit`'s result. */
export const auditReport = (
  functionName: string,
  since: Date,
  limit: number,
  audited: ReadonlyArray<Audited>
): AuditReport => {
  const summary: Record<ExecutionHistory.Verdict["_tag"] | "error", number> = {
    continuous: 0,
    broken: 0,
    no_checkpoint: 0,
    other_writer: 0,
    corrupt_latest: 0,
    running: 0,
    error: 0
  }
  const executions = audited.map(({ execution, analysis }) => {
    const verdict = Result.isSuccess(analysis) ? analysis.success.verdict : undefined
    summary[verdict?._tag ?? "error"]++
    return {
      arn: execution.arn,
      name: execution.name,
      status: execution.status,
      startTimestamp: execution.startTimestamp,
      verdict,
      description: Result.isSuccess(analysis)
        ? ExecutionHistory.describeVerdict(analysis.success.verdict)
        : `unreadable: ${analysis.failure.message}`,
      error: Result.isFailure(analysis) ? analysis.failure.message : undefined
    }
  })
  return { function: functionName, since: since.toISOString(), limit, executions, summary }
}

const pad = (text: string, width: number): string =>
  text.length >= width ? text : text + " ".repeat(width - text.length)

/** The audit for people: one row per execution, then the count per verdict. */
export const formatAudit = (report: AuditReport): string => {
  const lines = [
    `Function ${report.function}: ${report.executions.length} execution${report.executions.length === 1 ? "" : "s"} started since ${report.since} (limit ${report.limit})`,
    ""
  ]
  if (report.executions.length > 0) {
    const names = report.executions.map(
      (e) =>
        e.name ??
        Option.getOrElse(
          DurableEvent.parseExecutionArn(e.arn).pipe(Option.map((id) => `${id.name}/${id.id}`)),
          () => e.arn
        )
    )
    const width = Math.min(48, Math.max(9, ...names.map((n) => n.length)))
    lines.push(`${pad("EXECUTION", width)}  ${pad("STATUS", 9)}  ${pad("STARTED", 24)}  VERDICT`)
    report.executions.forEach((e, i) => {
      lines.push(
        `${pad(names[i]!, width)}  ${pad(e.status ?? "?", 9)}  ${pad(e.startTimestamp ?? "?", 24)}  ${e.description}`
      )
    })
    lines.push("")
  }
  lines.push("Summary")
  for (const tag of [...ExecutionHistory.VERDICTS, "error" as const]) {
    if (tag === "error" && report.summary.error === 0) continue
    lines.push(`  ${pad(tag, 15)} ${report.summary[tag]}`)
  }
  return `${lines.join("\n")}\n`
}
