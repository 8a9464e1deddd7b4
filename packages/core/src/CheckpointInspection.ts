/**
 * What one `_datadog_*` operation holds and why it is or is not a checkpoint the reader continues: the analysis
 * behind `durable-trace inspect`, on the reader's own parsers (`Checkpoint.parsePayload` for the payload's
 * verdict and its reason, `Headers.sanitise` for the keys kept and dropped, `Checkpoint.classify` for the
 * verdict), so the two cannot disagree. Pure.
 */
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Checkpoint from "./Checkpoint.ts"
import * as Headers from "./Headers.ts"
import * as Hex from "./Hex.ts"
import * as Untrusted from "./Untrusted.ts"
import * as Utf8 from "./Utf8.ts"

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
  /** The payload's keys the reader does not keep, and why. */
  readonly dropped: ReadonlyArray<Headers.DroppedKey>
  /** 32 lowercase hex. */
  readonly traceId: string | undefined
  /** 16 lowercase hex. */
  readonly parentId: string | undefined
}

/** What a value is, in a few words: `null`, `an array`, `an object`, `a string`, ... */
export const describe = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "an array"
      : typeof value === "object"
        ? "an object"
        : `a ${typeof value}`

const REJECTION_CODES: Readonly<Record<Checkpoint.RejectionReason, string>> = {
  "not a checkpoint id": "not_a_checkpoint_id",
  "no propagation headers": "no_propagation_headers",
  "no trace context": "no_trace_context",
  "no parent id": "no_parent_id"
}

/** A sentence for each of the reader's rejections. */
export const REJECTION_MESSAGES: Readonly<Record<Checkpoint.RejectionReason, string>> = {
  "not a checkpoint id": "its id is not what a checkpoint writer gives this name (a user's step named like one?)",
  "no propagation headers": "no propagation headers in the payload",
  "no trace context": "headers hold no trace id (x-datadog-trace-id with a parent id, or traceparent)",
  "no parent id": "headers hold a trace id but no valid parent id: there is no anchor to continue"
}

/** Compact JSON of a parsed value; undefined when it is nested too deeply for `JSON.stringify`. */
const stringified = (value: unknown): string | undefined => {
  try {
    return JSON.stringify(value) ?? ""
  } catch {
    return undefined
  }
}

/** The payload's size as stored: a string as is, an object as compact JSON. */
const sizeOf = (payload: unknown): number | undefined => {
  if (payload === undefined) return undefined
  const text = typeof payload === "string" ? payload : stringified(payload)
  return text === undefined ? undefined : Utf8.byteLength(text)
}

/** The payload's keys `Headers.sanitise` drops, when the payload is (or parses to) a serialisable object. */
const droppedOf = (payload: unknown, bytes: number | undefined): ReadonlyArray<Headers.DroppedKey> => {
  if (bytes === undefined) return []
  const parsed =
    typeof payload === "string" ? Result.getSuccess(Headers.parseCarrierJson(payload)) : Option.some(payload)
  return Option.match(parsed, { onNone: () => [], onSome: (value) => Headers.sanitise(value).dropped })
}

/** The payload's rejection (`Checkpoint.parsePayload`) in a sentence. */
const payloadProblem = (
  rejection: Checkpoint.PayloadRejection,
  payload: unknown,
  bytes: number | undefined,
  type: string | undefined
): Finding => {
  // An object too deep to serialise is no flat object of headers, whatever the sanitiser found in it.
  if (rejection !== "no payload" && bytes === undefined) {
    return { code: "not_headers", message: "payload is nested too deeply to be an object of headers" }
  }
  switch (rejection) {
    case "no payload":
      return {
        code: "no_payload",
        message: `no payload (StepDetails.Result or Payload)${type !== undefined && type !== "STEP" ? `: a ${type} operation` : ""}`
      }
    case "too large to parse":
      return { code: "unparseable_payload", message: `payload is ${bytes} bytes: too large to be parsed as headers` }
    case "not JSON":
      return { code: "unparseable_payload", message: "payload is not JSON" }
    case "not an object":
      return typeof payload === "string"
        ? {
            code: "not_headers",
            message: `payload parses to ${describe(Result.getOrUndefined(Headers.parseCarrierJson(payload)))}, not an object of headers`
          }
        : { code: "not_headers", message: `payload is ${describe(payload)}, not an object of headers` }
    case "over the size limit":
      return {
        code: "oversize_payload",
        message: `allowlisted headers exceed ${Headers.MAX_PAYLOAD_BYTES} bytes (SPEC §4.6): the reader rejects them`
      }
    case "no propagation headers":
    case "unreadable":
      return { code: "no_propagation_headers", message: REJECTION_MESSAGES["no propagation headers"] }
  }
}

const idFormOf = (id: string | undefined): IdForm =>
  id === undefined ? "missing" : Hex.HEX32.test(id) ? "durable-trace" : Hex.HEX16.test(id) ? "sdk" : "other"

const ownString = (value: unknown, key: string): string | undefined => {
  const found = Untrusted.field(value, key)
  return typeof found === "string" ? found : undefined
}

/**
 * The report of operation `operation`, at `index` of the list and named `name` (which starts with `_datadog_`),
 * of execution `executionArn`; undefined for a state dump that does not say which execution (no id is checked).
 */
export const analyse = (
  operation: unknown,
  index: number,
  name: string,
  executionArn: string | undefined
): CheckpointReport => {
  const id = ownString(operation, "Id")
  const type = ownString(operation, "Type")
  const n = Option.getOrUndefined(Checkpoint.parseCheckpointName(name))
  const payload = Checkpoint.payloadOf(operation)
  const bytes = sizeOf(payload)
  const parsed = Checkpoint.parsePayload(operation)
  const headers = Result.getOrUndefined(parsed)
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
      Result.isFailure(parsed)
        ? { ...payloadProblem(parsed.failure, payload, bytes, type), operation: name }
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
    payloadBytes: bytes,
    headers,
    dropped: droppedOf(payload, bytes),
    traceId: headers === undefined ? undefined : Option.getOrUndefined(Headers.traceIdHex(headers)),
    parentId: headers === undefined ? undefined : Option.getOrUndefined(Headers.parentId(headers))
  }
}
