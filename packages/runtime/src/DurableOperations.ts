/**
 * The SDK's durable operations as Effects: steps, waits, callbacks, conditions, child contexts and invokes. Each runs
 * its body with the caller's services inside the operation's span, and crosses the durable boundary through its
 * schemas, so a replay returns what the first run did.
 */
import {
  type RetryDecision,
  retryPresets,
  type Duration as SdkDuration,
  type Serdes,
  type StepSemantics,
  type WaitForConditionDecision
} from "@aws/durable-execution-sdk-js"
import * as Effect from "effect/Effect"
import {
  type Boundaries,
  type Boundary,
  type DurableContext,
  durableOperation,
  type ErrorOf,
  makeBoundary,
  runBody,
  type UserError,
  type UserErrorOf
} from "./DurableBoundary.ts"
import { type DurableError, DurableSchemaError, EffectFailure } from "./DurableErrors.ts"
import { type DurableSchema, fromSchema, Undecodable } from "./DurableSerdes.ts"
import { withTraceContext } from "./Invoke.ts"

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
