/**
 * Trace-context checkpoints: the synthetic `_datadog_{N}` STEP operations that carry a trace across
 * invocations (SPEC §2, §3.3a). Names are canonical decimal only; ids are deterministic so a retried write is
 * idempotent. Finding the latest one is the hot path of every invocation: one pass over the operations that
 * touches only `Name`, and payloads are parsed lazily, highest N first, until one is a valid context.
 */
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import { blake2bHex } from "./Blake2b.ts"
import * as DatadogHeaders from "./DatadogHeaders.ts"
import * as Headers from "./Headers.ts"
import * as Hex from "./Hex.ts"
import { md5Hex } from "./Md5.ts"
import * as Untrusted from "./Untrusted.ts"

/** The operation-name prefix shared with Datadog's writers and readers. */
export const CHECKPOINT_NAME_PREFIX = `${DatadogHeaders.DATADOG_CARRIER}_`

const PREFIX_LENGTH = CHECKPOINT_NAME_PREFIX.length
/** `0` or a decimal without leading zeros; the numeric bound is checked separately. */
const CANONICAL_N = /^(?:0|[1-9][0-9]{0,15})$/

/**
 * The N of a checkpoint name, if `name` is `_datadog_{N}` with N in canonical decimal and at most
 * `Number.MAX_SAFE_INTEGER`. Rejects `_datadog_01`, `_datadog_+3`, `_datadog_1e3` and the like (SPEC §2).
 */
export const parseCheckpointName = (name: unknown): Option.Option<number> => {
  if (typeof name !== "string" || !name.startsWith(CHECKPOINT_NAME_PREFIX)) return Option.none()
  const digits = name.slice(PREFIX_LENGTH)
  if (!CANONICAL_N.test(digits)) return Option.none()
  const n = Number(digits)
  return n <= Number.MAX_SAFE_INTEGER ? Option.some(n) : Option.none()
}

/** `_datadog_{n}`. */
export const checkpointName = (n: number): string => `${CHECKPOINT_NAME_PREFIX}${n}`

/**
 * The operation id of checkpoint `name` in execution `executionArn`: BLAKE2b with a 16-byte digest of
 * `"{name}:{arn}"`, 32 lowercase hex. The same id as Datadog's Python writer; its length keeps it apart from
 * the SDK's own 16-hex step ids.
 */
export const checkpointOperationId = (name: string, executionArn: string): string =>
  memoised(OUR_IDS, `${name}:${executionArn}`, (input) => blake2bHex(input, 16))

/**
 * The id Datadog's JS writer (dd-trace's `aws-durable-execution-sdk-js` plugin) leaves on the wire: it checkpoints
 * through the SDK with the step id `blake2b-512("{name}:{arn}")` (its first 64 hex), and the SDK sends every
 * step id as the first 16 hex of its MD5.
 */
export const ddTraceJsOperationId = (name: string, executionArn: string): string =>
  memoised(DD_TRACE_JS_IDS, `${name}:${executionArn}`, (input) =>
    md5Hex(blake2bHex(input, 64).slice(0, 64)).slice(0, 16)
  )

/**
 * Ids are a pure function of name and execution, and the same few recur in a container: the id a write just
 * derived is the one the next invocation's reader checks. A bounded memo (cleared when full, so a container
 * serving many executions holds at most `MAX_MEMO_IDS` per writer) keeps the hash off the read path; it holds
 * no invocation state, only digests.
 */
const MAX_MEMO_IDS = 512
const OUR_IDS = new Map<string, string>()
const DD_TRACE_JS_IDS = new Map<string, string>()

const memoised = (memo: Map<string, string>, input: string, digest: (input: string) => string): string => {
  const known = memo.get(input)
  if (known !== undefined) return known
  const id = digest(input)
  if (memo.size >= MAX_MEMO_IDS) memo.clear()
  memo.set(input, id)
  return id
}

/**
 * Whether `id` is what one of the known writers gives checkpoint `name` of `executionArn` (SPEC §2): ours and
 * Datadog's Python writer (`checkpointOperationId`, 32 hex), or Datadog's JS writer (`ddTraceJsOperationId`,
 * 16 hex). A user's step that happens to be named `_datadog_{N}` has the SDK's id for its position instead, so
 * it can never pass for a checkpoint, whatever its result holds.
 */
export const isCheckpointId = (id: unknown, name: string, executionArn: string): boolean => {
  if (typeof id !== "string") return false
  if (id.length === 32) return Hex.HEX32.test(id) && id === checkpointOperationId(name, executionArn)
  return id.length === 16 && Hex.HEX16.test(id) && id === ddTraceJsOperationId(name, executionArn)
}

/**
 * A known writer, as far as its ids tell: `durable-trace` is the id ours gives, which Datadog's Python writer gives
 * too (the two cannot be told apart by id: a Python function's checkpoints read as `durable-trace`);
 * `dd-trace-js` is Datadog's JS writer.
 */
export type Writer = "durable-trace" | "dd-trace-js"

/**
 * Which known writer gives checkpoint `name` of `executionArn` the id `id`, if one does (`isCheckpointId`, telling
 * which): none for a user's step named like a checkpoint, or for an id made for another execution.
 */
export const writerOf = (id: unknown, name: string, executionArn: string): Option.Option<Writer> =>
  !isCheckpointId(id, name, executionArn)
    ? Option.none()
    : Option.some((id as string).length === 32 ? "durable-trace" : "dd-trace-js")

/** A checkpoint operation whose payload is a valid trace context. */
export interface Checkpoint {
  readonly n: number
  readonly name: string
  readonly operationId: string | undefined
  readonly headers: Headers.Headers
}

/** Why a `_datadog_{N}` operation was not used. */
export type RejectionReason = "not a checkpoint id" | "no propagation headers" | "no trace context" | "no parent id"

/** A `_datadog_{N}` operation above the latest valid one, skipped. */
export interface RejectedCheckpoint {
  readonly n: number
  readonly operationId: string | undefined
  readonly reason: RejectionReason
}

/** A `_datadog_{N}` operation found by `collect`, payload not yet parsed. */
export interface Candidate {
  readonly n: number
  readonly operation: unknown
}

/** What the operations say about checkpoints. */
export interface CheckpointScan {
  /** The highest-N checkpoint whose payload is a valid context. */
  readonly latest: Option.Option<Checkpoint>
  /** The highest canonical N of any `_datadog_{N}` operation, valid or not; -1 when there is none. */
  readonly highestN: number
  /** Checkpoints above `latest` that were skipped, highest first. */
  readonly rejected: ReadonlyArray<RejectedCheckpoint>
}

const field = Untrusted.field

/**
 * Appends the `_datadog_{N}` operations of `operations` to `into`. One pass; reads only `Name` of the others.
 * Call it once per page, then `resolve` the candidates of all pages together.
 */
export const collect = (operations: ReadonlyArray<unknown>, into: Array<Candidate>): Array<Candidate> => {
  const length = Untrusted.attempt(() => operations.length, 0)
  let i = 0
  while (i < length) {
    // One `try` around the whole loop costs nothing until something throws: then the hostile operation (a
    // throwing getter, a Proxy trap) is skipped and the loop goes on with the next one.
    try {
      for (; i < length; i++) {
        const operation = operations[i]
        if (typeof operation !== "object" || operation === null) continue
        const name = (operation as { readonly Name?: unknown }).Name
        // Cheap first-character test before the own-property check, the prefix and the regex: nearly every name
        // fails it (bench/RESULTS.md, measurement notes).
        if (typeof name !== "string" || name.charCodeAt(0) !== 95 || !Object.hasOwn(operation, "Name")) continue
        const n = parseCheckpointName(name)
        if (Option.isSome(n)) into.push({ n: n.value, operation })
      }
    } catch {
      i++
    }
  }
  return into
}

/**
 * Where a checkpoint operation keeps its payload: `StepDetails.Result` (a JSON string, or an already-parsed
 * object), else `Payload` (dd-trace-js reads it); undefined when it has neither.
 */
export const payloadOf = (operation: unknown): unknown => {
  const result = field(field(operation, "StepDetails"), "Result")
  const payload = result !== undefined && result !== null ? result : field(operation, "Payload")
  return payload === null ? undefined : payload
}

/** Why a checkpoint operation's payload holds no propagation headers. */
export type PayloadRejection = "no payload" | Headers.CarrierRejection

/**
 * The payload of a checkpoint operation as propagation headers (`payloadOf`, allowlisted and validated by
 * `Headers.parseCarrier`), or why it holds none. The reader's verdict is this reason's absence.
 */
export const parsePayload = (operation: unknown): Result.Result<Headers.Headers, PayloadRejection> => {
  const payload = payloadOf(operation)
  return payload === undefined ? Result.fail("no payload") : Headers.parseCarrier(payload)
}

/** `parsePayload` without the reason: what the reader continues from. */
export const parseCheckpointPayload = (operation: unknown): Option.Option<Headers.Headers> =>
  Result.getSuccess(parsePayload(operation))

const hasTraceId = (headers: Headers.Headers): boolean =>
  headers["x-datadog-trace-id"] !== undefined || headers.traceparent !== undefined

/**
 * Classifies one candidate of execution `executionArn`: the checkpoint, or why it cannot continue a trace. An
 * operation whose id no known writer gives that name is `"not a checkpoint id"` (a user's step named like one).
 * A payload with a trace id but no usable parent id is `"no parent id"`: the writer must not invent an anchor
 * for it (SPEC §4.4). `executionArn` undefined skips the id check: only for tools looking at a state dump that
 * does not say which execution it is; the reader always knows.
 */
export const classify = (candidate: Candidate, executionArn: string | undefined): Checkpoint | RejectedCheckpoint => {
  const id = field(candidate.operation, "Id")
  const operationId = typeof id === "string" ? id : undefined
  if (executionArn !== undefined && !isCheckpointId(id, checkpointName(candidate.n), executionArn)) {
    return { n: candidate.n, operationId, reason: "not a checkpoint id" }
  }
  const headers = parseCheckpointPayload(candidate.operation)
  if (Option.isNone(headers)) return { n: candidate.n, operationId, reason: "no propagation headers" }
  if (Headers.isValidContext(headers.value) && Headers.hasParentId(headers.value)) {
    return { n: candidate.n, name: checkpointName(candidate.n), operationId, headers: headers.value }
  }
  return { n: candidate.n, operationId, reason: hasTraceId(headers.value) ? "no parent id" : "no trace context" }
}

/** Whether a classified candidate is a usable checkpoint. */
export const isCheckpoint = (value: Checkpoint | RejectedCheckpoint): value is Checkpoint => "headers" in value

/**
 * `findLastCheckpoint`: the highest-N valid checkpoint of execution `executionArn` among `candidates`. A corrupt
 * or incomplete higher one, or a user's step named like one, is skipped and listed in `rejected`, never allowed
 * to break continuity (Datadog's readers stop at it). `highestN` still counts every canonical name: the next
 * checkpoint must be numbered above all of them, for readers that read only the highest N.
 */
export const findLastCheckpoint = (
  candidates: ReadonlyArray<Candidate>,
  executionArn: string | undefined
): CheckpointScan => {
  let highestN = -1
  for (const candidate of candidates) if (candidate.n > highestN) highestN = candidate.n
  if (highestN < 0) return { latest: Option.none(), highestN, rejected: [] }
  const ordered = candidates.length === 1 ? candidates : [...candidates].sort((a, b) => b.n - a.n)
  const rejected: Array<RejectedCheckpoint> = []
  for (const candidate of ordered) {
    const classified = classify(candidate, executionArn)
    if (isCheckpoint(classified)) return { latest: Option.some(classified), highestN, rejected }
    rejected.push(classified)
  }
  return { latest: Option.none(), highestN, rejected }
}

/** The checkpoint scan of one list of operations of execution `executionArn`. */
export const scan = (operations: ReadonlyArray<unknown>, executionArn: string | undefined): CheckpointScan =>
  findLastCheckpoint(collect(operations, []), executionArn)
