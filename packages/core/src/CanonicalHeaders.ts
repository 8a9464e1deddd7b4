/**
 * Header values in canonical form, the form `Headers.fromCarrier` returns them in: recognising one without parsing
 * it, and the writer's per-suspend operations on such values (the stable form, anchoring, the trace id) by slicing
 * and splitting at separators instead of parsing. `Headers` uses these on headers it has sanitised itself, and on
 * what a tracer has just injected (`Headers.fromTracer`). Gotcha: every function here assumes its input is
 * canonical, except `isCanonical`, which decides it; a `dd=` value inside a canonical `tracestate` may still not be
 * canonical (the list form leaves member values as written), so those are checked and parsed when they are not.
 */
import * as Option from "effect/Option"
import * as DatadogHeaders from "./DatadogHeaders.ts"
import type { Headers } from "./Headers.ts"
import * as Hex from "./Hex.ts"
import * as Traceparent from "./Traceparent.ts"
import * as Tracestate from "./Tracestate.ts"
import * as Untrusted from "./Untrusted.ts"

// An unsigned 64-bit decimal id with no leading zero, at most 2^64-1: what `DatadogHeaders.parseId` returns as is.
const CANONICAL_ID = /^[1-9][0-9]{0,19}$/
const MAX_UINT64_DECIMAL = "18446744073709551615"
const isCanonicalId = (value: string): boolean =>
  CANONICAL_ID.test(value) && (value.length < 20 || value <= MAX_UINT64_DECIMAL)
// `String(Number(v) + 0)` of an accepted priority: no leading zero, no "-0".
const CANONICAL_PRIORITY = /^(?:0|-?[1-9][0-9]{0,2})$/
// A four-part traceparent of a version that is not ff, ids not all zero: what `Traceparent.format` gives back as is.
const CANONICAL_TRACEPARENT = /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/
// A tracestate list as `Tracestate.format` writes it: 1 to 32 `key=value` members, no whitespace around `,`, no
// empty member (each key and value by W3C's grammar, as `Tracestate.parse` checks them); keys unique (checked apart).
const TS_KEY = "(?:[a-z][a-z0-9_\\-*/]{0,255}|[a-z0-9][a-z0-9_\\-*/]{0,240}@[a-z][a-z0-9_\\-*/]{0,13})"
const TS_VALUE = "[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]{0,255}[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]"
const CANONICAL_TRACESTATE = new RegExp(
  `^${TS_KEY}=${TS_VALUE}(?:,${TS_KEY}=${TS_VALUE}){0,${Tracestate.MAX_MEMBERS - 1}}$`
)
const hasUniqueKeys = (tracestate: string): boolean => {
  if (!tracestate.includes(",")) return true
  const keys = tracestate.split(",").map((member) => member.slice(0, member.indexOf("=")))
  return new Set(keys).size === keys.length
}
const isCanonicalTags = (value: string): boolean =>
  Option.match(DatadogHeaders.parseTags(value), {
    onNone: () => false,
    onSome: (tags) => DatadogHeaders.formatTags(tags) === value
  })
const isCanonicalTracestate = (value: string): boolean =>
  value.length <= Untrusted.MAX_PARSED_LENGTH && CANONICAL_TRACESTATE.test(value) && hasUniqueKeys(value)

/**
 * Whether `value` is what the validator of allowlisted key `key` (lowercase) returns unchanged, decided with one
 * test and no parse where the grammar allows it: then sanitising it would keep it as it is. False for any other key.
 */
export const isCanonical = (key: string, value: string): boolean => {
  switch (key) {
    case DatadogHeaders.X_DATADOG_TRACE_ID:
    case DatadogHeaders.X_DATADOG_PARENT_ID:
      return isCanonicalId(value)
    case DatadogHeaders.X_DATADOG_SAMPLING_PRIORITY:
      return CANONICAL_PRIORITY.test(value)
    case DatadogHeaders.X_DATADOG_ORIGIN:
      return Option.isSome(DatadogHeaders.parseOrigin(value))
    case DatadogHeaders.X_DATADOG_TAGS:
      return isCanonicalTags(value)
    case Traceparent.TRACEPARENT:
      return CANONICAL_TRACEPARENT.test(value)
    case Tracestate.TRACESTATE:
      return isCanonicalTracestate(value)
    default:
      return false
  }
}

/**
 * `Headers`' stable form of one canonical value, by slicing instead of parsing: a canonical `traceparent` is four
 * fixed-width parts, and a canonical `tracestate` is exactly its members joined by `,` (neither keys nor values hold
 * one), of which the only one starting `dd=` is the `dd` member. Undefined when nothing of it is compared.
 */
export const stableValue = (key: string, value: string): string | undefined => {
  switch (key) {
    case DatadogHeaders.X_DATADOG_PARENT_ID:
      return undefined
    case Traceparent.TRACEPARENT:
      // `vv-<32 trace id>-<16 parent id>-ff`: drop the parent id and its dash.
      return `${value.slice(0, 35)}${value.slice(52)}`
    case Tracestate.TRACESTATE:
      return rewriteDd(value, stripDdParent) || undefined
    default:
      return value
  }
}

/**
 * One canonical value anchored to `parentIdHex16` (16 lowercase hex, non-zero; `decimal` its decimal form), as
 * `Headers.anchor` rewrites it: canonical again.
 */
export const anchoredValue = (key: string, value: string, parentIdHex16: string, decimal: string): string => {
  switch (key) {
    case DatadogHeaders.X_DATADOG_PARENT_ID:
      return decimal
    case Traceparent.TRACEPARENT:
      return `${value.slice(0, 36)}${parentIdHex16}${value.slice(52)}`
    case Tracestate.TRACESTATE:
      return rewriteDd(value, (ts) => setDdParent(ts, parentIdHex16))
    default:
      return value
  }
}

const TID_ENTRY = `${DatadogHeaders.TAG_TID}=`

/**
 * `Headers.traceIdHex` of canonical headers: every value present is valid, so the first style present holds the
 * trace id; `x-datadog-tags` entries are exactly its `,`-separated parts; a `traceparent` is four fixed-width parts.
 */
export const traceIdHex = (headers: Headers): Option.Option<string> => {
  const low = headers[DatadogHeaders.X_DATADOG_TRACE_ID]
  if (low !== undefined) {
    const tid = headers[DatadogHeaders.X_DATADOG_TAGS]?.split(",").find((tag) => tag.startsWith(TID_ENTRY))
    const high = tid === undefined ? Hex.ZERO_HEX16 : tid.slice(TID_ENTRY.length)
    return Option.some(`${high}${BigInt(low).toString(16).padStart(16, "0")}`)
  }
  const traceparent = headers[Traceparent.TRACEPARENT]
  return traceparent === undefined ? Option.none() : Option.some(traceparent.slice(3, 35))
}

const DD_MEMBER = `${Tracestate.DD}=`

/**
 * A canonical `tracestate` with its `dd` member rewritten by `f` (a `Tracestate` function over that one member):
 * `Tracestate.format(f(Tracestate.parse(value)))` without parsing the other members, which `f` leaves as they are.
 */
const rewriteDd = (value: string, f: (tracestate: Tracestate.Tracestate) => Tracestate.Tracestate): string => {
  const members = value.split(",")
  const at = members.findIndex((member) => member.startsWith(DD_MEMBER))
  if (at === -1) return value
  const dd = Tracestate.format(f([{ key: Tracestate.DD, value: members[at]!.slice(DD_MEMBER.length) }]))
  if (dd === "") members.splice(at, 1)
  else members[at] = dd
  return members.join(",")
}

// A `dd=` value as `Tracestate.formatDd` writes one: `key:value` entries joined by `;`, no whitespace around them,
// none empty (each key and value by the grammar `Tracestate.parseDd` checks); keys unique (checked apart).
const DD_ENTRY =
  "[\\x21-\\x2b\\x2d-\\x39\\x3c\\x3e-\\x7e]+:[\\x21-\\x2b\\x2d-\\x3a\\x3c\\x3e-\\x7e](?:[\\x20-\\x2b\\x2d-\\x3a\\x3c\\x3e-\\x7e]*[\\x21-\\x2b\\x2d-\\x3a\\x3c\\x3e-\\x7e])?"
const CANONICAL_DD = new RegExp(`^${DD_ENTRY}(?:;${DD_ENTRY})*$`)
const DD_PARENT_ENTRY = `${Tracestate.DD_PARENT_ID}:`
// W3C's bound on a list member's value, which `Tracestate.setDdParent` keeps the dd= member under.
const MAX_TRACESTATE_VALUE = 256

/**
 * The entries of a `dd=` value already in canonical form: exactly its `;`-separated parts. Undefined when the
 * value is not canonical (whitespace, empty or invalid entries, a repeated key): then it must be parsed.
 */
const ddEntries = (dd: string): Array<string> | undefined => {
  if (!CANONICAL_DD.test(dd)) return undefined
  const entries = dd.split(";")
  const keys = entries.map((entry) => entry.slice(0, entry.indexOf(":")))
  return new Set(keys).size === keys.length ? entries : undefined
}

const ddMember = (entries: ReadonlyArray<string>): Tracestate.Tracestate =>
  entries.length === 0 ? [] : [{ key: Tracestate.DD, value: entries.join(";") }]

/** `Tracestate.stripDdParent` of a one-member `dd` list, by splitting when its value is canonical. */
const stripDdParent = (tracestate: Tracestate.Tracestate): Tracestate.Tracestate => {
  const entries = ddEntries(tracestate[0]!.value)
  if (entries === undefined) return Tracestate.stripDdParent(tracestate)
  return ddMember(entries.filter((entry) => !entry.startsWith(DD_PARENT_ENTRY)))
}

/**
 * `Tracestate.setDdParent` of a one-member `dd` list to a valid span id, by splitting when its value is canonical:
 * the `p:` entry replaced in place or appended, or removed when the member would outgrow W3C's 256 characters.
 */
const setDdParent = (tracestate: Tracestate.Tracestate, parentIdHex16: string): Tracestate.Tracestate => {
  const entries = ddEntries(tracestate[0]!.value)
  if (entries === undefined) return Tracestate.setDdParent(tracestate, parentIdHex16)
  const entry = `${DD_PARENT_ENTRY}${parentIdHex16}`
  const at = entries.findIndex((e) => e.startsWith(DD_PARENT_ENTRY))
  const updated = at === -1 ? [...entries, entry] : entries.map((e, i) => (i === at ? entry : e))
  return updated.join(";").length > MAX_TRACESTATE_VALUE
    ? ddMember(entries.filter((e) => !e.startsWith(DD_PARENT_ENTRY)))
    : ddMember(updated)
}
