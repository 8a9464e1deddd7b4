/**
 * The reader run over a state already at hand, for tools that explain what an invocation would continue
 * (`inspect`, the history audit). Its services are pure and built per call: the context is core's own reading of
 * the headers (`contextOf`: the ids every backend continues from valid headers), no page beyond the ones given is
 * fetched, and failures are collected instead of counted. Gotcha: the result is the reader's on these pages only;
 * `pageRequests` says whether the real reader would have paged further.
 */
import * as Effect from "effect/Effect"
import type * as Checkpoint from "./Checkpoint.ts"
import * as CheckpointLog from "./CheckpointLog.ts"
import { CheckpointStore } from "./CheckpointStore.ts"
import { DurableTraceError, errorType, type Location } from "./Errors.ts"
import * as Reader from "./Reader.ts"
import { Telemetry } from "./Telemetry.ts"
import { contextOf, TracePropagation } from "./TracePropagation.ts"

/** A failure the reader reported, as `integration_errors` would count it. */
export interface Failure {
  readonly location: Location
  readonly errorType: string
}

/** What the reader made of the state, and what it would have needed beyond it. */
export interface OfflineRead {
  readonly read: Reader.ReadResult
  /** The scan of the event's first page. */
  readonly firstPage: Checkpoint.CheckpointScan
  /** Markers of the pages the reader asked for: none fetched. */
  readonly pageRequests: ReadonlyArray<string>
  /** Failures reported, the refused page requests left out. */
  readonly failures: ReadonlyArray<Failure>
}

const noSpans = (location: Location) =>
  Effect.fail(new DurableTraceError({ location, reason: "an offline read has no spans" }))

/**
 * Reads `event` of execution `executionArn` as the reader would, offline. `unverifiedIds` accepts checkpoints
 * whatever their ids: only for a state dump that does not say which execution it is (SPEC §3.3a).
 */
export const read = (
  event: unknown,
  executionArn: string,
  options: { readonly unverifiedIds?: boolean | undefined } = {}
): OfflineRead => {
  const pageRequests: Array<string> = []
  const failures: Array<Failure> = []
  const propagation = TracePropagation.of({
    extract: (headers) => Effect.succeed(contextOf(headers)),
    inject: () => noSpans("inject"),
    spanId: () => noSpans("inject")
  })
  const telemetry = Telemetry.of({
    failure: (error) =>
      Effect.sync(() => {
        // A page request is refused by design here: not a failure the reader would have in an invocation.
        if (error.location !== "page_state") failures.push({ location: error.location, errorType: errorType(error) })
      })
  })
  const store = CheckpointStore.of({
    page: (marker) =>
      Effect.suspend(() => {
        pageRequests.push(marker)
        return Effect.fail(
          new DurableTraceError({ location: "page_state", reason: "not fetched offline", identifiers: { marker } })
        )
      }),
    write: (update) =>
      Effect.fail(
        new DurableTraceError({
          location: "write_checkpoint",
          reason: "an offline read writes nothing",
          identifiers: { name: update.Name }
        })
      )
  })
  return Effect.runSync(
    Effect.gen(function* () {
      const log = yield* CheckpointLog.make(event, executionArn, { unverifiedIds: options.unverifiedIds })
      const read = yield* Reader.read(event, undefined, { log })
      return { read, firstPage: log.firstPage, pageRequests, failures }
    }).pipe(
      Effect.provideService(TracePropagation, propagation),
      Effect.provideService(Telemetry, telemetry),
      Effect.provideService(CheckpointStore, store)
    )
  )
}
