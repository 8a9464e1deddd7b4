/**
 * The reader on a settled log (SPEC §3): the event's first page is the whole state, so the whole precedence chain
 * (the user extractor, the latest valid checkpoint, the durable input, the Lambda client context) is decided
 * without I/O and without running an Effect. The failures met on the way are returned, in order, for the caller to
 * report; `Reader.read` reports them with `Telemetry`, the Lambda wrapper through its runtime.
 */
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Checkpoint from "./Checkpoint.ts"
import * as CheckpointLog from "./CheckpointLog.ts"
import * as DurableEvent from "./DurableEvent.ts"
import { DurableTraceError } from "./Errors.ts"
import * as EventCarriers from "./EventCarriers.ts"
import * as Headers from "./Headers.ts"
import type { Extractor, ReadResult, Source } from "./Reader.ts"
import * as SyncPort from "./SyncPort.ts"
import type { TracePropagation } from "./TracePropagation.ts"

/** A settled read: the result and the failures to report (each one `integration_errors` increment). */
export interface Decided {
  readonly result: ReadResult
  readonly failures: ReadonlyArray<DurableTraceError>
}

/** No context: a new trace. */
export const NONE: ReadResult = {
  source: "none",
  context: Option.none(),
  headers: Option.none(),
  checkpoint: Option.none()
}

/** The one report of every checkpoint skipped (bounded whatever the event holds): the highest, and how many. */
export const rejectedFailure = (rejected: ReadonlyArray<Checkpoint.RejectedCheckpoint>): DurableTraceError => {
  const highest = rejected[0]!
  return new DurableTraceError({
    location: "read_checkpoint",
    reason: highest.reason,
    identifiers: { n: highest.n, operationId: highest.operationId ?? "", rejected: rejected.length }
  })
}

/**
 * The backend's extraction of `headers` as a read result; a failed extraction is pushed to `failures` and found
 * nothing.
 */
export const extracted = (
  propagation: TracePropagation["Service"],
  source: Source,
  headers: Headers.Headers,
  failures: Array<DurableTraceError>,
  checkpoint: Option.Option<Checkpoint.Checkpoint> = Option.none()
): ReadResult | undefined => {
  const exit = SyncPort.exitOf(() => propagation.extract(headers))
  if (Exit.isFailure(exit)) {
    failures.push(
      new DurableTraceError({
        location: "extract",
        reason: "extract failed",
        identifiers: { source },
        cause: Cause.squash(exit.cause)
      })
    )
    return undefined
  }
  const found = exit.value
  return Option.isNone(found)
    ? undefined
    : { source, context: Option.some(found.value), headers: Option.some(headers), checkpoint }
}

/**
 * The read of an invocation whose checkpoint log is settled (`CheckpointLog.isSettled`); `undefined` for any
 * other log, which only the Effect reader can page. Total: a throw on a hostile value starts a new trace and
 * says why, as the Effect reader does.
 */
export const decide = (
  event: unknown,
  lambdaContext: unknown,
  log: CheckpointLog.CheckpointLog,
  propagation: TracePropagation["Service"],
  extractor?: Extractor | undefined
): Decided | undefined => {
  if (!CheckpointLog.isSettled(log)) return undefined
  const failures: Array<DurableTraceError> = []
  try {
    return { result: chain(event, lambdaContext, log.firstPage, propagation, extractor, failures), failures }
  } catch (cause) {
    failures.push(new DurableTraceError({ location: "unknown", reason: "reader threw", cause }))
    return { result: NONE, failures }
  }
}

const chain = (
  event: unknown,
  lambdaContext: unknown,
  scan: Checkpoint.CheckpointScan,
  propagation: TracePropagation["Service"],
  extractor: Extractor | undefined,
  failures: Array<DurableTraceError>
): ReadResult => {
  if (extractor !== undefined) {
    const headers = fromExtractor(extractor, event, lambdaContext, failures)
    const found = headers === undefined ? undefined : extracted(propagation, "extractor", headers, failures)
    if (found !== undefined) return found
  }
  if (scan.rejected.length > 0) failures.push(rejectedFailure(scan.rejected))
  if (Option.isSome(scan.latest)) {
    const found = extracted(propagation, "checkpoint", scan.latest.value.headers, failures, scan.latest)
    if (found !== undefined) return found
  }
  // The caller's context in the durable input, only when the execution has no checkpoint at all (SPEC §3.3c).
  if (scan.highestN < 0) {
    const carrier = Option.flatMap(DurableEvent.traceableInput(event), EventCarriers.fromExecutionInput)
    const found = Option.isNone(carrier) ? undefined : extracted(propagation, "input_payload", carrier.value, failures)
    if (found !== undefined) return found
  }
  const client = EventCarriers.fromClientContext(lambdaContext)
  return (Option.isNone(client) ? undefined : extracted(propagation, "client_context", client.value, failures)) ?? NONE
}

/** The user extractor's carrier; a throwing extractor is a failure, and the chain moves on. */
const fromExtractor = (
  extractor: Extractor,
  event: unknown,
  lambdaContext: unknown,
  failures: Array<DurableTraceError>
): Headers.Headers | undefined => {
  try {
    return Option.getOrUndefined(Headers.fromCarrier(extractor(event, lambdaContext)))
  } catch (cause) {
    failures.push(new DurableTraceError({ location: "extract", reason: "user extractor threw", cause }))
    return undefined
  }
}
