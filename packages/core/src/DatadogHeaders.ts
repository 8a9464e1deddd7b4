/**
 * Datadog's own propagation headers (`x-datadog-*`): validation of the unsigned 64-bit decimal ids, the sampling
 * priority, the origin and the `_dd.p.*` propagated tags, plus the decimal <-> 16-hex id conversion.
 * Use it wherever a Datadog header value crosses a trust boundary (checkpoint payloads, inbound carriers).
 * Gotcha: ids exceed `Number.MAX_SAFE_INTEGER`, so they stay strings and are converted with `BigInt` only.
 */
import * as Option from "effect/Option"
import * as Hex from "./Hex.ts"
import * as Untrusted from "./Untrusted.ts"
import * as Utf8 from "./Utf8.ts"

/**
 * The member under which Datadog's tracers nest headers inside a payload (message attributes, a Step Functions
 * input, a traced invoke's input). Its checkpoint operations are named after it: `_datadog_{N}`.
 */
export const DATADOG_CARRIER = "_datadog"

/** Low 64 bits of the trace id, unsigned decimal. */
export const X_DATADOG_TRACE_ID = "x-datadog-trace-id"

/** Parent (span) id, unsigned decimal: the volatile field of the Datadog style. */
export const X_DATADOG_PARENT_ID = "x-datadog-parent-id"

/** Sampling priority: a small signed integer (`-1` user reject .. `2` user keep). */
export const X_DATADOG_SAMPLING_PRIORITY = "x-datadog-sampling-priority"

/** Origin of the trace (`synthetics`, `rum`, `lambda`, ...). */
export const X_DATADOG_ORIGIN = "x-datadog-origin"

/** Propagated trace tags: `_dd.p.key=value` entries separated by `,`. */
export const X_DATADOG_TAGS = "x-datadog-tags"

/** Largest `x-datadog-tags` header kept, in UTF-8 bytes: dd-trace's default `DD_TRACE_X_DATADOG_TAGS_MAX_LENGTH`. */
export const MAX_TAGS_BYTES = 512

/** The propagated tag holding the high 64 bits of a 128-bit trace id, as 16 lowercase hex. */
export const TAG_TID = "_dd.p.tid"

/** One `_dd.p.*` propagated tag. */
export interface Tag {
  readonly key: string
  readonly value: string
}

/** Propagated tags in header order, keys unique. */
export type Tags = ReadonlyArray<Tag>

const MAX_UINT64 = 0xffffffffffffffffn
const DECIMAL_ID = /^[0-9]{1,20}$/
const SAMPLING_PRIORITY = /^-?[0-9]{1,3}$/
// Printable ASCII without ',' (the x-datadog-tags separator), no leading or trailing space (HTTP trims them).
const ORIGIN = /^[\x21-\x2b\x2d-\x7e](?:[\x20-\x2b\x2d-\x7e]{0,254}[\x21-\x2b\x2d-\x7e])?$/
// dd-trace's tagKeyExpr/tagValueExpr, minus '=' in keys (the header splits at the first '=') and empty values.
const TAG_KEY = /^_dd\.p\.[\x21-\x2b\x2d-\x3c\x3e-\x7e]+$/
const TAG_VALUE = /^[\x20-\x2b\x2d-\x7e]+$/

/**
 * Parses an unsigned 64-bit decimal id into its canonical decimal form (no leading zeros).
 * Accepts 1 to 20 ASCII digits, leading zeros included (dd-trace accepts them), within `1..2^64-1`: zero is
 * "no id", signs, spaces, exponents and non-ASCII digits are rejected.
 */
export const parseId = (value: unknown): Option.Option<string> => {
  if (typeof value !== "string" || !DECIMAL_ID.test(value)) return Option.none()
  const id = BigInt(value)
  return id === 0n || id > MAX_UINT64 ? Option.none() : Option.some(id.toString(10))
}

/** Converts a decimal id (as accepted by {@link parseId}) to 16 lowercase hex, the W3C span id form. */
export const decimalToHex16 = (decimal: unknown): Option.Option<string> =>
  Option.map(parseId(decimal), (id) => BigInt(id).toString(16).padStart(16, "0"))

/** Converts 16 lowercase hex (non-zero, the W3C span id form) to the canonical decimal id. */
export const hex16ToDecimal = (hex: unknown): Option.Option<string> =>
  Hex.isSpanId(hex) ? Option.some(Hex.lowDecimal(hex)) : Option.none()

/** Parses a sampling priority: an optional `-` and 1 to 3 ASCII digits; `String(priority)` is its canonical form. */
export const parseSamplingPriority = (value: unknown): Option.Option<number> =>
  // `+ 0` turns "-0" into 0, so the canonical form of "-0" is "0".
  typeof value === "string" && SAMPLING_PRIORITY.test(value) ? Option.some(Number(value) + 0) : Option.none()

/** Validates an origin: 1 to 256 printable ASCII characters, no `,`, no leading or trailing space. */
export const parseOrigin = (value: unknown): Option.Option<string> =>
  typeof value === "string" && ORIGIN.test(value) ? Option.some(value) : Option.none()

/**
 * Parses `x-datadog-tags`, keeping only valid `_dd.p.*` entries (first occurrence of a key wins; `_dd.p.tid` must
 * be 16 lowercase hex). Unlike dd-trace, an invalid entry drops only itself, not the header. The whole header is
 * rejected above {@link MAX_TAGS_BYTES}, and none is returned when no entry survives.
 */
export const parseTags = (value: unknown): Option.Option<Tags> => {
  if (typeof value !== "string" || value.length > Untrusted.MAX_PARSED_LENGTH) return Option.none()
  if (value.length > MAX_TAGS_BYTES || Utf8.byteLength(value) > MAX_TAGS_BYTES) {
    // Over the cap only the high half of the trace id survives: without it a 128-bit trace resumes as another.
    return Option.flatMap(parseEntries(value), (tags) => {
      const tid = tags.filter((tag) => tag.key === TAG_TID)
      return tid.length === 0 ? Option.none() : Option.some(tid)
    })
  }
  return parseEntries(value)
}

const parseEntries = (value: string): Option.Option<Tags> => {
  const tags: Array<Tag> = []
  for (const entry of value.split(",")) {
    const separator = entry.indexOf("=")
    if (separator === -1) continue
    const key = entry.slice(0, separator)
    const tagValue = entry.slice(separator + 1)
    if (isTag(key, tagValue) && !tags.some((tag) => tag.key === key)) tags.push({ key, value: tagValue })
  }
  return tags.length === 0 ? Option.none() : Option.some(tags)
}

/** Formats propagated tags as the `x-datadog-tags` header value. */
export const formatTags = (tags: Tags): string => tags.map((tag) => `${tag.key}=${tag.value}`).join(",")

const isTag = (key: string, value: string): boolean =>
  TAG_KEY.test(key) && TAG_VALUE.test(value) && (key !== TAG_TID || Hex.isSpanId(value))
