/**
 * Which invocation of its execution an invocation is (SPEC §11), counted through the checkpoints: each checkpoint
 * carries the number of the invocation that wrote it (`DurableMember`, `n:<k>`), and an invocation's number is the
 * latest valid checkpoint's number plus one; 1 for the invocation that starts the execution. So what is counted is
 * the first invocation, each later one whose checkpoint was written, and the one reading: an invocation that
 * crashed or timed out before its checkpoint was written (or whose write failed) is not counted, and a checkpoint
 * without a number (Datadog's, an older durable-trace's, or one without `traceparent`) makes the number unknown
 * from there on. The execution span's `aws.durable.invocation_count` is the number of the invocation that ends the
 * execution, set only when known.
 */
import * as Option from "effect/Option"
import type * as Checkpoint from "./Checkpoint.ts"
import * as DurableMember from "./DurableMember.ts"
import type * as Headers from "./Headers.ts"

/** The `aws.lambda` tag of an invocation's number. */
export const NUMBER_TAG = "aws.durable.invocation_number"

/** The execution span's tag of the number of invocations. */
export const COUNT_TAG = "aws.durable.invocation_count"

/**
 * This invocation's number: 1 when it starts the execution (the SDK replays no operation into it: nothing ran
 * before), else the number `prior` (the latest valid checkpoint) carries plus one; none when there is no prior, it
 * carries no number, or it is `shadowed`: a `_datadog_{N}` above it that no reader accepts may have been a later
 * invocation's, so counting from the older one would guess.
 */
export const current = (input: {
  /** Whether the invocation starts the execution (`InvocationInfo.isFirstInvocation`). */
  readonly first: boolean
  readonly prior: Option.Option<Headers.Headers>
  /** Whether a checkpoint above `prior` was rejected: it may have been a later invocation's. */
  readonly shadowed?: boolean | undefined
}): Option.Option<number> => {
  if (input.first) return Option.some(1)
  if (input.shadowed === true) return Option.none()
  return Option.filter(
    Option.map(Option.flatMap(input.prior, DurableMember.invocationOf), (n) => n + 1),
    DurableMember.isInvocationNumber
  )
}

/**
 * `current` over a scan of the whole state: its latest valid checkpoint, shadowed when a checkpoint above it was
 * rejected (a checkpoint's id, a payload no reader continues); no scan (no checkpoint view) counts only a first
 * invocation.
 */
export const ofScan = (first: boolean, scan: Checkpoint.CheckpointScan | undefined): Option.Option<number> =>
  current({
    first,
    prior: scan === undefined ? Option.none() : Option.map(scan.latest, (latest) => latest.headers),
    // A user's step named like a checkpoint (not a checkpoint id) was no invocation's: it shadows nothing.
    shadowed:
      scan !== undefined &&
      Option.isSome(scan.latest) &&
      scan.rejected.some((rejected) => rejected.reason !== "not a checkpoint id")
  })

/** The tag of an invocation's number, where known (nothing otherwise). */
export const numberTags = (n: number | undefined): Readonly<Record<string, number>> =>
  n === undefined ? {} : { [NUMBER_TAG]: n }
