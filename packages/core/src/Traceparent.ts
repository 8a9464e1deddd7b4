/**
 * The W3C `traceparent` header (`00-<32 hex trace-id>-<16 hex parent-id>-<2 hex flags>`), parsed by the rules of
 * W3C Trace Context: lowercase hex only, all-zero ids and version `ff` invalid, future versions read by their prefix.
 * Use it to validate a carrier's W3C context and to rewrite its parent id. Gotcha: `format` drops the fields a future
 * version appends after the flags; the canonical form is always four parts.
 */
import * as Option from "effect/Option"

/** The W3C trace context header name. */
export const TRACEPARENT = "traceparent"

/** A parsed `traceparent`: every field lowercase hex. */
export interface Traceparent {
  readonly version: string
  readonly traceId: string
  readonly parentId: string
  readonly flags: string
}

const VERSION = "00"
const VERSION_PART = "(?!ff)[0-9a-f]{2}"
const TRACE_ID_PART = "(?![0]{32})[0-9a-f]{32}"
const PARENT_ID_PART = "(?![0]{16})[0-9a-f]{16}"
const FLAGS_PART = "[0-9a-f]{2}"
// A future version may append fields after the 55 characters of version 00, each introduced by '-'.
const TRACE_PARENT_REGEX = new RegExp(
  `^(${VERSION_PART})-(${TRACE_ID_PART})-(${PARENT_ID_PART})-(${FLAGS_PART})(-[\\x21-\\x7e]*)?$`
)
// Far above any real header; keeps the regex off megabyte inputs.
const MAX_LENGTH = 512

/**
 * Parses a `traceparent` header value. Version `00` must be exactly four parts; a higher version (not `ff`) is
 * accepted when its first 55 characters parse as version 00 and the next character, if any, is `-`.
 */
export const parse = (value: unknown): Option.Option<Traceparent> => {
  if (typeof value !== "string" || value.length > MAX_LENGTH) return Option.none()
  const match = TRACE_PARENT_REGEX.exec(value)
  if (match === null) return Option.none()
  const [, version = "", traceId = "", parentId = "", flags = "", rest] = match
  return version === VERSION && rest !== undefined ? Option.none() : Option.some({ version, traceId, parentId, flags })
}

/** Formats a `traceparent` header value from its four fields. */
export const format = (traceparent: Traceparent): string =>
  `${traceparent.version}-${traceparent.traceId}-${traceparent.parentId}-${traceparent.flags}`
