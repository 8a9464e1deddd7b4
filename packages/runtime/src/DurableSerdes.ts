/**
 * Schemas at the durable boundary: an SDK `Serdes` from an Effect `Schema`, so a checkpointed value is stored in
 * its encoded JSON form and comes back decoded and checked (a `Date` as a `Date`, a `bigint` as a `bigint`, a
 * branded value re-validated). `DurableEffect` uses it for every operation given a `success` schema; plain SDK code
 * may pass it as any `serdes`. Gotcha: stored data the schema no longer accepts (the code changed between
 * invocations) deserializes to an `Undecodable` value instead of throwing, because the SDK ends the whole
 * execution on a throwing serdes; `DurableEffect` turns it into a typed `DurableSchemaError`.
 */
import type { Serdes } from "@aws/durable-execution-sdk-js"
import * as Data from "effect/Data"
import * as Result from "effect/Result"
import * as Schema from "effect/Schema"

/** A schema usable at the durable boundary: any type, any encoded form, no services to encode or decode. */
export type DurableSchema<A> = Schema.ConstraintCodec<A, unknown, never, never>

/** Stored data that its schema refused on deserialization, kept with the reason. */
export class Undecodable extends Data.Class<{ readonly data: string; readonly message: string }> {}

/** The JSON codec of `schema`: its canonical JSON form (`Schema.toCodecJson`) as a JSON string. */
export const json = <A>(schema: DurableSchema<A>) => Schema.fromJsonString(Schema.toCodecJson(schema))

/** A `Serdes` that encodes with `schema` when checkpointed and decodes with it when read back. */
export const fromSchema = <A>(schema: DurableSchema<A>): Serdes<A> => {
  const codec = json(schema)
  const encode = Schema.encodeSync(codec)
  const decode = Schema.decodeUnknownResult(codec)
  return {
    // An encoding failure throws, which the SDK treats as unrecoverable; `DurableEffect` checks the value first.
    serialize: async (value) => (value === undefined ? undefined : encode(value)),
    deserialize: async (data) => {
      if (data === undefined) return undefined
      const decoded = decode(data)
      return Result.isSuccess(decoded)
        ? decoded.success
        : (new Undecodable({ data, message: decoded.failure.message }) as unknown as A)
    }
  }
}
