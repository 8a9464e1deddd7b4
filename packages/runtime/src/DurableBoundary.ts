/**
 * The boundary between Effects and the durable SDK: an operation's schemas (its result and typed failure, encoded
 * into checkpoints and decoded on replay), a body the SDK calls back run with the caller's services, and an SDK
 * call as an Effect that is interrupted with its invocation. Every `DurableEffect` operation is built from these.
 */
import type { DurableContext as SdkDurableContext } from "@aws/durable-execution-sdk-js"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import * as Tracer from "effect/Tracer"
import {
  type DurableError,
  DurableOperationFailure,
  DurableSchemaError,
  type DurableTimeoutError,
  EffectFailure,
  errorDataOf
} from "./DurableErrors.ts"
import { type DurableSchema, fromSchema, json, Undecodable } from "./DurableSerdes.ts"

/** The SDK's durable context of the current invocation (inside a child context, map item or branch: its own). */
export class DurableContext extends Context.Service<DurableContext, SdkDurableContext>()(
  "@durable-trace/runtime/DurableContext"
) {}

/** Aborted when the invocation returns, so bodies still running (a race's losers) end with it. */
export const InvocationSignal = Context.Reference<AbortSignal>(
  "@durable-trace/runtime/DurableEffect/InvocationSignal",
  {
    defaultValue: () => new AbortController().signal
  }
)

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

export const makeBoundary = (operation: string, boundary: Boundary<unknown, unknown> | undefined) => {
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

export type Boundaries = ReturnType<typeof makeBoundary>

/** The Error the SDK records for a body's failure. */
export const toSdkError = (cause: Cause.Cause<unknown>, boundary: Boundaries): Error => {
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
export interface Caller {
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
export const runBody = <A, E, R>(
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
export const durableOperation = <A, E, R>(
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

export type UserErrorOf<O> = O extends { readonly error: DurableSchema<infer E> } ? E : never
