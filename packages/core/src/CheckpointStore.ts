/**
 * The checkpoint-store port: the execution's state beyond the event's first page, and the one write the
 * writer makes (SPEC §2). The durable SDK adapter implements it over the SDK's own client (so it sees the
 * newest checkpoint token); `layerTest` keeps pages and writes in memory.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { DurableTraceError } from "./Errors.ts"

/** One page of `GetDurableExecutionState`. */
export interface StatePage {
  readonly operations: ReadonlyArray<unknown>
  readonly nextMarker: Option.Option<string>
}

/** The checkpoint as written: one SUCCEED update, no START, no ParentId (SPEC §2). */
export interface CheckpointUpdate {
  readonly Id: string
  readonly Type: "STEP"
  readonly SubType: "Step"
  readonly Action: "SUCCEED"
  readonly Name: string
  readonly Payload: string
}

/** The checkpoint-store port. */
export class CheckpointStore extends Context.Service<
  CheckpointStore,
  {
    /** The state page at `marker` (`page_state` on failure). */
    readonly page: (marker: string) => Effect.Effect<StatePage, DurableTraceError>
    /** Sends one checkpoint update (`write_checkpoint` on failure). */
    readonly write: (update: CheckpointUpdate) => Effect.Effect<void, DurableTraceError>
  }
>()("@durable-trace/core/CheckpointStore") {
  /**
   * In memory: `pages` maps a marker to the page it returns; writes are recorded (read them with
   * `CheckpointStoreRecorder`). `failPage`/`failWrite` make those calls fail with that cause.
   */
  static readonly layerTest = (
    options: {
      readonly pages?: Readonly<Record<string, StatePage>>
      readonly failPage?: unknown
      readonly failWrite?: unknown
    } = {}
  ): Layer.Layer<CheckpointStore | CheckpointStoreRecorder> =>
    Layer.effectContext(
      Effect.gen(function* () {
        const writes = yield* Ref.make<ReadonlyArray<CheckpointUpdate>>([])
        const pageRequests = yield* Ref.make<ReadonlyArray<string>>([])
        const store = CheckpointStore.of({
          page: (marker) =>
            Effect.gen(function* () {
              yield* Ref.update(pageRequests, (all) => [...all, marker])
              const page = options.pages?.[marker]
              if (options.failPage !== undefined || page === undefined) {
                return yield* new DurableTraceError({
                  location: "page_state",
                  reason: page === undefined ? "unknown marker" : "page request failed",
                  identifiers: { marker },
                  cause: options.failPage
                })
              }
              return page
            }),
          write: (update) =>
            options.failWrite !== undefined
              ? Effect.fail(
                  new DurableTraceError({
                    location: "write_checkpoint",
                    reason: "checkpoint request failed",
                    identifiers: { name: update.Name, operationId: update.Id },
                    cause: options.failWrite
                  })
                )
              : Ref.update(writes, (all) => [...all, update])
        })
        return Context.make(CheckpointStore, store).pipe(
          Context.add(CheckpointStoreRecorder, { writes: Ref.get(writes), pageRequests: Ref.get(pageRequests) })
        )
      })
    )
}

/** Reads what `CheckpointStore.layerTest` recorded. */
export class CheckpointStoreRecorder extends Context.Service<
  CheckpointStoreRecorder,
  {
    readonly writes: Effect.Effect<ReadonlyArray<CheckpointUpdate>>
    readonly pageRequests: Effect.Effect<ReadonlyArray<string>>
  }
>()("@durable-trace/core/CheckpointStoreRecorder") {}
