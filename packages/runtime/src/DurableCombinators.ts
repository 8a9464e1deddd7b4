/**
 * The SDK's combinators (`context.promise.*`) over Effects, and a durable deadline: the outcome is checkpointed in
 * a child context, so a replay combines the same way. Effects start in order, so their operations keep their ids.
 */
import { DurableOperationError, type Duration as SdkDuration } from "@aws/durable-execution-sdk-js"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"
import {
  type Boundaries,
  type Boundary,
  DurableContext,
  durableOperation,
  type ErrorOf,
  makeBoundary,
  runBody,
  type UserError
} from "./DurableBoundary.ts"
import {
  type DurableError,
  DurableSchemaError,
  DurableTimeoutError,
  type StoredError,
  storeError
} from "./DurableErrors.ts"
import type { DurableSchema } from "./DurableSerdes.ts"

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
