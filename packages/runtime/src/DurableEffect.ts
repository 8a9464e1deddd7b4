/**
 * The Effect-native API: a durable Lambda handler whose body is an Effect, and the SDK's whole durable context as
 * Effects (steps, waits, callbacks, conditions, map, parallel, child contexts, invokes, combinators), each running
 * with the caller's services inside the durable spans of whichever backend is chosen. Values and typed errors
 * cross the durable boundary through Schemas (`success`, `error`), so a replay returns what the first run did.
 * Replays re-run the handler from the top: keep side effects inside `step`. The runtime (your layer plus the
 * backend) is built once per container; the durable context is provided per invocation, never held in it.
 */

import { AsyncLocalStorage } from "node:async_hooks"
import {
  type BatchResult,
  type CompletionConfig,
  type DurableLambdaHandler,
  DurableOperationError,
  type NestingType,
  type RetryDecision,
  retryPresets,
  type DurableContext as SdkDurableContext,
  type Duration as SdkDuration,
  type Serdes,
  StepError,
  type StepSemantics,
  type WaitForConditionDecision
} from "@aws/durable-execution-sdk-js"
import type { BackendLayer } from "@durable-trace/adapters/Backend"
import * as EffectTracer from "@durable-trace/adapters/EffectTracer"
import * as Cause from "effect/Cause"
import type * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as Tracer from "effect/Tracer"
import * as ConfigEffect from "./ConfigEffect.ts"
import { type DurableSchema, fromSchema, json, Undecodable } from "./DurableSerdes.ts"
import { withTraceContext } from "./Invoke.ts"
import { onShutdown } from "./Shutdown.ts"
import { type WithDurableTracingOptions, withDurableTracing } from "./withDurableTracing.ts"

export type { DurableSchema } from "./DurableSerdes.ts"

/** The SDK's durable context of the current invocation (inside a child context, map item or branch: its own). */
export class DurableContext extends Context.Service<DurableContext, SdkDurableContext>()(
  "@durable-trace/runtime/DurableContext"
) {}

/** Aborted when the invocation returns, so bodies still running (a race's losers) end with it. */
const InvocationSignal = Context.Reference<AbortSignal>("@durable-trace/runtime/DurableEffect/InvocationSignal", {
  defaultValue: () => new AbortController().signal
})

// ---------------------------------------------------------------------------------------------------------------
// Errors

/**
 * A durable operation failed in a way no error Schema of yours describes: a typed failure of an operation given
 * no `error` schema (on the first run too, so that replays agree), a defect, a callback failed or timed out from
 * outside, an invoked function failed. `cause` is the SDK's error (`StepError`, `CallbackError`,
 * `ChildContextError`, `InvokeError`, ...), with the failure's message.
 */
export class DurableOperationFailure extends Data.TaggedError("DurableOperationFailure")<{
  readonly operation: string
  readonly cause: Error
}> {
  override get message(): string {
    return `${this.operation}: ${this.cause.message}`
  }
}

/**
 * A value or error did not cross the durable boundary: `Encode`, a result its own `success` schema refuses
 * (never retried, it would be refused again); `Decode`, stored data the schema no longer accepts (the code changed
 * between invocations). Checkpointed like any typed failure, so it is the same on every replay.
 */
export class DurableSchemaError extends Schema.TaggedError<DurableSchemaError>()("DurableSchemaError", {
  operation: Schema.String,
  reason: Schema.Literals(["Encode", "Decode"]),
  message: Schema.String
}) {}

/** A workflow did not finish before its durable `timeout`. */
export class DurableTimeoutError extends Data.TaggedError("DurableTimeoutError")<{
  readonly operation: string
  readonly duration: SdkDuration
}> {
  override get message(): string {
    return `${this.operation}: timed out after ${JSON.stringify(this.duration)}`
  }
}

/** What any durable operation may fail with besides your own errors. */
export type DurableError = DurableOperationFailure | DurableSchemaError

/**
 * A typed failure handed to the SDK: a `StepError`, so the SDK checkpoints its `errorData` (the failure encoded
 * with the operation's `error` schema), that still holds the failure for this invocation's retry decision.
 */
class EffectFailure extends StepError {
  readonly failure: unknown
  constructor(failure: unknown, errorData: string | undefined) {
    super(describe(failure), undefined, errorData)
    this.failure = failure
  }
}

const describe = (failure: unknown): string => {
  if (failure instanceof Error && failure.message.length > 0) return failure.message
  if (typeof failure === "object" && failure !== null && typeof (failure as { _tag?: unknown })._tag === "string") {
    return (failure as { readonly _tag: string })._tag
  }
  return String(failure)
}

/** The `errorData` of an SDK error or of the first error in its cause chain that has one. */
const errorDataOf = (error: unknown): string | undefined => {
  let node: unknown = error
  for (let depth = 0; depth < 10 && node instanceof Error; depth++) {
    if (node instanceof DurableOperationError && typeof node.errorData === "string") return node.errorData
    node = node.cause
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------------------------
// The boundary: schemas of one operation

/** Schemas of an operation's result and typed failure. */
export interface Boundary<A, E> {
  /** Encodes the result when checkpointed and decodes it on replay. Without: the SDK's JSON. */
  readonly success?: DurableSchema<A> | undefined
  /**
   * Encodes a typed failure into the checkpoint and decodes it on replay, so the workflow fails with the same
   * typed error on every run. Without: typed failures reach the workflow as `DurableOperationFailure`.
   */
  readonly error?: DurableSchema<E> | undefined
}

/** Your errors in `E`, without the durable ones an operation inside added. */
export type UserError<E> = Exclude<E, DurableError | DurableTimeoutError>

/** An operation's error channel: your errors when you gave an `error` schema, the durable errors always. */
export type ErrorOf<O, E> = O extends { readonly error: DurableSchema<infer _> }
  ? UserError<E> | DurableError
  : DurableError

const DurableSchemaErrorJson = json(DurableSchemaError)

const makeBoundary = (operation: string, boundary: Boundary<unknown, unknown> | undefined) => {
  const success = boundary?.success
  const error = boundary?.error
  const encodeSuccess = success === undefined ? undefined : Schema.encodeResult(json(success))
  const errorJson = error === undefined ? undefined : json(error)
  const encodeError = errorJson === undefined ? undefined : Schema.encodeResult(errorJson)
  const decodeError = errorJson === undefined ? undefined : Schema.decodeUnknownResult(errorJson)
  const decodeSchemaError = Schema.decodeUnknownResult(DurableSchemaErrorJson)
  const typedFailure = (sdkError: unknown): unknown => {
    const data = errorDataOf(sdkError)
    if (data !== undefined) {
      const schemaError = decodeSchemaError(data)
      if (Result.isSuccess(schemaError)) return schemaError.success
      if (decodeError !== undefined) {
        const decoded = decodeError(data)
        return Result.isSuccess(decoded)
          ? decoded.success
          : new DurableSchemaError({ operation, reason: "Decode", message: decoded.failure.message })
      }
    }
    const cause = sdkError instanceof Error ? sdkError : new Error(String(sdkError))
    return new DurableOperationFailure({ operation, cause })
  }
  return {
    typedFailure,
    serdes: success === undefined ? undefined : fromSchema(success),
    /** The body, its result checked against `success` before the SDK checkpoints it. */
    body: <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | DurableSchemaError, R> =>
      encodeSuccess === undefined
        ? effect
        : Effect.tap(effect, (value) => {
            const encoded = encodeSuccess(value)
            return Result.isSuccess(encoded)
              ? Effect.void
              : Effect.fail(new DurableSchemaError({ operation, reason: "Encode", message: encoded.failure.message }))
          }),
    /** A failure's `errorData`: encoded with `error`, or the durable-trace schema error itself. */
    errorData: (failure: unknown): string | undefined => {
      if (failure instanceof DurableSchemaError) return Schema.encodeSync(DurableSchemaErrorJson)(failure)
      if (encodeError === undefined) return undefined
      const encoded = encodeError(failure)
      return Result.isSuccess(encoded) ? encoded.success : undefined
    },
    /** The SDK's error back as the workflow's typed failure. */
    failure: (sdkError: unknown): Effect.Effect<never, unknown> => Effect.fail(typedFailure(sdkError)),
    /** A deserialized value, or the schema error of stored data its schema refused. */
    decoded: <A>(value: A): Effect.Effect<A, DurableSchemaError> =>
      value instanceof Undecodable
        ? Effect.fail(new DurableSchemaError({ operation, reason: "Decode", message: value.message }))
        : Effect.succeed(value)
  }
}

type Boundaries = ReturnType<typeof makeBoundary>

/** The Error the SDK records for a body's failure. */
const toSdkError = (cause: Cause.Cause<unknown>, boundary: Boundaries): Error => {
  const failure = Cause.findErrorOption(cause)
  if (Option.isSome(failure)) {
    // An operation inside failed untyped: its SDK error goes on as it came.
    if (failure.value instanceof DurableOperationFailure) return failure.value.cause
    return new EffectFailure(failure.value, boundary.errorData(failure.value))
  }
  const squashed = Cause.squash(cause)
  return squashed instanceof Error ? squashed : new Error(String(squashed))
}

/** The caller's services, to run bodies the SDK calls back with. */
interface Caller {
  readonly services: Context.Context<never>
  readonly signal: AbortSignal
  /** Bodies still running, awaited when the operation is interrupted so their finalizers run first. */
  readonly running: Set<Promise<unknown>>
}

/**
 * Runs `effect` as the body of a durable operation, for the SDK: with the caller's services (but not its parent
 * span, so spans inside nest under the operation's span, which the backend has active), `durable` as the context
 * when it is a child's, interrupted when the operation or the invocation is. Its failure becomes the SDK's error.
 */
const runBody = <A, E, R>(
  caller: Caller,
  effect: Effect.Effect<A, E, R>,
  boundary: Boundaries,
  durable?: SdkDurableContext
): Promise<A> => {
  const services = durable === undefined ? caller.services : Context.add(caller.services, DurableContext, durable)
  const running = Effect.runPromiseExitWith(services as Context.Context<R>)(effect, { signal: caller.signal })
  caller.running.add(running)
  return running.then((exit) => {
    caller.running.delete(running)
    if (Exit.isSuccess(exit)) return exit.value
    throw toSdkError(exit.cause, boundary)
  })
}

/**
 * A durable operation as an Effect: `start` calls the SDK with the caller's services for its bodies; its error
 * becomes the workflow's typed failure, its value is checked for stored data that no longer decodes. Interrupted
 * (an invocation suspending), it interrupts its running bodies and waits for them, so scopes close inside out.
 */
const durableOperation = <A, E, R>(
  boundary: Boundaries,
  start: (durable: SdkDurableContext, caller: Caller) => PromiseLike<A>
): Effect.Effect<A, E, R | DurableContext> =>
  Effect.gen(function* () {
    const durable = yield* DurableContext
    const services = Context.omit(Tracer.ParentSpan)(yield* Effect.context<never>())
    const invocation = yield* InvocationSignal
    const value = yield* Effect.callback<A, unknown>((resume) => {
      const controller = new AbortController()
      const caller: Caller = { services, signal: AbortSignal.any([controller.signal, invocation]), running: new Set() }
      try {
        start(durable, caller).then(
          (value) => resume(Effect.succeed(value)),
          (error) => resume(Effect.fail(error))
        )
      } catch (error) {
        resume(Effect.fail(error))
      }
      return Effect.promise(() => {
        controller.abort()
        return Promise.allSettled(caller.running)
      })
    }).pipe(Effect.catch(boundary.failure))
    return yield* boundary.decoded(value)
  }) as Effect.Effect<A, E, R | DurableContext>

// ---------------------------------------------------------------------------------------------------------------
// Operations

/** Options of `step`. */
export interface StepOptions<A, E> extends Boundary<A, UserError<E>> {
  /** The SDK's retry strategy (`createRetryStrategy`, `retryPresets`). Default: `retryPresets.default`. */
  readonly retryStrategy?: ((error: Error, attemptCount: number) => RetryDecision) | undefined
  /** Decides from the typed failure whether to retry at all; the strategy then decides when. */
  readonly retryable?: ((failure: UserError<E>) => boolean) | undefined
  readonly semantics?: StepSemantics | undefined
}

/**
 * Runs `effect` as the durable step `name`: executed once (retried per the retry strategy), checkpointed, and
 * replayed from its stored result afterwards. It runs with the caller's services, inside the step's span.
 * Durable operations cannot run inside a step; group them with `runInChildContext`.
 */
export const step = <A, E, R, O extends StepOptions<A, E> = StepOptions<A, E>>(
  name: string,
  effect: Effect.Effect<A, E, R>,
  options?: O
): Effect.Effect<A, ErrorOf<O, E>, R | DurableContext> => {
  const boundary = makeBoundary(name, options)
  const strategy = options?.retryStrategy ?? retryPresets.default
  const retryable = options?.retryable
  const retryStrategy = (error: Error, attempt: number): RetryDecision => {
    if (error instanceof EffectFailure) {
      if (error.failure instanceof DurableSchemaError) return { shouldRetry: false }
      if (retryable !== undefined && !retryable(error.failure as UserError<E>)) return { shouldRetry: false }
    }
    return strategy(error, attempt)
  }
  return durableOperation(boundary, (durable, caller) =>
    durable.step(name, () => runBody(caller, boundary.body(effect), boundary), {
      retryStrategy,
      ...(options?.semantics === undefined ? {} : { semantics: options.semantics }),
      ...(boundary.serdes === undefined ? {} : { serdes: boundary.serdes as Serdes<A> })
    })
  )
}

/** Suspends the workflow for `duration` (the invocation ends; a later one resumes after it). */
export const wait = (name: string, duration: SdkDuration): Effect.Effect<void, DurableError, DurableContext> =>
  durableOperation(makeBoundary(name, undefined), (durable) => durable.wait(name, duration))

/** Options of `waitForCallback` and `createCallback`. */
export interface CallbackOptions<A, E> extends Boundary<A, E> {
  readonly timeout?: SdkDuration | undefined
  readonly heartbeatTimeout?: SdkDuration | undefined
}

type CallbackValue<O> = O extends { readonly success: DurableSchema<infer A> } ? A : string

const callbackConfig = (options: CallbackOptions<unknown, unknown> | undefined, boundary: Boundaries) => ({
  ...(options?.timeout === undefined ? {} : { timeout: options.timeout }),
  ...(options?.heartbeatTimeout === undefined ? {} : { heartbeatTimeout: options.heartbeatTimeout }),
  // The external system's payload is a JSON string: decoded with `success`, else the raw string (the SDK's).
  ...(boundary.serdes === undefined ? {} : { serdes: { deserialize: boundary.serdes.deserialize } })
})

/**
 * Waits for an external system to complete a callback: `submit` (run once, as a durable step) hands the callback
 * id over; the workflow suspends until the callback succeeds (its payload, decoded with `success`), fails or
 * times out. `error` decodes the failure data the external system sent, and the submitter's typed failures.
 */
export const waitForCallback = <
  E,
  R,
  O extends CallbackOptions<unknown, UserError<E>> & {
    readonly retryStrategy?: ((error: Error, attemptCount: number) => RetryDecision) | undefined
  } = CallbackOptions<unknown, UserError<E>>
>(
  name: string,
  submit: (callbackId: string) => Effect.Effect<void, E, R>,
  options?: O
): Effect.Effect<CallbackValue<O>, ErrorOf<O, E>, R | DurableContext> => {
  const boundary = makeBoundary(name, options)
  return durableOperation(boundary, (durable, caller) =>
    durable.waitForCallback(name, (callbackId) => runBody(caller, submit(callbackId), boundary), {
      ...callbackConfig(options, boundary),
      ...(options?.retryStrategy === undefined ? {} : { retryStrategy: options.retryStrategy })
    })
  ) as Effect.Effect<CallbackValue<O>, ErrorOf<O, E>, R | DurableContext>
}

/**
 * Creates a callback for an external system to complete; returns the Effect that awaits it and its id. Send the
 * id (inside a `step`), then await: the workflow suspends until the callback completes.
 */
export const createCallback = <O extends CallbackOptions<unknown, unknown> = CallbackOptions<unknown, unknown>>(
  name: string,
  options?: O
): Effect.Effect<
  readonly [Effect.Effect<CallbackValue<O>, DurableError | UserErrorOf<O>>, string],
  DurableError,
  DurableContext
> => {
  const boundary = makeBoundary(name, options)
  return Effect.map(
    durableOperation(makeBoundary(name, undefined), (durable) =>
      durable.createCallback(name, callbackConfig(options, boundary))
    ),
    ([promise, callbackId]) =>
      [
        Effect.tryPromise({ try: () => promise, catch: (error) => error }).pipe(
          Effect.catch(boundary.failure),
          Effect.flatMap(boundary.decoded)
        ) as Effect.Effect<CallbackValue<O>, DurableError | UserErrorOf<O>>,
        callbackId
      ] as const
  )
}

type UserErrorOf<O> = O extends { readonly error: DurableSchema<infer E> } ? E : never

/** Options of `waitForCondition`. */
export interface WaitForConditionOptions<S, E> extends Boundary<S, E> {
  readonly initialState: S
  /** Decides from the state (and the 1-based attempt) whether to check again, and after how long. */
  readonly waitStrategy: (state: S, attempt: number) => WaitForConditionDecision
}

/**
 * Polls `check` durably: each check is checkpointed with the state it returns (encoded with `success`), and the
 * workflow suspends between checks for the delay `waitStrategy` decides. Returns the final state.
 */
export const waitForCondition = <S, E, R, O extends WaitForConditionOptions<S, UserError<E>>>(
  name: string,
  check: (state: S, attempt: number) => Effect.Effect<S, E, R>,
  options: O & WaitForConditionOptions<S, UserError<E>>
): Effect.Effect<S, ErrorOf<O, E>, R | DurableContext> => {
  const boundary = makeBoundary(name, options)
  return durableOperation(boundary, (durable, caller) =>
    durable.waitForCondition<S>(
      name,
      (state, context) =>
        runBody(
          caller,
          boundary.body(Effect.flatMap(boundary.decoded(state), (s) => check(s, context.attempt))),
          boundary
        ),
      {
        initialState: options.initialState,
        // A state that no longer decodes ends the polling; the result then fails with its schema error.
        waitStrategy: (state, attempt) =>
          state instanceof Undecodable ? { shouldContinue: false } : options.waitStrategy(state, attempt),
        ...(boundary.serdes === undefined ? {} : { serdes: boundary.serdes as Serdes<S> })
      }
    )
  )
}

/** Options of `runInChildContext`. */
export interface ChildOptions<A, E> extends Boundary<A, E> {
  readonly subType?: string | undefined
}

/**
 * Runs `effect` in the child context `name`: its durable operations are grouped under it (their own ids and
 * spans), and its result is checkpointed (with `success`) so a replay of a finished child skips its body.
 */
export const runInChildContext = <A, E, R, O extends ChildOptions<A, UserError<E>> = ChildOptions<A, UserError<E>>>(
  name: string,
  effect: Effect.Effect<A, E, R>,
  options?: O
): Effect.Effect<A, ErrorOf<O, E>, R | DurableContext> => {
  const boundary = makeBoundary(name, options)
  return durableOperation(boundary, (durable, caller) =>
    durable.runInChildContext(name, (child) => runBody(caller, boundary.body(effect), boundary, child), {
      ...(options?.subType === undefined ? {} : { subType: options.subType }),
      ...(boundary.serdes === undefined ? {} : { serdes: boundary.serdes as Serdes<A> })
    })
  )
}

/** Options of `map` and `parallel`: `success` is each item's schema, `error` each item's. */
export interface BatchOptions<B, E> extends Boundary<B, E> {
  readonly maxConcurrency?: number | undefined
  readonly completionConfig?: CompletionConfig | undefined
  readonly nesting?: NestingType | undefined
}

/** Item errors as the SDK's batch serdes stores them: `ErrorObject`s with their causes. */
interface StoredError {
  readonly ErrorType?: string | undefined
  readonly ErrorMessage?: string | undefined
  readonly ErrorData?: string | undefined
  readonly Cause?: StoredError | undefined
}

const storeError = (error: Error): StoredError => ({
  ...(error instanceof DurableOperationError
    ? error.toErrorObject()
    : { ErrorType: error.name, ErrorMessage: error.message }),
  ...(error.cause instanceof Error ? { Cause: storeError(error.cause) } : {})
})

/**
 * The batch's own checkpoint, its items encoded with their schema (the SDK's would `JSON.stringify` them, and a
 * replay of the finished batch would return the raw JSON). Errors are stored as the SDK stores them, and the SDK
 * restores its `BatchResult` from what this returns.
 */
const batchSerdes = <B>(item: Serdes<B>): Serdes<BatchResult<B>> => ({
  serialize: async (value, context) =>
    value === undefined
      ? undefined
      : JSON.stringify({
          completionReason: value.completionReason,
          all: await Promise.all(
            value.all.map(async (entry) => ({
              index: entry.index,
              status: entry.status,
              result:
                entry.result === undefined || entry.result instanceof Undecodable
                  ? undefined
                  : await item.serialize(entry.result, context),
              error: entry.error === undefined ? undefined : storeError(entry.error)
            }))
          )
        }),
  deserialize: async (data, context) => {
    if (data === undefined) return undefined
    const stored = JSON.parse(data) as {
      readonly completionReason: string
      readonly all: ReadonlyArray<{ readonly result?: string }>
    }
    return {
      completionReason: stored.completionReason,
      all: await Promise.all(
        stored.all.map(async (entry) => ({
          ...entry,
          result: entry.result === undefined ? undefined : await item.deserialize(entry.result, context)
        }))
      )
    } as unknown as BatchResult<B>
  }
})

const batchConfig = <B>(options: BatchOptions<B, unknown> | undefined, boundary: Boundaries) => ({
  ...(options?.maxConcurrency === undefined ? {} : { maxConcurrency: options.maxConcurrency }),
  ...(options?.completionConfig === undefined ? {} : { completionConfig: options.completionConfig }),
  ...(options?.nesting === undefined ? {} : { nesting: options.nesting }),
  ...(boundary.serdes === undefined
    ? {}
    : { itemSerdes: boundary.serdes as Serdes<B>, serdes: batchSerdes(boundary.serdes as Serdes<B>) })
})

/** Fails with the schema error of the first item whose stored result no longer decodes. */
const decodedBatch = <B>(
  boundary: Boundaries,
  batch: BatchResult<B>
): Effect.Effect<BatchResult<B>, DurableSchemaError> =>
  Effect.as(
    Effect.forEach(batch.all, (entry) => boundary.decoded(entry.result), { discard: true }),
    batch
  )

/**
 * The typed failure an SDK error carries, decoded with `error`: for a `map` item's or `parallel` branch's `error`
 * (a `ChildContextError`), or any SDK error caught outside this API. Your error when its data decodes, else the
 * durable error it amounts to.
 *
 * @example
 * ```ts
 * const failures = batch.failed().map((item) => DurableEffect.failureOf("reserve", item.error, OutOfStock))
 * ```
 */
export const failureOf = <E>(operation: string, sdkError: Error, error: DurableSchema<E>): E | DurableError =>
  makeBoundary(operation, { error }).typedFailure(sdkError) as E | DurableError

/**
 * Runs `f` over `items` durably, each item in its own child context (at most `maxConcurrency` at once), and
 * returns the SDK's `BatchResult`: per item its result (decoded with `success`) or its error (a
 * `ChildContextError` whose `errorData` is the item's typed failure, encoded with `error`).
 */
export const map = <I, B, E, R>(
  name: string,
  items: ReadonlyArray<I>,
  f: (item: I, index: number) => Effect.Effect<B, E, R>,
  options?: BatchOptions<B, UserError<E>> & { readonly itemNamer?: ((item: I, index: number) => string) | undefined }
): Effect.Effect<BatchResult<B>, DurableError, R | DurableContext> => {
  const boundary = makeBoundary(name, options)
  return durableOperation<BatchResult<B>, DurableError, R>(boundary, (durable, caller) =>
    durable.map(
      name,
      [...items],
      (child, item, index) => runBody(caller, boundary.body(f(item, index)), boundary, child),
      {
        ...batchConfig(options, boundary),
        ...(options?.itemNamer === undefined ? {} : { itemNamer: options.itemNamer })
      }
    )
  ).pipe(Effect.flatMap((batch) => decodedBatch(boundary, batch)))
}

/** A branch of `parallel`: an Effect, or one with a name. */
export type Branch<B, E, R> =
  | Effect.Effect<B, E, R>
  | { readonly name: string; readonly effect: Effect.Effect<B, E, R> }

/** Runs `branches` durably and concurrently, each in its own child context; returns the SDK's `BatchResult`. */
export const parallel = <B, E, R>(
  name: string,
  branches: ReadonlyArray<Branch<B, E, R>>,
  options?: BatchOptions<B, UserError<E>>
): Effect.Effect<BatchResult<B>, DurableError, R | DurableContext> => {
  const boundary = makeBoundary(name, options)
  return durableOperation<BatchResult<B>, DurableError, R>(boundary, (durable, caller) =>
    durable.parallel<B>(
      name,
      branches.map((branch) => {
        const [branchName, effect] = Effect.isEffect(branch) ? [undefined, branch] : [branch.name, branch.effect]
        const func = (child: SdkDurableContext) => runBody(caller, boundary.body(effect), boundary, child)
        return branchName === undefined ? { func } : { name: branchName, func }
      }),
      batchConfig(options, boundary)
    )
  ).pipe(Effect.flatMap((batch) => decodedBatch(boundary, batch)))
}

/** Options of `invoke`. */
export interface InvokeOptions<I, O, E> extends Boundary<O, E> {
  /** Encodes the input. Without: the SDK's JSON. */
  readonly payload?: DurableSchema<I> | undefined
  readonly tenantId?: string | undefined
}

type InvokeResult<O> = O extends { readonly success: DurableSchema<infer A> } ? A : unknown

/**
 * Invokes the durable (or plain) function `funcId` with `input` and waits for its result; the workflow suspends
 * meanwhile. The invoked function's first invocation continues this trace (`withTraceContext`).
 */
export const invoke = <I, O extends InvokeOptions<I, unknown, unknown> = InvokeOptions<I, unknown, unknown>>(
  name: string,
  funcId: string,
  input: I,
  options?: O
): Effect.Effect<InvokeResult<O>, DurableError | UserErrorOf<O>, DurableContext> => {
  const boundary = makeBoundary(name, options)
  return durableOperation(boundary, (durable) =>
    durable.invoke(
      name,
      funcId,
      input,
      withTraceContext({
        ...(options?.payload === undefined ? {} : { payloadSerdes: fromSchema(options.payload) }),
        ...(boundary.serdes === undefined ? {} : { resultSerdes: boundary.serdes }),
        ...(options?.tenantId === undefined ? {} : { tenantId: options.tenantId })
      })
    )
  ) as Effect.Effect<InvokeResult<O>, DurableError | UserErrorOf<O>, DurableContext>
}

// ---------------------------------------------------------------------------------------------------------------
// Combinators: the SDK's `context.promise.*` over Effects

type Combinator = "all" | "allSettled" | "any" | "race"

/**
 * Starts `effects` (in order, so their operations get the same ids on every replay) and combines them with the
 * SDK's combinator, which checkpoints the combined outcome in a child context. Values cross it in their encoded
 * JSON form, decoded again with `success` afterwards: the SDK's combinators take no serdes.
 */
const combine = <A, E, R>(
  combinator: Combinator,
  name: string,
  effects: ReadonlyArray<Effect.Effect<A, E, R>>,
  boundary: Boundaries,
  success: DurableSchema<A> | undefined
) => {
  const codec = success === undefined ? undefined : Schema.toCodecJson(success)
  const encode = codec === undefined ? undefined : Schema.encodeSync(codec)
  const decode = codec === undefined ? undefined : Schema.decodeUnknownResult(codec)
  const decodeValue = (value: unknown): Effect.Effect<A, DurableSchemaError> => {
    if (decode === undefined) return Effect.succeed(value as A)
    const decoded = decode(value)
    return Result.isSuccess(decoded)
      ? Effect.succeed(decoded.success)
      : Effect.fail(new DurableSchemaError({ operation: name, reason: "Decode", message: decoded.failure.message }))
  }
  const started = durableOperation<unknown, unknown, R>(boundary, (durable, caller) => {
    const promises = effects.map((effect) => {
      const body = runBody<unknown, unknown, R>(
        caller,
        encode === undefined ? boundary.body(effect) : Effect.map(boundary.body(effect), (value) => encode(value)),
        boundary
      )
      // The SDK stores an `allSettled` rejection as its message only: settle each one here, its error stored whole.
      return combinator === "allSettled"
        ? body.then(
            (value): Settled => ({ value }),
            (error): Settled => ({ error: storeError(error instanceof Error ? error : new Error(String(error))) })
          )
        : body
    })
    // Typed as DurablePromises; the SDK awaits them as any promise.
    const combined = durable.promise[combinator] as (name: string, promises: never) => PromiseLike<unknown>
    return combined.call(durable.promise, name, promises as never)
  })
  return { started, decodeValue }
}

/** One `allSettled` outcome, as checkpointed. */
type Settled = { readonly value: unknown } | { readonly error: StoredError }

/** Options of the combinators: `success` and `error` are each effect's schemas. */
export type CombinatorOptions<A, E> = Boundary<A, E>

/** Runs `effects` concurrently as durable operations and returns all their results, or the first failure. */
export const all = <A, E, R, O extends CombinatorOptions<A, UserError<E>> = CombinatorOptions<A, UserError<E>>>(
  name: string,
  effects: ReadonlyArray<Effect.Effect<A, E, R>>,
  options?: O
): Effect.Effect<Array<A>, ErrorOf<O, E>, R | DurableContext> => {
  const boundary = makeBoundary(name, options)
  const { started, decodeValue } = combine("all", name, effects, boundary, options?.success)
  return Effect.flatMap(started, (values) => Effect.forEach(values as Array<unknown>, decodeValue)) as Effect.Effect<
    Array<A>,
    ErrorOf<O, E>,
    R | DurableContext
  >
}

/** Runs `effects` concurrently as durable operations and returns each one's outcome. */
export const allSettled = <A, E, R, O extends CombinatorOptions<A, UserError<E>> = CombinatorOptions<A, UserError<E>>>(
  name: string,
  effects: ReadonlyArray<Effect.Effect<A, E, R>>,
  options?: O
): Effect.Effect<Array<Result.Result<A, ErrorOf<O, E>>>, DurableError, R | DurableContext> => {
  const boundary = makeBoundary(name, options)
  const { started, decodeValue } = combine("allSettled", name, effects, boundary, options?.success)
  return Effect.flatMap(started, (settled) =>
    Effect.forEach(settled as Array<PromiseSettledResult<Settled>>, (outcome) => {
      const settled = outcome.status === "fulfilled" ? outcome.value : { error: storeError(outcome.reason as Error) }
      return Effect.result(
        "value" in settled
          ? decodeValue(settled.value)
          : boundary.failure(DurableOperationError.fromErrorObject(settled.error))
      )
    })
  ) as Effect.Effect<Array<Result.Result<A, ErrorOf<O, E>>>, DurableError, R | DurableContext>
}

// `any` and `race`: one value out of the combined promise, decoded the same way.
const firstOf =
  (combinator: "any" | "race") =>
  <A, E, R, O extends CombinatorOptions<A, UserError<E>> = CombinatorOptions<A, UserError<E>>>(
    name: string,
    effects: ReadonlyArray<Effect.Effect<A, E, R>>,
    options?: O
  ): Effect.Effect<A, ErrorOf<O, E>, R | DurableContext> => {
    const boundary = makeBoundary(name, options)
    const { started, decodeValue } = combine(combinator, name, effects, boundary, options?.success)
    return Effect.flatMap(started, decodeValue) as Effect.Effect<A, ErrorOf<O, E>, R | DurableContext>
  }

/** Runs `effects` concurrently as durable operations and returns the first success (fails if all fail). */
export const any = firstOf("any")

/** Runs `effects` concurrently as durable operations and returns the first to finish, success or failure. */
export const race = firstOf("race")

/**
 * A durable deadline for a workflow (or any part of it): a durable wait `name` races it, so the deadline survives
 * suspends and holds across invocations, unlike a timer that dies with one. The wait is created before `self`
 * runs, so it keeps its operation id on every replay. Fails with `DurableTimeoutError` when the wait wins.
 */
export const timeout: {
  (
    name: string,
    duration: SdkDuration
  ): <A, E, R>(
    self: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | DurableTimeoutError | DurableError, R | DurableContext>
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    name: string,
    duration: SdkDuration
  ): Effect.Effect<A, E | DurableTimeoutError | DurableError, R | DurableContext>
} = dual(
  3,
  <A, E, R>(
    self: Effect.Effect<A, E, R>,
    name: string,
    duration: SdkDuration
  ): Effect.Effect<A, E | DurableTimeoutError | DurableError, R | DurableContext> =>
    Effect.gen(function* () {
      const durable = yield* DurableContext
      const timer = durable.wait(name, duration)
      const elapsed = Effect.tryPromise({ try: () => timer, catch: (error) => error }).pipe(
        Effect.catch(makeBoundary(name, undefined).failure),
        Effect.andThen(Effect.fail(new DurableTimeoutError({ operation: name, duration })))
      ) as Effect.Effect<never, DurableTimeoutError | DurableError>
      return yield* Effect.raceFirst(self, elapsed)
    })
)

// ---------------------------------------------------------------------------------------------------------------
// The runtime: a Layer, and the handler

/** The durable runtime: durable-trace's settings and the tracer backend, as a service. */
export class DurableRuntime extends Context.Service<DurableRuntime, { readonly options: WithDurableTracingOptions }>()(
  "@durable-trace/runtime/DurableRuntime"
) {}

/** Options of `layer`: the backend, and settings given in code (they win over the Config ones). */
export interface LayerOptions extends Omit<WithDurableTracingOptions, "backend"> {
  /** The tracer backend. */
  readonly backend: BackendLayer
}

/**
 * The durable runtime as a Layer: settings read through Effect Config (the app's `ConfigProvider`, the environment
 * by default), the backend, and the Effect tracer over it so `Effect.withSpan` spans land in the durable trace.
 * Provide it with your services, then build the handler with `makeHandler`.
 */
export const layer = (options: LayerOptions): Layer.Layer<DurableRuntime, Config.ConfigError> => {
  const { backend, ...rest } = options
  return Layer.merge(
    Layer.effect(
      DurableRuntime,
      Effect.map(ConfigEffect.config, (settings) => ({
        options: {
          enabled: settings.enabled,
          service: settings.service,
          env: settings.env,
          writeTimeoutMillis: settings.writeTimeoutMillis,
          readTimeoutMillis: settings.readTimeoutMillis,
          deadlineMarginMillis: settings.deadlineMarginMillis,
          earlyCheckpoint: settings.earlyCheckpoint,
          traceMode: settings.traceMode,
          sampleRatio: settings.sampleRatio,
          ...definedOnly(rest),
          backend,
          handlerName: rest.handlerName ?? "effect-handler"
        }
      }))
    ),
    EffectTracer.layerTracer.pipe(Layer.provide(backend))
  )
}

/**
 * The durable Lambda handler of `workflow`, built with the services of the Effect that builds it (your layer and
 * `layer(...)`): what a test runs on the local runner, and what `handler` exports. Each invocation's fiber is
 * interrupted when the invocation returns: on a suspend the SDK returns PENDING without awaiting the handler, and
 * the fiber would otherwise wait forever, its spans and scopes never ending.
 */
export const makeHandler = <TEvent, A, E, R>(
  workflow: (event: TEvent) => Effect.Effect<A, E, R | DurableContext>,
  options?: WorkflowOptions<UserError<E>>
): Effect.Effect<DurableLambdaHandler, never, DurableRuntime | Exclude<R, DurableContext>> =>
  Effect.gen(function* () {
    const runtime = yield* DurableRuntime
    const services = yield* Effect.context<Exclude<R, DurableContext>>()
    const invocation = new AsyncLocalStorage<AbortSignal>()
    const boundary = options?.error === undefined ? undefined : makeBoundary("workflow", { error: options.error })
    const traced = withDurableTracing<TEvent, A>(async (event, durable) => {
      const signal = invocation.getStore() ?? new AbortController().signal
      const exit = await Effect.runPromiseExitWith(services)(
        workflow(event).pipe(
          Effect.provideService(DurableContext, durable),
          Effect.provideService(InvocationSignal, signal)
        ) as Effect.Effect<A, E, Exclude<R, DurableContext>>,
        { signal }
      )
      if (Exit.isSuccess(exit)) return exit.value
      // With an error schema, the execution's error carries the failure encoded: an `invoke` of this function
      // decodes it with the same schema. Without, it fails as a thrown error would.
      throw boundary === undefined ? Cause.squash(exit.cause) : toSdkError(exit.cause, boundary)
    }, runtime.options)
    return async (event, context) => {
      const controller = new AbortController()
      try {
        return await invocation.run(controller.signal, () => traced(event, context))
      } finally {
        controller.abort()
      }
    }
  })

/** Options of a workflow. */
export interface WorkflowOptions<E> {
  /**
   * Encodes the workflow's typed failure into the execution's error, so a workflow that `invoke`s this one
   * (with the same `error` schema) fails with the same tagged error.
   */
  readonly error?: DurableSchema<E> | undefined
}

/** Options of `handler`. */
export interface HandlerOptions<TEvent, A, E, R> extends Omit<WithDurableTracingOptions, "backend"> {
  /** The workflow. Typed failures fail the execution. */
  readonly handler: (event: TEvent) => Effect.Effect<A, E, R | DurableContext>
  /** Your services. */
  readonly layer: Layer.Layer<R>
  /** The tracer backend. */
  readonly backend: BackendLayer
  /** Where durable-trace's settings come from (`ConfigEffect.config`). Default: the environment. */
  readonly configProvider?: ConfigProvider.ConfigProvider | undefined
  /** Encodes the workflow's typed failure into the execution's error (see `WorkflowOptions`). */
  readonly error?: DurableSchema<UserError<E>> | undefined
}

/**
 * A durable Lambda handler from an Effect workflow.
 *
 * @example
 * ```ts
 * import * as DurableEffect from "@durable-trace/runtime/DurableEffect"
 *
 * export const handler = DurableEffect.handler({
 *   backend: OpenTelemetry.layer,
 *   layer: Payments.layer,
 *   handler: (order: Order) =>
 *     Effect.gen(function* () {
 *       const payments = yield* Payments
 *       yield* DurableEffect.step("charge", payments.charge(order), { error: PaymentDeclined })
 *       yield* DurableEffect.wait("settle", { seconds: 30 })
 *       return yield* DurableEffect.step("ship", ship(order), { success: Shipment })
 *     }).pipe(Effect.withSpan("order.workflow"))
 * })
 * ```
 */
export const handler = <TEvent, A, E, R>(options: HandlerOptions<TEvent, A, E, R>): DurableLambdaHandler => {
  const { handler: workflow, layer: services, backend, configProvider, error, ...rest } = options
  const durable = layer({ ...rest, backend }).pipe(
    Layer.provide(ConfigProvider.layer(configProvider ?? ConfigProvider.fromEnv()))
  )
  const runtime = ManagedRuntime.make(Layer.mergeAll(services, durable))
  // Finalizers run on SIGTERM, within a bound; then the signal takes its course (Shutdown.ts).
  onShutdown(() => runtime.dispose())
  let made: Promise<DurableLambdaHandler> | undefined
  return async (event, context) => {
    made ??= runtime.runPromise(makeHandler(workflow, { error }))
    return (await made)(event, context)
  }
}

const definedOnly = <A extends object>(value: A): Partial<A> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<A>
