/**
 * The writer (SPEC §4.2): when an invocation suspends, persist its trace context as `_datadog_{N}`, unless the
 * latest checkpoint already says the same. Every save is anchored to one span, the first saving invocation's
 * execute span, so all resumed invocations become its siblings. The suspend gate and the enable flag belong
 * to the caller; this program decides and writes. Failures are typed with their location; `saveOrReport` is
 * the boundary that reports them and never fails.
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Checkpoint from "./Checkpoint.ts"
import * as CheckpointLog from "./CheckpointLog.ts"
import { CheckpointStore, type CheckpointUpdate } from "./CheckpointStore.ts"
import * as DurableMember from "./DurableMember.ts"
import { DurableTraceError, timeoutAt } from "./Errors.ts"
import * as Headers from "./Headers.ts"
import * as SyncPort from "./SyncPort.ts"
import { degradeWith, type Telemetry } from "./Telemetry.ts"
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
const priorOf = (log: CheckpointLog.CheckpointLog): Effect.Effect<Prior, DurableTraceError> =>
  Effect.flatMap(log.lastWrite, (written) =>
    Option.isSome(written)
      ? Effect.succeed({ prior: written, unanchored: false, highestN: written.value.n })
      : Effect.map(log.all, scanPrior)
  )

/** The prior of a scan: its latest valid checkpoint, whether an anchor is unreadable, its highest N. */
const scanPrior = (scan: Checkpoint.CheckpointScan): Prior => ({
  prior: Option.map(scan.latest, (latest) => ({ n: latest.n, headers: latest.headers })),
  unanchored: scan.rejected.some((rejected) => rejected.reason === "no parent id"),
  highestN: scan.highestN
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

/** A decided checkpoint, not yet sent: `prepare`'s result when the context changed. */
export interface PreparedCheckpoint {
  readonly n: number
  readonly name: string
  readonly anchor: string
  readonly payload: Headers.Headers
  readonly update: CheckpointUpdate
}

/** The prior a save compares with, as `priorOf` finds it. */
interface Prior {
  readonly prior: Option.Option<{ readonly n: number; readonly headers: Headers.Headers }>
  readonly unanchored: boolean
  readonly highestN: number
}

/** What a save decides once it has the injected headers and the prior: no I/O, no Effect. */
type Decision =
  | { readonly _tag: "Unchanged"; readonly prior: number }
  | {
      readonly _tag: "Write"
      readonly current: Headers.Headers
      /** The prior's anchor; `undefined`: the execute span's own id (a first save). */
      readonly anchor: string | undefined
    }
  | DurableTraceError

/** The injected carrier as headers with a valid context, or the inject failure. */
const validInjected = (injected: Headers.Headers): Headers.Headers | DurableTraceError => {
  const headers = Headers.fromCarrier(injected)
  return Option.isSome(headers) && Headers.isValidContext(headers.value)
    ? headers.value
    : new DurableTraceError({ location: "inject", reason: "injected headers carry no valid context" })
}

/** Steps 3-5 of SPEC §4.2: diff against the prior, refuse another trace, choose the anchor. */
const decide = (
  injected: Headers.Headers,
  { prior, unanchored, highestN }: Prior,
  options: { readonly linked?: boolean | undefined; readonly invocation?: number | undefined }
): Decision => {
  const context =
    options.linked === true && Option.isSome(prior)
      ? TraceMode.linkedCheckpoint(prior.value.headers, injected)
      : injected
  // The number is not volatile (§4.3): a new invocation's number makes its save write (SPEC §11). Kept in canonical
  // form, so the diff and the anchoring below slice rather than parse.
  const current = canonical(DurableMember.withInvocation(context, Option.fromNullishOr(options.invocation)))
  if (Option.isSome(prior)) {
    if (isUnchanged(prior.value, current, highestN)) return { _tag: "Unchanged", prior: prior.value.n }
    if (!isSameTrace(prior.value.headers, current)) {
      return new DurableTraceError({
        location: "resolve_parent_id",
        reason: "context is another trace than the checkpoint's",
        identifiers: { n: prior.value.n }
      })
    }
    return Option.match(Headers.parentId(prior.value.headers), {
      onSome: (anchor): Decision => ({ _tag: "Write", current, anchor }),
      onNone: () =>
        new DurableTraceError({
          location: "resolve_parent_id",
          reason: "prior checkpoint has no parent id",
          identifiers: { n: prior.value.n }
        })
    })
  }
  // The execution was anchored once, but its anchor is unreadable. Inventing a new one from this span would
  // re-parent the rest of the trace (SPEC §4.4).
  if (unanchored) {
    return new DurableTraceError({ location: "resolve_parent_id", reason: "checkpoint anchor is malformed" })
  }
  return { _tag: "Write", current, anchor: undefined }
}

/** `headers` in canonical form (`Headers.fromTracer`), as they are when they have none (the diff then parses them). */
const canonical = (headers: Headers.Headers): Headers.Headers =>
  Option.getOrElse(Headers.fromTracer(headers), () => headers)

/**
 * Step 5's payload: `current` under `anchor`, as every reader accepts it (SPEC §4.6: its size included). durabletrace's
 * member is the part to give up when the payload would not fit (the number is then unknown, SPEC §11); a payload
 * that does not fit even without it is not written.
 */
const payloadOf = (current: Headers.Headers, anchor: string): Headers.Headers | DurableTraceError => {
  const fits = (headers: Headers.Headers) => Option.getOrUndefined(Headers.fromTracer(Headers.anchor(headers, anchor)))
  return (
    fits(current) ??
    fits(DurableMember.without(current)) ??
    new DurableTraceError({ location: "write_checkpoint", reason: "checkpoint over the size limit" })
  )
}

/** Step 6: the checkpoint `n` of `payload` (anchored to `anchor`), as the update to send. */
const checkpointOf = (
  executionArn: string,
  payload: Headers.Headers,
  anchor: string,
  n: number
): PreparedCheckpoint => {
  const name = Checkpoint.checkpointName(n)
  const json = JSON.stringify(payload)
  // The next invocation reads this payload back: it need not validate what was just validated.
  Headers.rememberJson(json, payload)
  const update: CheckpointUpdate = {
    Id: Checkpoint.checkpointOperationId(name, executionArn),
    Type: "STEP",
    SubType: "Step",
    Action: "SUCCEED",
    Name: name,
    Payload: json
  }
  return { n, name, anchor, payload, update }
}

/**
 * Whether an invocation offers a checkpoint to the SDK's next outgoing batch (SPEC §4.1, §11): once per
 * invocation, on a log that needs no paging, and either the execution's first checkpoint (none written yet) or a
 * resumed invocation's numbered one (its number known: without it the suspend has nothing new to say).
 */
export const offersEarly = (input: {
  /** Whether this invocation offered one already. */
  readonly offered: boolean
  readonly paged: boolean
  /** The highest `_datadog_{N}` of the state; -1 when there is none. */
  readonly highestN: number
  readonly invocation: number | undefined
}): boolean => !input.offered && !input.paged && (input.highestN < 0 || input.invocation !== undefined)

/** `prepare`'s result. */
export type Prepared = PreparedCheckpoint | { readonly _tag: "Unchanged"; readonly prior: number }

/** Options of `prepare`. */
export interface PrepareOptions {
  readonly log: CheckpointLog.CheckpointLog
  readonly executeSpan: Span
  readonly linked?: boolean | undefined
  /** This invocation's number, carried in the checkpoint's `durabletrace` member (SPEC §11). */
  readonly invocation?: number | undefined
}

const isError = (value: unknown): value is DurableTraceError => value instanceof DurableTraceError

/**
 * Steps 1-6 of SPEC §4.2 without the write: inject, allowlist, prior, diff, anchor, allocate. `Unchanged` when
 * the latest checkpoint already says the same; otherwise the update to send. Whoever sends it must then call
 * `log.recordWrite(n, payload)`, so later saves diff against it (`save` does both). A settled log is decided
 * synchronously (`prepareSettled`); only a paged one runs the Effect that fetches the rest of the state.
 */
export const prepare = (options: PrepareOptions): Effect.Effect<Prepared, DurableTraceError, TracePropagation> =>
  Effect.flatMap(Effect.service(TracePropagation), (propagation) => {
    const settled = prepareSettled(options, propagation)
    if (settled !== undefined) return isError(settled) ? Effect.fail(settled) : Effect.succeed(settled)
    return preparePaged(options, propagation)
  })

/** The injection of `span`, a throw counted as an inject failure rather than an `unknown` one. */
const injectedExit = (propagation: TracePropagation["Service"], span: Span): Headers.Headers | DurableTraceError => {
  const exit = SyncPort.exitOf(() => propagation.inject(span))
  if (Exit.isSuccess(exit)) return validInjected(exit.value)
  return SyncPort.failureAt(exit.cause, "inject")
}

/**
 * `prepare` on a settled log (`CheckpointLog.settledFace`), without running an Effect: the decision, or its
 * failure; `undefined` for a log that is not settled.
 */
export const prepareSettled = (
  options: PrepareOptions,
  propagation: TracePropagation["Service"]
): Prepared | DurableTraceError | undefined => {
  const face = CheckpointLog.settledFace(options.log)
  if (face === undefined) return undefined
  const injected = injectedExit(propagation, options.executeSpan)
  if (isError(injected)) return injected
  const written = face.lastWrite()
  const prior: Prior = Option.isSome(written)
    ? { prior: written, unanchored: false, highestN: written.value.n }
    : scanPrior(face.scan)
  const decision = decide(injected, prior, options)
  if (isError(decision) || decision._tag === "Unchanged") return decision
  let anchor = decision.anchor
  if (anchor === undefined) {
    const id = SyncPort.exitOf(() => propagation.spanId(options.executeSpan))
    if (Exit.isFailure(id)) return SyncPort.failureAt(id.cause, "unknown")
    anchor = id.value
  }
  const payload = payloadOf(decision.current, anchor)
  if (isError(payload)) return payload
  const n = face.allocate()
  return isError(n) ? n : checkpointOf(options.log.executionArn, payload, anchor, n)
}

const preparePaged = (
  options: PrepareOptions,
  propagation: TracePropagation["Service"]
): Effect.Effect<Prepared, DurableTraceError> =>
  Effect.gen(function* () {
    const { log, executeSpan } = options
    const injected = injectedExit(propagation, executeSpan)
    if (isError(injected)) return yield* injected
    const decision = decide(injected, yield* priorOf(log), options)
    if (isError(decision)) return yield* decision
    if (decision._tag === "Unchanged") return decision
    const anchor = decision.anchor ?? (yield* propagation.spanId(executeSpan))
    const payload = payloadOf(decision.current, anchor)
    if (isError(payload)) return yield* payload
    return checkpointOf(log.executionArn, payload, anchor, yield* log.allocate)
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
      "_tag" in prepared ? Effect.succeed(prepared) : send(options.log, prepared, options.timeout)
    )
  }
  const program = Effect.flatMap(decided, (prepared) =>
    "_tag" in prepared ? Effect.succeed(prepared) : write(options.log, prepared)
  )
  return timeoutAt(program, "write_checkpoint", options.timeout)
}

/** Sends a prepared checkpoint and records it as this invocation's last write: a save's one I/O, within `timeout`. */
export const send = (
  log: CheckpointLog.CheckpointLog,
  prepared: PreparedCheckpoint,
  timeout?: Duration.Input | undefined
): Effect.Effect<SaveOutcome, DurableTraceError, CheckpointStore> =>
  timeoutAt(write(log, prepared), "write_checkpoint", timeout)

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
