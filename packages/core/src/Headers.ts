/**
 * The header algebra of a checkpoint payload: sanitising an untrusted carrier down to the propagation allowlist
 * (SPEC §4.6), stabilising headers for the write-or-skip diff (§4.3) and anchoring every parent-id carrier (§4.4).
 * Use `fromCarrier` on anything read from an event or a tracer, then the pure functions on its result.
 * Gotcha: keys are matched case-insensitively and every function returns lowercase keys on a null-prototype object.
 */
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as CanonicalHeaders from "./CanonicalHeaders.ts"
import * as DatadogHeaders from "./DatadogHeaders.ts"
import * as Hex from "./Hex.ts"
import * as Traceparent from "./Traceparent.ts"
import * as Tracestate from "./Tracestate.ts"
import * as Untrusted from "./Untrusted.ts"

/** Propagation headers: lowercase keys to string values. */
export type Headers = Readonly<Record<string, string>>

/** The only keys a checkpoint payload may carry (SPEC §4.6): never baggage, which is user data. */
export const PAYLOAD_KEYS = [
  DatadogHeaders.X_DATADOG_TRACE_ID,
  DatadogHeaders.X_DATADOG_PARENT_ID,
  DatadogHeaders.X_DATADOG_SAMPLING_PRIORITY,
  DatadogHeaders.X_DATADOG_ORIGIN,
  DatadogHeaders.X_DATADOG_TAGS,
  Traceparent.TRACEPARENT,
  Tracestate.TRACESTATE
] as const

const ALLOWED_KEYS: ReadonlySet<string> = new Set(PAYLOAD_KEYS)
// Each allowlisted key's position in `PAYLOAD_KEYS`, the order headers are written in.
const POSITIONS: ReadonlyMap<string, number> = new Map(PAYLOAD_KEYS.map((key, at) => [key, at]))

/** Largest `x-datadog-tags` value kept, in UTF-8 bytes (dd-trace's default cap). */
export const MAX_TAGS_BYTES = DatadogHeaders.MAX_TAGS_BYTES

/** Largest payload kept, in UTF-8 bytes of its compact JSON. */
export const MAX_PAYLOAD_BYTES = 1024

// Each allowlisted key's validator, returning the canonical form of a valid value. A Map: never an inherited hit.
const VALIDATORS: ReadonlyMap<string, (value: unknown) => Option.Option<string>> = new Map([
  [DatadogHeaders.X_DATADOG_TRACE_ID, DatadogHeaders.parseId],
  [DatadogHeaders.X_DATADOG_PARENT_ID, DatadogHeaders.parseId],
  [DatadogHeaders.X_DATADOG_SAMPLING_PRIORITY, (v) => Option.map(DatadogHeaders.parseSamplingPriority(v), String)],
  [DatadogHeaders.X_DATADOG_ORIGIN, DatadogHeaders.parseOrigin],
  [DatadogHeaders.X_DATADOG_TAGS, (v) => Option.map(DatadogHeaders.parseTags(v), DatadogHeaders.formatTags)],
  [Traceparent.TRACEPARENT, (v) => Option.map(Traceparent.parse(v), Traceparent.format)],
  [Tracestate.TRACESTATE, (v) => Option.map(Tracestate.parse(v), Tracestate.format)]
])

/**
 * Sanitises an untrusted carrier (an object, or a JSON string of one) into payload headers: only allowlisted keys
 * (any case in, lowercase out, the first valid value of a key wins), only string values that validate, each in its
 * canonical form (decimal ids without leading zeros, four-part traceparent, whitespace-free tracestate). Only own
 * enumerable keys are read. None when nothing usable remains or the payload exceeds {@link MAX_PAYLOAD_BYTES}.
 */
export const fromCarrier = (input: unknown): Option.Option<Headers> => {
  // Already sanitised by this function (the writer re-checks what an adapter returned): nothing to redo.
  if (typeof input === "object" && input !== null && CANONICAL.has(input)) return Option.some(input as Headers)
  return Result.getSuccess(parseCarrier(input))
}

/**
 * `fromCarrier` for a carrier a tracer has just injected into (the writer's hot path): the same result, without
 * re-parsing what the tracer produced. When every allowlisted key is spelt in lowercase and holds a string already
 * in canonical form (`canonicalOf` vouches for it), the headers are those values as they are; any carrier it cannot
 * vouch for (another case, a non-canonical or invalid value, a getter that throws, over the size limit) goes
 * through `fromCarrier`. A property test checks that the two agree on every carrier, tracers' or not.
 */
export const fromTracer = (carrier: unknown): Option.Option<Headers> => {
  const trusted = canonicalOf(carrier)
  return trusted === undefined ? fromCarrier(carrier) : Option.some(trusted)
}

/**
 * The trusted half of `fromTracer`: the headers of `carrier` when it can vouch, without parsing, that
 * `fromCarrier` returns exactly its allowlisted values; undefined when it cannot (then nothing is claimed).
 * Exported for the law that whenever it vouches, it agrees with `fromCarrier`.
 */
export const canonicalOf = (carrier: unknown): Headers | undefined => {
  if (!isRecord(carrier)) return undefined
  if (CANONICAL.has(carrier)) return carrier as Headers
  try {
    // By position in `PAYLOAD_KEYS`, so the headers come out in the order `fromCarrier` writes them.
    const found: Array<string | undefined> = [
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined
    ]
    let count = 0
    for (const key of Object.keys(carrier)) {
      const at = POSITIONS.get(key)
      if (at === undefined) {
        // Another spelling of an allowlisted key: which one `fromCarrier` keeps depends on key order and validity.
        if (ALLOWED_KEYS.has(key.toLowerCase())) return undefined
        continue
      }
      const value = carrier[key]
      if (typeof value !== "string" || !CanonicalHeaders.isCanonical(key, value)) return undefined
      found[at] = value
      count++
    }
    if (count === 0) return undefined
    const headers: Record<string, string> = Object.create(null)
    let size = 1
    for (let at = 0; at < PAYLOAD_KEYS.length; at++) {
      const value = found[at]
      if (value === undefined) continue
      const key = PAYLOAD_KEYS[at]!
      headers[key] = value
      size += key.length + value.length + 6
    }
    if (size > MAX_PAYLOAD_BYTES) return undefined
    Object.freeze(headers)
    CANONICAL.add(headers)
    return headers
  } catch {
    // A throwing getter or Proxy trap: `fromCarrier` says what such a carrier gives.
    return undefined
  }
}

/** Why a carrier gave no headers: `fromCarrier`'s none, said. */
export type CarrierRejection =
  | "too large to parse"
  | "not JSON"
  | "not an object"
  | "no propagation headers"
  | "over the size limit"
  | "unreadable"

/**
 * `fromCarrier` with the reason of its none: the one parser of carriers. A JSON string longer than
 * `Untrusted.MAX_PARSED_LENGTH` is not parsed; `"unreadable"` is a carrier whose getters or Proxy traps threw.
 */
export const parseCarrier = (input: unknown): Result.Result<Headers, CarrierRejection> => {
  if (typeof input === "object" && input !== null && CANONICAL.has(input)) return Result.succeed(input as Headers)
  try {
    if (typeof input !== "string") return sanitiseRecord(input, undefined)
    const known = JSON_MEMO.get(input)
    if (known !== undefined) return Result.succeed(known)
    const json = parseCarrierJson(input)
    if (Result.isFailure(json)) return Result.fail(json.failure)
    const headers = sanitiseRecord(json.success, undefined)
    if (Result.isSuccess(headers)) remember(input, headers.success)
    return headers
  } catch {
    // Getters and proxies on an untrusted object can throw.
    return Result.fail("unreadable")
  }
}

/** The JSON step of `parseCarrier`: the parsed value of a carrier string, or why there is none. */
export const parseCarrierJson = (text: string): Result.Result<unknown, "too large to parse" | "not JSON"> => {
  if (text.length > Untrusted.MAX_PARSED_LENGTH) return Result.fail("too large to parse")
  try {
    return Result.succeed(JSON.parse(text))
  } catch {
    return Result.fail("not JSON")
  }
}

/** Why `sanitise` dropped a key: outside the allowlist, a value that does not validate, or a key already kept. */
export type DropReason = "not allowed" | "invalid value" | "duplicate"

/** A carrier key `sanitise` did not keep. */
export interface DroppedKey {
  readonly key: string
  readonly why: DropReason
}

/** What `sanitise` made of a carrier: every own key is either kept or dropped, never both. */
export interface Sanitised {
  /** The keys kept, as the carrier spells them; their canonical values are in `headers`. */
  readonly kept: ReadonlyArray<string>
  readonly dropped: ReadonlyArray<DroppedKey>
  /** The payload headers, or why the carrier has none (`fromCarrier`'s verdict). */
  readonly headers: Result.Result<Headers, "not an object" | "no propagation headers" | "over the size limit">
}

/**
 * The sanitiser of `fromCarrier`, reporting each own key's fate (for `inspect`, on JSON values): kept, or dropped
 * and why. A key kept can still leave no headers, when together they exceed {@link MAX_PAYLOAD_BYTES}.
 */
export const sanitise = (carrier: unknown): Sanitised => {
  const kept: Array<string> = []
  const dropped: Array<DroppedKey> = []
  const headers = sanitiseRecord(carrier, { kept, dropped })
  return { kept, dropped, headers }
}

/**
 * Whether the headers hold a continuable context: a valid Datadog trace id and parent id, or a valid `traceparent`.
 * The sampling priority is not required (Datadog's JS checkpoints lack it).
 */
export const isValidContext = (headers: Headers): boolean => {
  // Canonical headers hold only values that validated: presence is validity.
  if (CANONICAL.has(headers)) {
    return (
      (headers[DatadogHeaders.X_DATADOG_TRACE_ID] !== undefined &&
        headers[DatadogHeaders.X_DATADOG_PARENT_ID] !== undefined) ||
      headers[Traceparent.TRACEPARENT] !== undefined
    )
  }
  const h = normalize(headers)
  const datadog =
    Option.isSome(DatadogHeaders.parseId(h[DatadogHeaders.X_DATADOG_TRACE_ID])) &&
    Option.isSome(DatadogHeaders.parseId(h[DatadogHeaders.X_DATADOG_PARENT_ID]))
  return datadog || Option.isSome(Traceparent.parse(h[Traceparent.TRACEPARENT]))
}

/**
 * Whether `value` is a carrier as this library writes one (the `_datadog` member of a traced invoke's input): a
 * plain object of string values under allowlisted keys only, every one of them valid, together a continuable
 * context. Anything else under that name is the user's and must be left where it is.
 */
export const isWrittenCarrier = (value: unknown): boolean => {
  if (!isRecord(value)) return false
  try {
    const keys = Object.keys(value)
    if (keys.length === 0 || keys.some((key) => !ALLOWED_KEYS.has(key) || typeof value[key] !== "string")) return false
    const headers = fromRecord(value)
    return Option.isSome(headers) && Object.keys(headers.value).length === keys.length && isValidContext(headers.value)
  } catch {
    return false
  }
}

/**
 * The parent span id as 16 lowercase hex, from the first carrier that holds a valid one: `x-datadog-parent-id`
 * (decimal), then the `traceparent` parent segment, then the `tracestate` `dd=` `p:` entry.
 */
export const parentId = (headers: Headers): Option.Option<string> => {
  const h = normalize(headers)
  const datadog = DatadogHeaders.decimalToHex16(h[DatadogHeaders.X_DATADOG_PARENT_ID])
  if (Option.isSome(datadog)) return datadog
  const w3c = Option.map(Traceparent.parse(h[Traceparent.TRACEPARENT]), (tp) => tp.parentId)
  if (Option.isSome(w3c)) return w3c
  return Option.flatMap(Tracestate.parse(h[Tracestate.TRACESTATE]), Tracestate.ddParentId)
}

/** Whether `parentId` finds one; on canonical headers without converting it. */
export const hasParentId = (headers: Headers): boolean =>
  CANONICAL.has(headers) &&
  (headers[DatadogHeaders.X_DATADOG_PARENT_ID] !== undefined || headers[Traceparent.TRACEPARENT] !== undefined)
    ? true
    : Option.isSome(parentId(headers))

/**
 * The trace id as 32 lowercase hex, from the first style that holds a valid one: Datadog (`_dd.p.tid` of
 * `x-datadog-tags` as the high 64 bits, zeros without it, then `x-datadog-trace-id`), then `traceparent`.
 */
export const traceIdHex = (headers: Headers): Option.Option<string> => {
  if (CANONICAL.has(headers)) return CanonicalHeaders.traceIdHex(headers)
  const h = normalize(headers)
  const high = Option.flatMap(DatadogHeaders.parseTags(h[DatadogHeaders.X_DATADOG_TAGS]), (tags) =>
    Option.fromNullishOr(tags.find((tag) => tag.key === DatadogHeaders.TAG_TID)?.value)
  )
  const datadog = Option.map(
    DatadogHeaders.decimalToHex16(h[DatadogHeaders.X_DATADOG_TRACE_ID]),
    (low) => `${Option.getOrElse(high, () => Hex.ZERO_HEX16)}${low}`
  )
  return Option.isSome(datadog)
    ? datadog
    : Option.map(Traceparent.parse(h[Traceparent.TRACEPARENT]), (tp) => tp.traceId)
}

/**
 * Removes the volatile, per-span fields (SPEC §4.3): `x-datadog-parent-id`, the `traceparent` parent segment (kept
 * as `<version>-<trace-id>-<flags>`) and the `dd=` `p:` entry of `tracestate` (dropping `dd=`, then `tracestate`,
 * when left empty). Everything else is kept. A `traceparent` or `tracestate` that does not parse is kept verbatim.
 */
export const stable = (headers: Headers): Headers => mapValues(headers, stableValue)

// The stable form of one header's value; undefined when nothing of it is compared.
const stableValue = (key: string, value: string): string | undefined => {
  switch (key) {
    case DatadogHeaders.X_DATADOG_PARENT_ID:
      return undefined
    case Traceparent.TRACEPARENT:
      return Option.match(Traceparent.parse(value), {
        onNone: () => value,
        onSome: (tp) => `${tp.version}-${tp.traceId}-${tp.flags}`
      })
    case Tracestate.TRACESTATE:
      return Option.match(Tracestate.parse(value), {
        onNone: () => value,
        onSome: (ts) => Tracestate.format(Tracestate.stripDdParent(ts)) || undefined
      })
    default:
      return value
  }
}

/**
 * Whether a checkpoint must be written: always without a prior, else iff the stable forms differ. The diff is
 * symmetric: a key present on one side only is a difference. Runs on every suspend: it compares key by key and
 * parses a carrier only when its raw values differ (equal raw values have equal stable forms).
 */
export const needsCheckpointUpdate = (prior: Headers | undefined, current: Headers): boolean => {
  if (prior === undefined) return true
  const before = normalize(prior)
  const after = normalize(current)
  // Both canonical (the writer's case: a checkpoint read back and what the tracer injected): their values are in
  // canonical form, whose stable forms need no parse.
  const stableOf = CANONICAL.has(before) && CANONICAL.has(after) ? CanonicalHeaders.stableValue : stableValue
  const differs = (key: string, a: string | undefined, b: string | undefined): boolean => {
    if (a === b) return false
    const stableA = a === undefined ? undefined : stableOf(key, a)
    const stableB = b === undefined ? undefined : stableOf(key, b)
    return stableA !== stableB
  }
  for (const key of Object.keys(before)) if (differs(key, before[key], after[key])) return true
  for (const key of Object.keys(after))
    if (!Object.hasOwn(before, key) && differs(key, undefined, after[key])) return true
  return false
}

/**
 * Rewrites every parent-id carrier present to one anchor (SPEC §4.4): `x-datadog-parent-id` (decimal), the
 * `traceparent` parent segment and the `tracestate` `dd=` `p:` entry (16 lowercase hex; a `tracestate` without a
 * `dd=` member gets none). A carrier that is absent stays absent; one that does not parse is left as is. An anchor
 * that is not 16 lowercase non-zero hex changes nothing.
 */
export const anchor = (headers: Headers, parentIdHex16: string): Headers => {
  const decimal = DatadogHeaders.hex16ToDecimal(parentIdHex16)
  if (Option.isNone(decimal)) return normalize(headers)
  if (CANONICAL.has(headers)) return anchorCanonical(headers, parentIdHex16, decimal.value)
  const anchored = mapValues(headers, (key, value) => {
    switch (key) {
      case DatadogHeaders.X_DATADOG_PARENT_ID:
        return decimal.value
      case Traceparent.TRACEPARENT:
        return Option.match(Traceparent.parse(value), {
          onNone: () => value,
          onSome: (tp) => Traceparent.format({ ...tp, parentId: parentIdHex16 })
        })
      case Tracestate.TRACESTATE:
        return Option.match(Tracestate.parse(value), {
          onNone: () => value,
          onSome: (ts) => Tracestate.format(Tracestate.setDdParent(ts, parentIdHex16))
        })
      default:
        return value
    }
  })
  return anchored
}

/**
 * `anchor` of canonical headers, by slicing instead of parsing (`CanonicalHeaders.anchoredValue`): the result is canonical
 * too (every rewritten value is in canonical form), so it is marked so, within the size bound, and the payload
 * written from it is not validated again when read back.
 */
const anchorCanonical = (headers: Headers, parentIdHex16: string, decimal: string): Headers => {
  const anchored = mapValues(headers, (key, value) =>
    CanonicalHeaders.anchoredValue(key, value, parentIdHex16, decimal)
  )
  markCanonical(anchored)
  return anchored
}

const markCanonical = (headers: Record<string, string>): void => {
  let size = 1
  for (const key of Object.keys(headers)) size += key.length + headers[key]!.length + 6
  if (size > MAX_PAYLOAD_BYTES) return
  Object.freeze(headers)
  CANONICAL.add(headers)
}

const isRecord = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const fromRecord = (carrier: unknown): Option.Option<Headers> => Result.getSuccess(sanitiseRecord(carrier, undefined))

/**
 * The sanitised headers of recent JSON carriers. Sanitising is a pure function of the text, and the same few
 * payloads recur in a container: the one a write just produced is what the next invocation reads. A bounded memo
 * of the valid ones (cleared when full) spares re-validating them; it holds no invocation state, and the headers it
 * hands out are frozen.
 */
const JSON_MEMO = new Map<string, Headers>()
const MAX_JSON_MEMO = 256

const remember = (json: string, headers: Headers): void => {
  if (JSON_MEMO.size >= MAX_JSON_MEMO) JSON_MEMO.clear()
  JSON_MEMO.set(json, headers)
}

/**
 * Registers `headers` (from `fromCarrier`) as the sanitised form of `json`, its `JSON.stringify`: what a writer
 * calls on the payload it sends, so reading it back skips the parse and the validation.
 */
export const rememberJson = (json: string, headers: Headers): void => {
  if (CANONICAL.has(headers) && json.length <= Untrusted.MAX_PARSED_LENGTH) remember(json, headers)
}

// The one sanitiser: `report`, when given, learns each key's fate (the reader passes none and pays nothing for it).
const sanitiseRecord = (
  carrier: unknown,
  report: { readonly kept: Array<string>; readonly dropped: Array<DroppedKey> } | undefined
): Sanitised["headers"] => {
  if (!isRecord(carrier)) return Result.fail("not an object")
  const found = new Map<string, string>()
  for (const rawKey of Object.keys(carrier)) {
    const key = rawKey.toLowerCase()
    const validate = VALIDATORS.get(key)
    let why: DropReason | undefined
    if (validate === undefined) why = "not allowed"
    else if (found.has(key)) why = "duplicate"
    else {
      const value = validate(carrier[rawKey])
      if (Option.isSome(value)) found.set(key, value.value)
      else why = "invalid value"
    }
    if (report !== undefined) {
      if (why === undefined) report.kept.push(rawKey)
      else report.dropped.push({ key: rawKey, why })
    }
  }
  if (found.size === 0) return Result.fail("no propagation headers")
  const headers: Record<string, string> = Object.create(null)
  // Every canonical value is printable ASCII with nothing to escape, so this is the compact JSON's UTF-8 size.
  let size = 1
  for (const key of PAYLOAD_KEYS) {
    const value = found.get(key)
    if (value === undefined) continue
    headers[key] = value
    size += key.length + value.length + 6
  }
  if (size > MAX_PAYLOAD_BYTES) return Result.fail("over the size limit")
  // Frozen: canonical headers are shared (memoised, handed from writer to reader), never edited in place.
  Object.freeze(headers)
  CANONICAL.add(headers)
  return Result.succeed(headers)
}

// Headers built by `fromCarrier` are already lowercase, own and string-valued: `normalize` need not copy them.
const CANONICAL = new WeakSet<object>()

// Lowercase keys, own string values only, the first of keys equal but for case wins; a null-prototype copy.
const normalize = (headers: Headers): Headers =>
  CANONICAL.has(headers) ? headers : mapValues(headers, (_, value) => value)

const mapValues = (headers: Headers, f: (key: string, value: string) => string | undefined): Record<string, string> => {
  const out: Record<string, string> = Object.create(null)
  if (CANONICAL.has(headers)) {
    // Already lowercase, unique, own and string-valued: nothing to skip.
    for (const key of Object.keys(headers)) {
      const mapped = f(key, headers[key]!)
      if (mapped !== undefined) out[key] = mapped
    }
    return out
  }
  const seen = new Set<string>()
  for (const rawKey of Object.keys(headers)) {
    const key = rawKey.toLowerCase()
    const value = headers[rawKey]
    if (seen.has(key) || typeof value !== "string") continue
    seen.add(key)
    const mapped = f(key, value)
    if (mapped !== undefined) out[key] = mapped
  }
  return out
}
