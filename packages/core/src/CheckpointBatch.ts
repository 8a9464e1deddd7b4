/**
 * The early checkpoint rides in one of the SDK's own `CheckpointDurableExecution` batches (SPEC §4.1), and the
 * SDK's request must then succeed or fail exactly as it would without it. Two decisions keep that promise: add
 * the update only to a batch it provably cannot get rejected in (`canJoin`), and, if the batch is rejected all
 * the same, send the SDK's request again alone only when the rejection names our update (`isRejectionOf`).
 * Anything else is the SDK's own failure and must reach it unchanged: one request, its error.
 */
import type { CheckpointUpdate } from "./CheckpointStore.ts"
import * as Untrusted from "./Untrusted.ts"
import * as Utf8 from "./Utf8.ts"

/** Batch limits of `CheckpointDurableExecution`, as the SDK enforces them (SPEC §7). */
export const MAX_UPDATES_PER_REQUEST = 250
export const MAX_REQUEST_BYTES = 750 * 1024

/** Room kept for the request's other fields (ARN, keys, punctuation). */
const ENVELOPE_BYTES = 2048

const own = Untrusted.field

/**
 * Whether `extra` can join a batch of `updates` sent with `token` without being the reason it is rejected:
 * within the batch limits, its id not already in the batch (the service rejects an operation updated twice in
 * one request), and no EXECUTION update in the batch (it must be the last one, and it ends the execution: no
 * invocation follows to read a checkpoint). A batch or token this cannot measure (a token that is not a string,
 * updates that do not serialise) is left alone: the SDK's request goes out exactly as the SDK built it.
 */
export const canJoin = (updates: unknown, token: unknown, extra: CheckpointUpdate): boolean => {
  if (updates !== undefined && !Array.isArray(updates)) return false
  const batch: ReadonlyArray<unknown> = updates ?? []
  if (typeof token !== "string" || batch.length + 1 > MAX_UPDATES_PER_REQUEST) return false
  for (const update of batch) {
    if (own(update, "Id") === extra.Id || own(update, "Type") === "EXECUTION") return false
  }
  let serialised: string
  try {
    serialised = JSON.stringify(batch)
  } catch {
    return false
  }
  if (typeof serialised !== "string") return false
  const bytes =
    Utf8.byteLength(serialised) + Utf8.byteLength(JSON.stringify(extra)) + Utf8.byteLength(token) + ENVELOPE_BYTES
  return bytes <= MAX_REQUEST_BYTES
}

/**
 * Whether a rejected batch was provably rejected for `extra`: a validation error (`InvalidParameterValueException`)
 * whose message names our update, by id or name. A throttle, a timeout, a 5xx, an invalid token, or a validation
 * error about something else is the SDK's own failure.
 */
export const isRejectionOf = (error: unknown, extra: CheckpointUpdate): boolean => {
  if (typeof error !== "object" || error === null) return false
  try {
    const { name, message } = error as { readonly name?: unknown; readonly message?: unknown }
    return (
      name === "InvalidParameterValueException" &&
      typeof message === "string" &&
      (message.includes(extra.Id) || message.includes(extra.Name))
    )
  } catch {
    // A hostile error object (a throwing getter) proves nothing.
    return false
  }
}
