/**
 * The reader (SPEC §3): which trace an invocation continues. Precedence, first match wins: a user extractor,
 * an event-source carrier, the latest valid `_datadog_{N}` checkpoint over all pages, the caller's context in
 * the durable input, the Lambda client context, else none. It never fails: every problem on the way is
 * reported to `Telemetry` at its location and the chain moves on.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Checkpoint from "./Checkpoint.ts"
import * as CheckpointLog from "./CheckpointLog.ts"
import * as DurableEvent from "./DurableEvent.ts"
import { DurableTraceError } from "./Errors.ts"
import * as EventCarriers from "./EventCarriers.ts"
import * as Headers from "./Headers.ts"
import * as ReadSettled from "./ReadSettled.ts"
import { report, type Telemetry } from "./Telemetry.ts"
import { type TraceContext, TracePropagation } from "./TracePropagation.ts"

/** Where the continued context came from. */
export type Source = "extractor" | "event" | "checkpoint" | "input_payload" | "client_context" | "none"

/** A user-supplied extractor: a carrier for `event`, or `undefined` to fall through. */
export type Extractor = (event: unknown, lambdaContext: unknown) => unknown

/** What the reader found. */
export interface ReadResult {
  readonly source: Source
  /** The parent context to start the invocation's span under; none starts a new trace. */
  readonly context: Option.Option<TraceContext>
  /** The headers the context was extracted from. */
  readonly headers: Option.Option<Headers.Headers>
  /** The checkpoint continued, when `source` is `"checkpoint"`. */
  readonly checkpoint: Option.Option<Checkpoint.Checkpoint>
}

/** Options of `read`. */
export interface ReadOptions {
  readonly extractor?: Extractor | undefined
  /** The invocation's checkpoint log; present for durable events. */
  readonly log?: CheckpointLog.CheckpointLog | undefined
}

const NONE = ReadSettled.NONE

/** Extracts `headers` with the backend; an extraction failure is reported and treated as no context. */
const extractFrom = (
  propagation: TracePropagation["Service"],
  source: Source,
  headers: Headers.Headers,
  checkpoint: Option.Option<Checkpoint.Checkpoint> = Option.none()
): Effect.Effect<Option.Option<ReadResult>, never, Telemetry> => {
  // A backend that throws instead of failing its Effect is a defect here, caught below, not a failed read.
  let extracted: Effect.Effect<Option.Option<TraceContext>, DurableTraceError>
  try {
    extracted = propagation.extract(headers)
  } catch (cause) {
    extracted = Effect.die(cause)
  }
  // One combinator for both outcomes: this runs on every invocation.
  return Effect.matchCauseEffect(extracted, {
    onSuccess: (found) =>
      Effect.succeed(
        Option.map(
          found,
          (context): ReadResult => ({
            source,
            context: Option.some(context),
            headers: Option.some(headers),
            checkpoint
          })
        )
      ),
    onFailure: (cause) =>
      Effect.as(
        report(
          new DurableTraceError({
            location: "extract",
            reason: "extract failed",
            identifiers: { source },
            cause: Cause.squash(cause)
          })
        ),
        Option.none()
      )
  })
}

/**
 * One report for every checkpoint skipped in this read, however many: an event can hold any number of corrupt
 * `_datadog_{N}`, and what one invocation reports must stay bounded. It names the highest one skipped and how
 * many there were.
 */
const reportRejected = (rejected: ReadonlyArray<Checkpoint.RejectedCheckpoint>) =>
  report(ReadSettled.rejectedFailure(rejected))

/** The user extractor's carrier; a throwing extractor is reported and skipped. */
const fromExtractor = (extractor: Extractor, event: unknown, lambdaContext: unknown) => {
  try {
    return Effect.succeed(Headers.fromCarrier(extractor(event, lambdaContext)))
  } catch (cause) {
    return Effect.as(
      report(new DurableTraceError({ location: "extract", reason: "user extractor threw", cause })),
      Option.none<Headers.Headers>()
    )
  }
}

/**
 * Reads the context `event` continues. Total on any value, JSON or not (getters and Proxies that throw): always
 * succeeds, with source `"none"` when nothing applies. One pass in precedence order; the only I/O is paging, and
 * only when page 1 has no valid checkpoint (SPEC §3.3b).
 */
export const read = (
  event: unknown,
  lambdaContext: unknown,
  options: ReadOptions = {}
): Effect.Effect<ReadResult, never, TracePropagation | Telemetry> => {
  const { extractor, log } = options
  // A settled log (the event is the whole state): decided synchronously, then its failures reported.
  if (log !== undefined && CheckpointLog.isSettled(log)) {
    return Effect.flatMap(Effect.service(TracePropagation), (propagation) => {
      const decided = ReadSettled.decide(event, lambdaContext, log, propagation, extractor)!
      return decided.failures.length === 0
        ? Effect.succeed(decided.result)
        : Effect.as(Effect.forEach(decided.failures, report, { discard: true }), decided.result)
    })
  }
  // The common resume, on its own short path: no extractor, and page 1 holds a valid checkpoint with nothing
  // skipped above it. The same steps as below (the checkpoint, else the client context), without the generator.
  if (extractor === undefined && log !== undefined && log.firstPage.rejected.length === 0) {
    const latest = log.firstPage.latest
    if (Option.isSome(latest)) {
      return Effect.flatMap(Effect.service(TracePropagation), (propagation) =>
        Effect.flatMap(extractFrom(propagation, "checkpoint", latest.value.headers, latest), (found) =>
          Option.isSome(found) ? Effect.succeed(found.value) : fromClientContext(propagation, lambdaContext)
        )
      ).pipe(Effect.catchDefect(readerThrew))
    }
  }
  return readAll(event, lambdaContext, options)
}

const readerThrew = (cause: unknown) =>
  Effect.as(report(new DurableTraceError({ location: "unknown", reason: "reader threw", cause })), NONE)

/** The last source: the Lambda client context, else none. */
const fromClientContext = (
  propagation: TracePropagation["Service"],
  lambdaContext: unknown
): Effect.Effect<ReadResult, never, Telemetry> => {
  const client = EventCarriers.fromClientContext(lambdaContext)
  if (Option.isNone(client)) return Effect.succeed(NONE)
  return Effect.map(
    extractFrom(propagation, "client_context", client.value),
    Option.getOrElse(() => NONE)
  )
}

const readAll = (
  event: unknown,
  lambdaContext: unknown,
  options: ReadOptions
): Effect.Effect<ReadResult, never, TracePropagation | Telemetry> =>
  Effect.gen(function* () {
    const { extractor, log } = options
    const propagation = yield* TracePropagation
    let found: Option.Option<ReadResult>

    if (extractor !== undefined) {
      const headers = yield* fromExtractor(extractor, event, lambdaContext)
      if (Option.isSome(headers)) {
        found = yield* extractFrom(propagation, "extractor", headers.value)
        if (Option.isSome(found)) return found.value
      }
    }

    if (log === undefined) {
      const carrier = EventCarriers.fromEventSource(event)
      if (Option.isSome(carrier)) {
        found = yield* extractFrom(propagation, "event", carrier.value)
        if (Option.isSome(found)) return found.value
      }
    } else {
      // The latest valid checkpoint: page 1 first, every further page when page 1 has none (SPEC §3.3a-b).
      let scan: Checkpoint.CheckpointScan = log.firstPage
      // Whether `scan` covers the whole state: only then does "no checkpoint" mean there is none.
      let complete = !log.paged
      if (Option.isNone(scan.latest) && log.paged) {
        const all = yield* Effect.result(log.all)
        if (all._tag === "Failure") {
          // The execution may have a checkpoint on a page never seen: continue nothing it cannot prove, so
          // no other context (the input's, the client context's) takes the execution over (SPEC §3.3c).
          yield* report(all.failure)
          if (Option.isNone(scan.latest)) return NONE
        } else {
          scan = all.success
          complete = true
        }
      }
      if (scan.rejected.length > 0) yield* reportRejected(scan.rejected)
      if (Option.isSome(scan.latest)) {
        found = yield* extractFrom(propagation, "checkpoint", scan.latest.value.headers, scan.latest)
        if (Option.isSome(found)) return found.value
      }
      // The caller's context in the durable input, only when the execution provably has no checkpoint at all
      // (SPEC §3.3c): once one exists, the execution's own trace wins, and a state that could not be read in
      // full may hold one on a page never seen.
      if (complete && scan.highestN < 0) {
        const carrier = Option.flatMap(DurableEvent.traceableInput(event), EventCarriers.fromExecutionInput)
        if (Option.isSome(carrier)) {
          found = yield* extractFrom(propagation, "input_payload", carrier.value)
          if (Option.isSome(found)) return found.value
        }
      }
    }

    return yield* fromClientContext(propagation, lambdaContext)
  }).pipe(
    // The look-ups are total (`Untrusted`); should anything still throw on a hostile value, the read starts a new
    // trace and says why, instead of dying.
    Effect.catchDefect(readerThrew)
  )
