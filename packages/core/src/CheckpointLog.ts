/**
 * One invocation's view of the execution's checkpoints: the scan of the event's first page, the scan over all
 * pages (fetched at most once, on demand), the `_datadog_{N}` counter, and what this invocation wrote.
 * Build one per invocation (SPEC §4.5): a counter held in a container-wide runtime would leak into the next
 * invocation. Reader and writer share it, so the state is paged once per invocation at most.
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Checkpoint from "./Checkpoint.ts"
import { CheckpointStore } from "./CheckpointStore.ts"
import * as DurableEvent from "./DurableEvent.ts"
import { DurableTraceError, timeoutAt } from "./Errors.ts"
import type * as Headers from "./Headers.ts"

/**
 * Default bound on the pages read, the event's first page included: 100 pages of the SDK's 1,000 operations.
 * A service that hands out fresh markers forever cannot hold the invocation.
 */
export const MAX_PAGES = 100

/** Bounds of the paging (SPEC §3.3b): like the write, it must never hold the invocation past its deadline. */
export interface PagingBounds {
  /** Most pages read, the event's first included (default `MAX_PAGES`). */
  readonly maxPages?: number | undefined
  /** Upper bound of the whole paging; none when undefined. It runs on the `Clock` of the caller. */
  readonly timeout?: Duration.Input | undefined
  /**
   * Accept checkpoints whatever their operation id: only for tools reading a state dump that does not say which
   * execution it is, so no id can be checked (SPEC §3.3a). An invocation always knows its execution.
   */
  readonly unverifiedIds?: boolean | undefined
}

/** The checkpoints of all pages, and how many pages were read. */
export interface FullScan extends Checkpoint.CheckpointScan {
  readonly pages: number
}

/** Per-invocation checkpoint state; see `make`. */
export interface CheckpointLog {
  /** The execution ARN of the invocation. */
  readonly executionArn: string
  /** The scan of the event's first page: no I/O. */
  readonly firstPage: Checkpoint.CheckpointScan
  /** Whether the event's first page is the whole state. */
  readonly paged: boolean
  /** The scan over every page, fetching the rest of the state on first use (`page_state` on failure). */
  readonly all: Effect.Effect<FullScan, DurableTraceError>
  /**
   * Allocates the next N, atomically: seeded with the highest N over all pages + 1, then counting up, so saves
   * racing inside one invocation never collide (`allocate_n` on failure).
   */
  readonly allocate: Effect.Effect<number, DurableTraceError>
  /** Records the payload this invocation wrote as checkpoint `n`: the prior of any later save. */
  readonly recordWrite: (n: number, headers: Headers.Headers) => Effect.Effect<void>
  /** The latest checkpoint this invocation wrote. */
  readonly lastWrite: Effect.Effect<Option.Option<{ readonly n: number; readonly headers: Headers.Headers }>>
}

const pageThrough = (
  store: CheckpointStore["Service"],
  first: ReadonlyArray<Checkpoint.Candidate>,
  marker: Option.Option<string>,
  executionArn: string | undefined,
  maxPages: number
): Effect.Effect<FullScan, DurableTraceError> =>
  Effect.gen(function* () {
    const candidates = [...first]
    let next = marker
    let pages = 1
    const seen = new Set<string>()
    while (Option.isSome(next)) {
      // A state cut short is no state: the reader must not take it for "no checkpoint" (SPEC §3.3c).
      if (seen.has(next.value)) {
        return yield* new DurableTraceError({ location: "page_state", reason: "marker loop", identifiers: { pages } })
      }
      if (pages >= maxPages) {
        return yield* new DurableTraceError({
          location: "page_state",
          reason: "too many pages",
          identifiers: { pages }
        })
      }
      seen.add(next.value)
      const page = yield* store.page(next.value)
      Checkpoint.collect(page.operations, candidates)
      next = page.nextMarker
      pages++
    }
    return { ...Checkpoint.findLastCheckpoint(candidates, executionArn), pages }
  })

/**
 * The checkpoint log of `event`, an invocation of execution `executionArn`. Requires the store only when
 * further pages or a counter seed are needed. Paging is bounded by `bounds` and fails (`page_state`) rather than
 * return a partial state.
 */
export const make = (
  event: unknown,
  executionArn: string,
  bounds: PagingBounds = {}
): Effect.Effect<CheckpointLog, never, CheckpointStore> =>
  Effect.flatMap(Effect.service(CheckpointStore), (store) => makeWith(store, event, executionArn, bounds))

/**
 * `make` over a store already at hand. A single-page event (the common case) builds the log without running
 * anything: the scan is pure, and only paging, memoised once per log, is an Effect.
 */
export const makeWith = (
  store: CheckpointStore["Service"],
  event: unknown,
  executionArn: string,
  bounds: PagingBounds = {}
): Effect.Effect<CheckpointLog> => {
  const firstCandidates = Checkpoint.collect(DurableEvent.initialOperations(event), [])
  const idsOf = bounds.unverifiedIds === true ? undefined : executionArn
  const firstPage = Checkpoint.findLastCheckpoint(firstCandidates, idsOf)
  const marker = DurableEvent.initialNextMarker(event)
  // Memoised only when there is paging to share: the common single-page event pays nothing for it.
  if (Option.isNone(marker)) return Effect.succeed(settledOf(executionArn, firstPage))
  return Effect.map(
    Effect.cached(
      timeoutAt(
        pageThrough(store, firstCandidates, marker, idsOf, bounds.maxPages ?? MAX_PAGES),
        "page_state",
        bounds.timeout
      )
    ),
    (all) => logOf(executionArn, firstPage, true, all).log
  )
}

/**
 * The log of `event` when its first page is the whole state, built without running anything (no store is ever
 * needed); `undefined` when there are further pages, which only `make` can fetch.
 */
export const settled = (event: unknown, executionArn: string, bounds: PagingBounds = {}): CheckpointLog | undefined => {
  if (Option.isSome(DurableEvent.initialNextMarker(event))) return undefined
  const firstCandidates = Checkpoint.collect(DurableEvent.initialOperations(event), [])
  return settledOf(
    executionArn,
    Checkpoint.findLastCheckpoint(firstCandidates, bounds.unverifiedIds ? undefined : executionArn)
  )
}

const settledOf = (executionArn: string, firstPage: Checkpoint.CheckpointScan): CheckpointLog => {
  const { log, face } = logOf(executionArn, firstPage, false, Effect.succeed({ ...firstPage, pages: 1 }))
  SETTLED.set(log, face)
  return log
}

/**
 * A settled log's state, read and updated without an Effect: what the synchronous read and write decisions use.
 * The Effect members of the same log (`all`, `allocate`, `recordWrite`, `lastWrite`) see the same state.
 */
export interface SettledLog {
  /** The whole state's scan: the first page's. */
  readonly scan: FullScan
  /** The next N (see `allocate`), or a failure at `allocate_n`. */
  readonly allocate: () => number | DurableTraceError
  readonly recordWrite: (n: number, headers: Headers.Headers) => void
  readonly lastWrite: () => Option.Option<{ readonly n: number; readonly headers: Headers.Headers }>
}

// Logs built over a single page, with their synchronous face: their `all` is the first page's scan, in hand.
const SETTLED = new WeakMap<CheckpointLog, SettledLog>()

/**
 * Whether reading `log` needs no I/O: built here over an event that is the whole state. A log assembled some
 * other way (a copy, a test double) is never settled, whatever it holds.
 */
export const isSettled = (log: CheckpointLog): boolean => SETTLED.has(log)

/** The synchronous face of a settled log; `undefined` for any other log. */
export const settledFace = (log: CheckpointLog): SettledLog | undefined => SETTLED.get(log)

const logOf = (
  executionArn: string,
  firstPage: Checkpoint.CheckpointScan,
  paged: boolean,
  all: Effect.Effect<FullScan, DurableTraceError>
): { readonly log: CheckpointLog; readonly face: SettledLog } => {
  // This log's own state, one per invocation; JavaScript runs each call to its end, so the counter is atomic
  // without a Ref.
  let next: number | undefined
  let written: Option.Option<{ readonly n: number; readonly headers: Headers.Headers }> = Option.none()
  const allocateAfter = (highestN: number): number | DurableTraceError => {
    const n = next ?? highestN + 1
    if (n > Number.MAX_SAFE_INTEGER) {
      return new DurableTraceError({ location: "allocate_n", reason: "N exhausted", identifiers: { n } })
    }
    next = n + 1
    return n
  }
  const recordWrite = (n: number, headers: Headers.Headers): void => {
    if (!(Option.isSome(written) && written.value.n > n)) written = Option.some({ n, headers })
  }
  const allocate = Effect.flatMap(all, (scan) =>
    Effect.suspend(() => {
      const n = allocateAfter(scan.highestN)
      return typeof n === "number" ? Effect.succeed(n) : Effect.fail(n)
    })
  )
  const log: CheckpointLog = {
    executionArn,
    firstPage,
    paged,
    all,
    allocate,
    recordWrite: (n, headers) => Effect.sync(() => recordWrite(n, headers)),
    lastWrite: Effect.sync(() => written)
  }
  return {
    log,
    face: {
      // A settled log's `all` is an `Exit` of its scan: read without running it.
      scan: Exit.isExit(all) && Exit.isSuccess(all) ? (all.value as FullScan) : { ...firstPage, pages: 1 },
      allocate: () => allocateAfter(firstPage.highestN),
      recordWrite,
      lastWrite: () => written
    }
  }
}
