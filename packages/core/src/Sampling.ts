/**
 * Whole-execution sampling (SPEC §11): an execution is kept or dropped as a whole, across all its invocations.
 * The decision is made once, where durable-trace starts the execution's trace, and then travels with it: in the
 * checkpoint (dd-trace's sampling priority, W3C's sampled flag) in continuous mode, and into each invocation's
 * own root in linked mode. A ratio samples by execution: the decision is a pure function of the execution ARN,
 * so every invocation (and every process) that computes it agrees. Gotcha: a context the execution continues
 * (a caller's, a checkpoint's) already carries a decision, which wins over the ratio.
 */
import * as Option from "effect/Option"
import * as DatadogHeaders from "./DatadogHeaders.ts"
import type * as Headers from "./Headers.ts"
import * as Traceparent from "./Traceparent.ts"

/** Datadog's sampling priorities durable-trace sets: an explicit user decision, as `manual.keep` / `manual.drop`. */
export const USER_KEEP = 2
export const USER_REJECT = -1

/** A sampling ratio in [0, 1] from its text; anything else (out of range, not a number) is none. */
export const parseRatio = (value: unknown): Option.Option<number> => {
  const ratio =
    typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : Number.NaN
  return Number.isFinite(ratio) && ratio >= 0 && ratio <= 1 ? Option.some(ratio) : Option.none()
}

/**
 * FNV-1a (32 bit) of the ARN's UTF-16 code units, mapped to [0, 1): the execution's position on the ratio scale.
 * Not cryptographic, only well spread: ARNs of one function differ in their last segment.
 */
export const executionPoint = (executionArn: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < executionArn.length; i++) {
    hash ^= executionArn.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash / 0x1_0000_0000
}

/**
 * Whether execution `executionArn` is kept at `ratio`: always at 1, never at 0, and at any ratio the same answer
 * for the same ARN. Monotone: an execution kept at some ratio is kept at every higher one.
 */
export const keep = (executionArn: string, ratio: number): boolean =>
  ratio >= 1 ? true : ratio <= 0 ? false : executionPoint(executionArn) < ratio

/** The priority of a decision durable-trace makes. */
export const priorityOf = (kept: boolean): number => (kept ? USER_KEEP : USER_REJECT)

/**
 * The decision a propagated context carries: Datadog's sampling priority (kept when above 0), else W3C's sampled
 * flag; none when the headers carry neither.
 */
export const decisionOf = (headers: Headers.Headers): Option.Option<boolean> => {
  const priority = DatadogHeaders.parseSamplingPriority(headers[DatadogHeaders.X_DATADOG_SAMPLING_PRIORITY])
  if (Option.isSome(priority)) return Option.some(priority.value > 0)
  return Option.map(
    Traceparent.parse(headers[Traceparent.TRACEPARENT]),
    (tp) => (Number.parseInt(tp.flags, 16) & 1) === 1
  )
}
