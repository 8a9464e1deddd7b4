/**
 * The writer (SPEC §4.2): when an invocation suspends, persist its trace context as `_datadog_{N}`, unless the
 * latest checkpoint already says the same. Every save is anchored to one span, the first saving invocation's
 * execute span, so all resumed invocations become its siblings. The suspend gate and the enable flag belong
 * to the caller; this program decides and writes. Failures are typed with their location; `saveOrReport` is
 * the boundary that reports them and never fails.
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Checkpoint from "./Checkpoint.ts"
import * as CheckpointLog from "./CheckpointLog.ts"
import { CheckpointStore, type CheckpointUpdate } from "./CheckpointStore.ts"
import * as DurableMember from "./DurableMember.ts"
import { DurableTraceError, timeoutAt } from "./Errors.ts"
import * as Headers from "./Headers.ts"
import { degradeWith, fromDefect, type Telemetry } from "./Telemetry.ts"
import * as TraceMode from "./TraceMode.ts"
import { type Span, TracePropagation } from "./TracePropagation.ts"

/** A save's result. */
export type SaveOutcome =
  | {
      readonly _tag: "Written"
      readonly n: number
      readonly name: string
      readonly operationId: string
      /** The anchor span id, 16 lowercase hex. */
      readonly anchor: string
      readonly payload: Headers.Headers
    }
  | { readonly _tag: "Unchanged"; readonly prior: number }
  | { readonly _tag: "Failed"; readonly error: DurableTraceError }

/** Options of `save`. */
export interface SaveOptions {
  readonly log: CheckpointLog.CheckpointLog
  /** The invocation's execute span, in the backend's own type. */
  readonly executeSpan: Span
  /** Upper bound for the whole save, paging included (SPEC §4.1). */
  readonly timeout?: Duration.Input | undefined
  /** Linked trace mode (SPEC §11): keep the anchor's context and name this invocation the previous one. */
  readonly linked?: boolean | undefined
  /** This invocation's number (`InvocationNumber`), carried in the checkpoint; none when unknown. */
  readonly invocation?: number | undefined
}

/**
 * The prior a save is compared with: this invocation's last write, else the latest valid checkpoint; and the
 * highest N of any `_datadog_{N}` operation, valid or not.
 */
const priorOf = (log: CheckpointLog.CheckpointLog) =>
  Effect.gen(function* () {
    const written = yield* log.lastWrite
    if (Option.isSome(written))
      return { prior: Option.some(written.value), unanchored: false, highestN: written.value.n }
    const scan = yield* log.all
    const unanchored = scan.rejected.some((rejected) => rejected.reason === "no parent id")
    return {
      prior: Option.map(scan.latest, (latest) => ({ n: latest.n, headers: latest.headers })),
      unanchored,
      highestN: scan.highestN
    }
  })

/**
 * Whether the prior already says what a save would write: the same stable context (SPEC §4.3), and nothing
 * above it. A higher `_datadog_{N}` that is not valid is what Datadog's readers, which read only the highest N,
 * would stop at: writing the context again above it heals the execution for them (SPEC §4.2 step 4).
 */
export const isUnchanged = (
  prior: { readonly n: number; readonly headers: Headers.Headers },
  current: Headers.Headers,
  highestN: number
): boolean => prior.n >= highestN && !Headers.needsCheckpointUpdate(prior.headers, current)

/**
 * Whether `current` belongs to the trace of `prior` (compared on the low 64 bits, all that Datadog headers
 * carry without `_dd.p.tid`). A save of another trace would move the rest of the execution onto it: what an
 * invocation that could not read the state, or could not continue it, would otherwise write (SPEC §4.4).
 */
export const isSameTrace = (prior: Headers.Headers, current: Headers.Headers): boolean => {
  const before = Headers.traceIdHex(prior)
  const after = Headers.traceIdHex(current)
  return Option.isSome(before) && Option.isSome(after) && before.value.slice(16) === after.value.slice(16)
}

const resolveAnchor = (
  prior: Option.Option<{ readonly n: number; readonly headers: Headers.Headers }>,
  unanchored: boolean,
  executeSpan: Span
): Effect.Effect<string, DurableTraceError, TracePropagation> => {
  if (Option.isSome(prior)) {
    return Option.match(Headers.parentId(prior.value.headers), {
      onSome: Effect.succeed,
      onNone: () =>
        Effect.fail(
          new DurableTraceError({
            location: "resolve_parent_id",
            reason: "prior checkpoint has no parent id",
            identifiers: { n: prior.value.n }
          })
        )
    })
  }
  if (unanchored) {
    // The execution was anchored once, but its anchor is unreadable. Inventing a new one from this span
    // would re-parent the rest of the trace (SPEC §4.4).
    return Effect.fail(
      new DurableTraceError({ location: "resolve_parent_id", reason: "checkpoint anchor is malformed" })
    )
  }
  return Effect.flatMap(Effect.service(TracePropagation), (propagation) => propagation.spanId(executeSpan))
}

/** A decided checkpoint, not yet sent: `prepare`'s result when the context changed. */
export interface PreparedCheckpoint {
  readonly n: number
  readonly name: string
  readonly anchor: string
  readonly payload: Headers.Headers
  readonly update: CheckpointUpdate
}

/**
 * Steps 1-6 of SPEC §4.2 without the write: inject, allowlist, prior, diff, anchor, allocate. `Unchanged` when
 * the latest checkpoint already says the same; otherwise the update to send. Whoever sends it must then call
 * `log.recordWrite(n, payload)`, so later saves diff against it (`save` does both).
 */
export const prepare = (options: {
  readonly log: CheckpointLog.CheckpointLog
  readonly executeSpan: Span
  readonly linked?: boolean | undefined
  readonly invocation?: number | undefined
}): Effect.Effect<
  PreparedCheckpoint | { readonly _tag: "Unchanged"; readonly prior: number },
  DurableTraceError,
  TracePropagation
> =>
  Effect.gen(function* () {
    const { log, executeSpan } = options
    const propagation = yield* TracePropagation
    // A backend that throws instead of failing its Effect is still an inject failure, not an `unknown` one.
    const injected = yield* Effect.suspend(() => propagation.inject(executeSpan)).pipe(
      Effect.catchDefect((cause) => Effect.fail(fromDefect("inject", cause)))
    )
    const injectedHeaders = Headers.fromCarrier(injected)
    if (Option.isNone(injectedHeaders) || !Headers.isValidContext(injectedHeaders.value)) {
      return yield* new DurableTraceError({ location: "inject", reason: "injected headers carry no valid context" })
    }
    const { prior, unanchored, highestN } = yield* priorOf(log)
    const context =
      options.linked === true && Option.isSome(prior)
        ? TraceMode.linkedCheckpoint(prior.value.headers, injectedHeaders.value)
        : injectedHeaders.value
    // The number is not volatile (§4.3): a new invocation's number makes its save write (SPEC §11).
    const current = { value: DurableMember.withInvocation(context, Option.fromNullishOr(options.invocation)) }
    if (Option.isSome(prior) && isUnchanged(prior.value, current.value, highestN)) {
      return { _tag: "Unchanged", prior: prior.value.n } as const
    }
    if (Option.isSome(prior) && !isSameTrace(prior.value.headers, current.value)) {
      return yield* new DurableTraceError({
        location: "resolve_parent_id",
        reason: "context is another trace than the checkpoint's",
        identifiers: { n: prior.value.n }
      })
    }
    const anchor = yield* resolveAnchor(prior, unanchored, executeSpan)
    const payload = Headers.anchor(current.value, anchor)
    const n = yield* log.allocate
    const name = Checkpoint.checkpointName(n)
    const json = JSON.stringify(payload)
    // The next invocation reads this payload back: it need not validate what was just validated.
    Headers.rememberJson(json, payload)
    const update: CheckpointUpdate = {
      Id: Checkpoint.checkpointOperationId(name, log.executionArn),
      Type: "STEP",
      SubType: "Step",
      Action: "SUCCEED",
      Name: name,
      Payload: json
    }
    return { n, name, anchor, payload, update }
  })

/**
 * Decides and, if the context changed, writes the next checkpoint. Fails with the location of the first
 * failure; writes nothing in that case.
 */
export const save = (
  options: SaveOptions
): Effect.Effect<SaveOutcome, DurableTraceError, TracePropagation | CheckpointStore> => {
  const decided = prepare(options)
  // A settled log needs no paging: the decision is synchronous work, which a timeout cannot cut anyway, so the
  // bound goes on the one I/O left, the write, and an unchanged save never starts a timer.
  if (CheckpointLog.isSettled(options.log)) {
    return Effect.flatMap(decided, (prepared) =>
      "_tag" in prepared
        ? Effect.succeed(prepared)
        : timeoutAt(write(options.log, prepared), "write_checkpoint", options.timeout)
    )
  }
  const program = Effect.flatMap(decided, (prepared) =>
    "_tag" in prepared ? Effect.succeed(prepared) : write(options.log, prepared)
  )
  return timeoutAt(program, "write_checkpoint", options.timeout)
}

const write = (
  log: CheckpointLog.CheckpointLog,
  prepared: PreparedCheckpoint
): Effect.Effect<SaveOutcome, DurableTraceError, CheckpointStore> =>
  Effect.flatMap(Effect.service(CheckpointStore), (store) =>
    Effect.flatMap(store.write(prepared.update), () =>
      Effect.map(log.recordWrite(prepared.n, prepared.payload), (): SaveOutcome => {
        const { n, name, anchor, payload, update } = prepared
        return { _tag: "Written", n, name, operationId: update.Id, anchor, payload }
      })
    )
  )

/**
 * `save` at the boundary (SPEC §4.7): a failure, typed or thrown, is reported (debug log + counter) and comes
 * back as `Failed`, so the caller can never be failed by it.
 */
export const saveOrReport = (
  options: SaveOptions
): Effect.Effect<SaveOutcome, never, TracePropagation | CheckpointStore | Telemetry> =>
  save(options).pipe(degradeWith((error): SaveOutcome => ({ _tag: "Failed", error })))
