/**
 * The W3C `tracestate` header (ordered `key=value` list members) and Datadog's `dd=` member inside it
 * (`;`-separated `k:v` entries: `s` sampling priority, `o` origin, `p` parent span id, `t.*` propagated tags).
 * Use it to compare and rewrite the Datadog parent id a checkpoint carries in W3C form. Gotcha: in `dd=` values
 * dd-trace writes `=` as `~` and replaces `,`, `;`, `~` and non-printable characters with `_` (see `encodeDdValue`).
 */
import * as Option from "effect/Option"
import * as Hex from "./Hex.ts"

/** The W3C trace state header name. */
export const TRACESTATE = "tracestate"

/** W3C Trace Context caps a `tracestate` list at 32 list members. */
export const MAX_MEMBERS = 32

/** The list-member key Datadog uses. */
export const DD = "dd"

/** The `dd=` entry key of the parent span id, the volatile field of the W3C Datadog member. */
export const DD_PARENT_ID = "p"

/** One `key=value` list member. */
export interface Member {
  readonly key: string
  readonly value: string
}

/** A parsed `tracestate`: members in header order (leftmost is newest), keys unique. */
export type Tracestate = ReadonlyArray<Member>

/** One `k:v` entry of the `dd=` member. */
export interface DdEntry {
  readonly key: string
  readonly value: string
}

/** A parsed `dd=` member value: entries in order, keys unique. */
export type DdState = ReadonlyArray<DdEntry>

/** The `dd=` entry keys of the sampling priority and of the origin (escaped, see `encodeDdValue`). */
export const DD_SAMPLING_PRIORITY = "s"
export const DD_ORIGIN = "o"

// W3C Trace Context key grammar: simple-key / tenant-id "@" system-id.
const KEY_CHARS = "[a-z0-9_\\-*/]"
const MEMBER_KEY = new RegExp(`^(?:[a-z]${KEY_CHARS}{0,255}|[a-z0-9]${KEY_CHARS}{0,240}@[a-z]${KEY_CHARS}{0,13})$`)
// W3C value: 0*255(chr) nblk-chr, chr = %x20 / nblk-chr, nblk-chr = %x21-2B / %x2D-3C / %x3E-7E.
const MEMBER_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/
const MAX_VALUE_LENGTH = 256
// Optional whitespace around ',' (and, in dd=, around ';'): SP / HTAB.
const OWS = /^[ \t]+|[ \t]+$/g
// dd= entries: keys without space , : ; =  and values of printable ASCII without , ; =  (inner spaces allowed).
const DD_KEY = /^[\x21-\x2b\x2d-\x39\x3c\x3e-\x7e]+$/
const DD_VALUE =
  /^[\x21-\x2b\x2d-\x3a\x3c\x3e-\x7e](?:[\x20-\x2b\x2d-\x3a\x3c\x3e-\x7e]*[\x21-\x2b\x2d-\x3a\x3c\x3e-\x7e])?$/
// dd-trace's tracestateOriginFilter / tracestateTagValueFilter: what survives in an origin or tag value.
const DD_VALUE_UNSAFE = /[^\x20-\x2b\x2d-\x3a\x3c-\x7d]/g

/**
 * The one list grammar of `tracestate` and `dd=`: `separator`-separated `key<assign>value` items with optional
 * whitespace around them. Empty items are skipped; an item without `assign`, with an invalid key or value, or with
 * a key already seen is dropped. None when the value is not a string, has more than `max` non-empty items, or no
 * valid item.
 */
const parseList = (
  value: unknown,
  separator: string,
  assign: string,
  key: RegExp,
  itemValue: RegExp,
  max: number
): Option.Option<ReadonlyArray<Member>> => {
  if (typeof value !== "string") return Option.none()
  const items: Array<Member> = []
  let count = 0
  for (const raw of value.split(separator)) {
    const item = trimOws(raw)
    if (item === "") continue
    if (++count > max) return Option.none()
    const at = item.indexOf(assign)
    if (at === -1) continue
    const itemKey = item.slice(0, at)
    const rest = item.slice(at + 1)
    if (key.test(itemKey) && itemValue.test(rest) && !items.some((m) => m.key === itemKey)) {
      items.push({ key: itemKey, value: rest })
    }
  }
  return items.length === 0 ? Option.none() : Option.some(items)
}

/**
 * Parses a `tracestate` header value. Empty list members and whitespace around `,` are ignored; a member with an
 * invalid key or value, or a repeated key, is dropped (the first, newest one wins). None when the value is not a
 * string, has more than {@link MAX_MEMBERS} members, or no valid member.
 */
export const parse = (value: unknown): Option.Option<Tracestate> =>
  parseList(value, ",", "=", MEMBER_KEY, MEMBER_VALUE, MAX_MEMBERS)

/** Formats a `tracestate` header value; the empty list formats as `""`. */
export const format = (tracestate: Tracestate): string => tracestate.map((m) => `${m.key}=${m.value}`).join(",")

/**
 * Parses a `dd=` member value. Whitespace around `;` is ignored; an entry without `:`, with an invalid key or value,
 * or with a repeated key is dropped. Entries are not interpreted: a malformed `p` is still a `p`.
 * None when the value is not a string or no entry survives.
 */
export const parseDd = (value: unknown): Option.Option<DdState> =>
  parseList(value, ";", ":", DD_KEY, DD_VALUE, Number.POSITIVE_INFINITY)

/** Formats a `dd=` member value (`k:v;k:v`, no whitespace). */
export const formatDd = (dd: DdState): string => dd.map((e) => `${e.key}:${e.value}`).join(";")

/**
 * Escapes an origin or `_dd.p.*` tag value for a `dd=` entry as dd-trace does: characters outside printable ASCII
 * and `,` `;` `~` become `_`, then `=` becomes `~`.
 */
export const encodeDdValue = (raw: string): string => raw.replace(DD_VALUE_UNSAFE, "_").replaceAll("=", "~")

/** Reverses the `=` -> `~` step of {@link encodeDdValue} (the `_` replacements are lossy and stay). */
export const decodeDdValue = (value: string): string => value.replaceAll("~", "=")

/** The `dd=` parent id (`p:`) if it is 16 lowercase hex, non-zero. */
export const ddParentId = (tracestate: Tracestate): Option.Option<string> =>
  Option.flatMap(ddState(tracestate), (dd) => {
    const parent = dd.find((e) => e.key === DD_PARENT_ID)
    return parent !== undefined && Hex.isSpanId(parent.value) ? Option.some(parent.value) : Option.none()
  })

/**
 * Removes the `p:` entry (whatever its value) from the `dd=` member, normalising the member's whitespace and
 * dropping it when nothing is left. Other members keep their order. The result can be the empty list.
 */
export const stripDdParent = (tracestate: Tracestate): Tracestate =>
  updateDd(tracestate, (dd) => dd.filter((e) => e.key !== DD_PARENT_ID))

/**
 * Sets the `dd=` parent id to `parentIdHex16` (16 lowercase hex): replaced in place, or appended. Only an existing
 * `dd=` member is touched: without one the list is returned unchanged, as it is for an invalid id. When the member
 * would outgrow W3C's 256-character value, the `p:` entry is removed instead of left stale.
 */
export const setDdParent = (tracestate: Tracestate, parentIdHex16: string): Tracestate => {
  if (!Hex.isSpanId(parentIdHex16)) return tracestate
  return updateDd(tracestate, (dd) => {
    const entry = { key: DD_PARENT_ID, value: parentIdHex16 }
    const index = dd.findIndex((e) => e.key === DD_PARENT_ID)
    const updated = index === -1 ? [...dd, entry] : dd.map((e, i) => (i === index ? entry : e))
    return formatDd(updated).length > MAX_VALUE_LENGTH ? dd.filter((e) => e.key !== DD_PARENT_ID) : updated
  })
}

/** The parsed `dd=` member of `tracestate`; none without one, or when none of its entries is valid. */
export const ddState = (tracestate: Tracestate): Option.Option<DdState> =>
  Option.flatMap(Option.fromNullishOr(tracestate.find((m) => m.key === DD)), (m) => parseDd(m.value))

// Rewrites the dd= member through `f`, dropping it if it ends up empty; a list without dd= is returned as is.
const updateDd = (tracestate: Tracestate, f: (dd: DdState) => DdState): Tracestate => {
  if (!tracestate.some((m) => m.key === DD)) return tracestate
  return tracestate.flatMap((m) => {
    if (m.key !== DD) return [m]
    const value = formatDd(f(Option.getOrElse(parseDd(m.value), () => [])))
    return value === "" ? [] : [{ key: DD, value }]
  })
}

// Most items have no whitespace to trim: test the ends before running the regex.
const trimOws = (value: string): string => {
  const first = value.charCodeAt(0)
  const last = value.charCodeAt(value.length - 1)
  return first === 32 || first === 9 || last === 32 || last === 9 ? value.replace(OWS, "") : value
}
