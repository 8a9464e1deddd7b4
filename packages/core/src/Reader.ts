/**
 * The reader (SPEC §3): which trace an invocation continues. Precedence, first match wins: a user extractor,
 * an event-source carrier, the latest valid `_datadog_{N}` checkpoint over all pages, the caller's context in
 * the durable input, the Lambda client context, else none. It never fails: every problem on the way is
 * reported to `Telemetry` at its location and the chain moves on.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Checkpoint from "./Checkpoint.ts"
import type { CheckpointLog } from "./CheckpointLog.ts"
import * as DurableEvent from "./DurableEvent.ts"
import { DurableTraceError } from "./Errors.ts"
import * as EventCarriers from "./EventCarriers.ts"
import * as Headers from "./Headers.ts"
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
  readonly log?: CheckpointLog | undefined
}

const NONE: ReadResult = {
  source: "none",
  context: Option.none(),
  headers: Option.none(),
  checkpoint: Option.none()
}

type Attempt = Effect.Effect<Option.Option<ReadResult>, never, TracePropagation | Telemetry>

/** Extracts `headers` with the backend; an extraction failure is reported and treated as no context. */
const extractFrom = (
  source: Source,
  headers: Option.Option<Headers.Headers>,
  checkpoint: Option.Option<Checkpoint.Checkpoint> = Option.none()
): Attempt =>
  Option.match(headers, {
    onNone: () => Effect.succeedNone,
    onSome: (carrier) =>
      Effect.flatMap(Effect.service(TracePropagation), (propagation) => propagation.extract(carrier)).pipe(
        Effect.map(
          Option.map((context): ReadResult => ({ source, context: Option.some(context), headers, checkpoint }))
        ),
        Effect.catchCause((cause) =>
          Effect.as(
            report(
              new DurableTraceError({ location: "extract", reason: "extract failed", identifiers: { source }, cause })
            ),
            Option.none()
          )
        )
      )
  })

const reportRejected = (rejected: ReadonlyArray<Checkpoint.RejectedCheckpoint>) =>
  Effect.forEach(
    rejected,
    (skipped) =>
      report(
        new DurableTraceError({
          location: "read_checkpoint",
          reason: skipped.reason,
          identifiers: { n: skipped.n, operationId: skipped.operationId ?? "" }
        })
      ),
    { discard: true }
  )

/** The latest valid checkpoint: page 1 first, then every further page when page 1 has none (SPEC §3.3a-b). */
const fromCheckpoints = (log: CheckpointLog): Attempt =>
  Effect.gen(function* () {
    let scan: Checkpoint.CheckpointScan = log.firstPage
    if (Option.isNone(scan.latest) && log.paged) {
      const all = yield* Effect.result(log.all)
      if (all._tag === "Failure") yield* report(all.failure)
      else scan = all.success
    }
    yield* reportRejected(scan.rejected)
    if (Option.isNone(scan.latest)) return Option.none()
    const checkpoint = scan.latest.value
    return yield* extractFrom("checkpoint", Option.some(checkpoint.headers), scan.latest)
  })

/**
 * The caller's context in the durable input, only when the execution has no checkpoint at all (SPEC §3.3c):
 * once one exists, the execution's own trace wins.
 */
const fromInputPayload = (event: unknown, log: CheckpointLog): Attempt =>
  Effect.gen(function* () {
    let highestN = log.firstPage.highestN
    if (highestN < 0 && log.paged) {
      // Already fetched by `fromCheckpoints` (cached); a paging failure was reported there.
      const all = yield* Effect.result(log.all)
      if (all._tag === "Success") highestN = all.success.highestN
    }
    if (highestN >= 0) return Option.none()
    return yield* extractFrom(
      "input_payload",
      Option.flatMap(DurableEvent.traceableInput(event), EventCarriers.fromExecutionInput)
    )
  })

const firstSome = (attempts: ReadonlyArray<() => Attempt>): Attempt =>
  Effect.gen(function* () {
    for (const attempt of attempts) {
      const found = yield* attempt()
      if (Option.isSome(found)) return found
    }
    return Option.none()
  })

/**
 * Reads the context `event` continues. Total: always succeeds, with source `"none"` when nothing applies.
 */
export const read = (
  event: unknown,
  lambdaContext: unknown,
  options: ReadOptions = {}
): Effect.Effect<ReadResult, never, TracePropagation | Telemetry> => {
  const { extractor, log } = options
  return firstSome([
    () =>
      extractor === undefined
        ? Effect.succeedNone
        : Effect.try({
            try: () => Headers.fromCarrier(extractor(event, lambdaContext)),
            catch: (cause) => new DurableTraceError({ location: "extract", reason: "user extractor threw", cause })
          }).pipe(
            Effect.catch((error) => Effect.as(report(error), Option.none<Headers.Headers>())),
            Effect.flatMap((headers) => extractFrom("extractor", headers))
          ),
    () => (log === undefined ? extractFrom("event", EventCarriers.fromEventSource(event)) : Effect.succeedNone),
    () => (log === undefined ? Effect.succeedNone : fromCheckpoints(log)),
    () => (log === undefined ? Effect.succeedNone : fromInputPayload(event, log)),
    () => extractFrom("client_context", EventCarriers.fromClientContext(lambdaContext))
  ]).pipe(Effect.map(Option.getOrElse(() => NONE)))
}
