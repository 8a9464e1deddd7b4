/**
 * Trace modes (SPEC §11): `continuous` puts every invocation of an execution in one trace, under the anchor (the
 * first invocation's execute span); `linked` gives each invocation its own trace, joined by span links to the
 * anchor and to the previous invocation, so a long execution never becomes one mega-trace. Checkpoints are the
 * same in both: the anchor's context, which Datadog's readers continue. Linked mode names the previous
 * invocation's execute span in durable-trace's W3C `tracestate` list member (`DurableMember`, which also carries
 * the invocation number in both modes); vendors pass foreign members through untouched,
 * so the payload stays what every Datadog reader accepts. Gotcha: a checkpoint without `traceparent` (Datadog
 * headers only) cannot carry the member: the previous invocation's link then points at the anchor.
 */
import * as Option from "effect/Option"
import * as DurableMember from "./DurableMember.ts"
import * as Headers from "./Headers.ts"
import * as Sampling from "./Sampling.ts"
import * as Traceparent from "./Traceparent.ts"

/** `traceMode` / `DURABLE_TRACE_MODE`. */
export type Mode = "continuous" | "linked"

/** Every mode; `continuous` is the default. */
export const MODES: ReadonlyArray<Mode> = ["continuous", "linked"]

/** A mode from its text (any case, trimmed); anything else is none, so the default applies. */
export const parseMode = (value: unknown): Option.Option<Mode> => {
  const normalized = typeof value === "string" ? value.trim().toLowerCase() : undefined
  return MODES.includes(normalized as Mode) ? Option.some(normalized as Mode) : Option.none()
}

/** The `tracestate` list-member key that names the previous invocation (`DurableMember`). */
export const PREVIOUS_MEMBER = DurableMember.KEY

/** A span by its ids: 32 and 16 lowercase hex. */
export type SpanRef = DurableMember.SpanRef

/** What a link says its target is. */
export type LinkRole = "anchor" | "previous"

/** A span link: its target, its role, and the target's sampling decision. */
export interface Link extends SpanRef {
  readonly role: LinkRole
  readonly sampled: boolean
}

/**
 * The span a context names: `traceparent`'s ids (the full 128-bit trace id), else Datadog's (whose high bits need
 * `_dd.p.tid`).
 */
const spanOf = (headers: Headers.Headers): Option.Option<SpanRef> => {
  const w3c = Traceparent.parse(headers[Traceparent.TRACEPARENT])
  if (Option.isSome(w3c)) return Option.some({ traceId: w3c.value.traceId, spanId: w3c.value.parentId })
  const traceId = Headers.traceIdHex(headers)
  const spanId = Headers.parentId(headers)
  return Option.isSome(traceId) && Option.isSome(spanId)
    ? Option.some({ traceId: traceId.value, spanId: spanId.value })
    : Option.none()
}

/** The previous invocation a checkpoint names, if it names one (its `durabletrace` member's `l` entry). */
export const previousOf = DurableMember.previousOf

/**
 * `headers` (a checkpoint's anchor context) naming `previous` as the previous invocation, in the `durabletrace`
 * member placed leftmost-after-`dd` in `tracestate` (created when absent), every other key untouched. Unchanged
 * when the headers carry no `traceparent` (a `tracestate` alone is not read by anyone) or `previous` is not valid ids.
 */
export const withPrevious = DurableMember.withPrevious

/**
 * The links of a linked-mode invocation that continues checkpoint `headers`: the anchor (the checkpoint's trace
 * and parent id) and the previous invocation (the member, else the anchor: the second invocation's previous is
 * the first, whose execute span is the anchor). Both carry the anchor's sampling decision. None when the
 * headers are no continuable context.
 */
export const linksOf = (headers: Headers.Headers, sampled: boolean): ReadonlyArray<Link> => {
  const span = spanOf(headers)
  if (Option.isNone(span)) return []
  const anchor: Link = { role: "anchor", ...span.value, sampled }
  const previous = Option.getOrElse(previousOf(headers), (): SpanRef => anchor)
  return [anchor, { role: "previous", traceId: previous.traceId, spanId: previous.spanId, sampled }]
}

/**
 * What a linked-mode invocation checkpoints, given the latest checkpoint (`prior`) and its own execute span's
 * injected context (`current`): the prior's anchor context, naming `current` the previous invocation. When
 * `current` is the prior's own trace (the first invocation, whose execute span is the anchor), `current` as it
 * is: continuous mode's save, which writes nothing new when nothing changed.
 */
export const linkedCheckpoint = (prior: Headers.Headers, current: Headers.Headers): Headers.Headers => {
  const self = spanOf(current)
  if (Option.isNone(self)) return current
  const priorTrace = Headers.traceIdHex(prior)
  if (Option.isSome(priorTrace) && priorTrace.value.slice(16) === self.value.traceId.slice(16)) return current
  return withPrevious(prior, self.value)
}

/** How an invocation span starts: under the context read, or as a new trace with links and a sampling decision. */
export interface InvocationStart {
  /** A new trace (`parent: null`), not the context read. */
  readonly root: boolean
  readonly links: ReadonlyArray<Link>
  /** The new trace's sampling decision as a Datadog priority, when durable-trace decides it. */
  readonly samplingPriority: number | undefined
}

const CONTINUE: InvocationStart = { root: false, links: [], samplingPriority: undefined }

/**
 * The start of an invocation span (SPEC §11). In linked mode an invocation that continues a checkpoint starts
 * its own trace, linked to the anchor and the previous invocation, with the checkpoint's sampling decision (kept
 * when it carries none). An invocation that continues nothing starts the execution's trace: with a ratio, its
 * decision is the execution's (`Sampling.keep`). Anything else continues the context read, decision included.
 */
export const invocationStart = (input: {
  readonly mode: Mode
  /** The checkpoint continued, if the read continued one. */
  readonly checkpoint: Option.Option<Headers.Headers>
  /** Whether the read found any context to continue. */
  readonly continued: boolean
  readonly executionArn: string
  readonly sampleRatio: number | undefined
}): InvocationStart => {
  if (input.mode === "linked" && Option.isSome(input.checkpoint)) {
    const sampled = Option.getOrElse(Sampling.decisionOf(input.checkpoint.value), () => true)
    const links = linksOf(input.checkpoint.value, sampled)
    if (links.length > 0) return { root: true, links, samplingPriority: Sampling.priorityOf(sampled) }
  }
  if (!input.continued && input.sampleRatio !== undefined) {
    const kept = Sampling.keep(input.executionArn, input.sampleRatio)
    return { root: true, links: [], samplingPriority: Sampling.priorityOf(kept) }
  }
  return CONTINUE
}
