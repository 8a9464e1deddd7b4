/**
 * durable-trace's own W3C `tracestate` list member in a checkpoint (SPEC §11): `durabletrace=n:<k>;l:<trace>-<span>`,
 * `;`-separated `key:value` entries as in Datadog's `dd=` member. `n` is the number of the invocation that wrote
 * the checkpoint (both modes, `InvocationNumber`); `l` names the previous invocation's execute span (linked mode,
 * `TraceMode`). Entries of other keys are kept as they are. The unreleased first form, `durabletrace=<trace>-<span>`,
 * still reads as `l`. Vendors pass foreign members through untouched, so Datadog's readers continue the checkpoint
 * as before. Gotcha: the member is written only into headers that carry `traceparent` (a `tracestate` alone is
 * read by no one), so a Datadog-headers-only checkpoint carries neither number nor link.
 */
import * as Option from "effect/Option"
import type * as Headers from "./Headers.ts"
import * as Traceparent from "./Traceparent.ts"
import * as Tracestate from "./Tracestate.ts"

/** The list-member key. */
export const KEY = "durabletrace"

/** The entry key of the writing invocation's number. */
export const INVOCATION = "n"

/** The entry key of the previous invocation (linked mode). */
export const PREVIOUS = "l"

/** A span by its ids: 32 and 16 lowercase hex, neither all zeros. */
export interface SpanRef {
  readonly traceId: string
  readonly spanId: string
}

/** The member's entries, in order, keys unique. */
export type Entries = Tracestate.DdState

// W3C's cap on one member's value.
const MAX_VALUE_LENGTH = 256
const REF = /^([0-9a-f]{32})-([0-9a-f]{16})$/
const ZERO = /^0+$/
// A positive decimal without leading zeros, at most 15 digits: always a safe integer.
const NUMBER = /^[1-9][0-9]{0,14}$/

/** The ids a `<trace>-<span>` value names, if it is one (lowercase hex, neither all zeros). */
export const refOf = (value: string | undefined): Option.Option<SpanRef> => {
  const match = value === undefined ? null : REF.exec(value)
  if (match === null || ZERO.test(match[1]!) || ZERO.test(match[2]!)) return Option.none()
  return Option.some({ traceId: match[1]!, spanId: match[2]! })
}

/** Whether `n` is an invocation number the member can carry: a positive integer of at most 15 digits. */
export const isInvocationNumber = (n: number): boolean => Number.isInteger(n) && NUMBER.test(String(n))

/** A member value's entries; the first form (`<trace>-<span>`) reads as its `l` entry. Empty when invalid. */
export const parse = (value: string | undefined): Entries => {
  if (value === undefined) return []
  if (REF.test(value)) return [{ key: PREVIOUS, value }]
  return Option.getOrElse(Tracestate.parseDd(value), (): Entries => [])
}

/** A member value from its entries (`k:v;k:v`); `""` for none. */
export const format = (entries: Entries): string => Tracestate.formatDd(entries)

/** The member's entries in `headers`' `tracestate`; empty when it has none. */
export const entriesOf = (headers: Headers.Headers): Entries =>
  Option.match(Tracestate.parse(headers[Tracestate.TRACESTATE]), {
    onNone: (): Entries => [],
    onSome: (ts) => parse(ts.find((member) => member.key === KEY)?.value)
  })

/** The number of the invocation that wrote checkpoint `headers`, if it carries a valid one. */
export const invocationOf = (headers: Headers.Headers): Option.Option<number> => {
  const value = entriesOf(headers).find((entry) => entry.key === INVOCATION)?.value
  return value !== undefined && NUMBER.test(value) ? Option.some(Number(value)) : Option.none()
}

/** The previous invocation checkpoint `headers` names, if it names a valid one. */
export const previousOf = (headers: Headers.Headers): Option.Option<SpanRef> =>
  refOf(entriesOf(headers).find((entry) => entry.key === PREVIOUS)?.value)

/**
 * `headers` with entry `key` set to `value` (replaced in place, or appended), or removed when `value` is none. The
 * member is placed leftmost after `dd=` (created when absent, dropped when left empty); every other member keeps
 * its order and value. Unchanged (the same object) when the headers carry no `traceparent` or when nothing changes;
 * when the member would outgrow W3C's 256 characters with `value`, the entry is removed instead.
 */
export const withEntry = (headers: Headers.Headers, key: string, value: Option.Option<string>): Headers.Headers => {
  if (Option.isNone(Traceparent.parse(headers[Traceparent.TRACEPARENT]))) return headers
  const current = Option.getOrElse(Tracestate.parse(headers[Tracestate.TRACESTATE]), (): Tracestate.Tracestate => [])
  const raw = current.find((member) => member.key === KEY)?.value
  const entries = parse(raw)
  const at = entries.findIndex((entry) => entry.key === key)
  const updated: Entries = Option.match(value, {
    onNone: () => entries.filter((entry) => entry.key !== key),
    onSome: (v) =>
      at === -1 ? [...entries, { key, value: v }] : entries.map((entry, i) => (i === at ? { key, value: v } : entry))
  })
  const formatted = format(updated)
  if (formatted === (raw ?? "")) return headers
  // Too long with `value`: the entry goes rather than stay stale (a number carried over from another checkpoint).
  if (formatted.length > MAX_VALUE_LENGTH)
    return Option.isSome(value) ? withEntry(headers, key, Option.none()) : headers
  const others = current.filter((member) => member.key !== KEY)
  const dd = others.filter((member) => member.key === Tracestate.DD)
  const rest = others.filter((member) => member.key !== Tracestate.DD)
  const own = formatted === "" ? [] : [{ key: KEY, value: formatted }]
  const members = [...dd, ...own, ...rest].slice(0, Tracestate.MAX_MEMBERS)
  if (members.length === 0) {
    const { [Tracestate.TRACESTATE]: _dropped, ...without } = headers
    return without
  }
  return { ...headers, [Tracestate.TRACESTATE]: Tracestate.format(members) }
}

/**
 * `headers` carrying invocation number `n` (`n:<n>`), or carrying none when `n` is none or not a valid number (a
 * number carried over from another checkpoint is then removed, never left stale).
 */
export const withInvocation = (headers: Headers.Headers, n: Option.Option<number>): Headers.Headers =>
  withEntry(
    headers,
    INVOCATION,
    Option.flatMap(n, (k) => (isInvocationNumber(k) ? Option.some(String(k)) : Option.none()))
  )

/** `headers` naming `previous` as the previous invocation (`l:<trace>-<span>`); unchanged for invalid ids. */
export const withPrevious = (headers: Headers.Headers, previous: SpanRef): Headers.Headers => {
  const value = `${previous.traceId}-${previous.spanId}`
  return Option.isNone(refOf(value)) ? headers : withEntry(headers, PREVIOUS, Option.some(value))
}

/** `headers` without durabletrace's number and previous invocation (the member goes when nothing else is left in it). */
export const without = (headers: Headers.Headers): Headers.Headers =>
  withEntry(withEntry(headers, INVOCATION, Option.none()), PREVIOUS, Option.none())
