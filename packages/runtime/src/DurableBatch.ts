/**
 * The SDK's batches as Effects: `map` over items and `parallel` branches, each item in its own child context, its
 * result encoded with the item schema in the batch's own checkpoint, so a replay of a finished batch returns
 * decoded values; and `failureOf`, the typed failure an item's error carries.
 */
import type {
  BatchResult,
  CompletionConfig,
  NestingType,
  DurableContext as SdkDurableContext,
  Serdes
} from "@aws/durable-execution-sdk-js"
import * as Effect from "effect/Effect"
import {
  type Boundaries,
  type Boundary,
  type DurableContext,
  durableOperation,
  makeBoundary,
  runBody,
  type UserError
} from "./DurableBoundary.ts"
import { type DurableError, type DurableSchemaError, storeError } from "./DurableErrors.ts"
import { type DurableSchema, Undecodable } from "./DurableSerdes.ts"

/** Options of `map` and `parallel`: `success` is each item's schema, `error` each item's. */
export interface BatchOptions<B, E> extends Boundary<B, E> {
  readonly maxConcurrency?: number | undefined
  readonly completionConfig?: CompletionConfig | undefined
  readonly nesting?: NestingType | undefined
}

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
