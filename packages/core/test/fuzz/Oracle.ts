/**
 * The fuzz oracles (issue 8): what must hold for any input. The central one is computed independently of the
 * reader's precedence and paths: every carrier anywhere in the input (objects, JSON strings, base64 JSON, first
 * values of header lists, in the event, its pages and the Lambda context) is sanitised with `Headers.fromCarrier`
 * and kept if `Headers.isValidContext`; a continued context must match one of them, trace id and parent id both,
 * read back with regexes of its own. So the reader can never continue a context nobody sent.
 */
import * as Option from "effect/Option"
import * as Headers from "../../src/Headers.ts"
import { POLLUTION } from "./Generate.ts"

/** An oracle violation: the case that broke it is reported with the seed that replays it. */
export class Violation extends Error {
  override readonly name = "Violation"
}

export const check = (condition: boolean, message: string): void => {
  if (!condition) throw new Violation(message)
}

/** A context as the reader returns it: 32-hex trace id, 16-hex parent span id. */
export interface Ids {
  readonly traceId: string
  readonly spanId: string
}

const atob = (globalThis as unknown as { readonly atob: (data: string) => string }).atob
const MAX_DECODED = 2 * 1024 * 1024
const MAX_DEPTH = 64

// JSON objects, arrays, and JSON strings (a payload encoded twice is still the sender's carrier).
const parseMaybe = (text: string): unknown => {
  const first = text.trimStart()[0]
  if (text.length > MAX_DECODED || (first !== "{" && first !== "[" && first !== '"')) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const base64Maybe = (text: string): unknown => {
  if (text.length < 8 || text.length > MAX_DECODED || !/^[A-Za-z0-9+/=]+$/.test(text)) return undefined
  try {
    return parseMaybe(atob(text))
  } catch {
    return undefined
  }
}

/**
 * Every valid carrier in `roots`: each object, each object a JSON or base64 string decodes to, and each object's
 * first-values view (HTTP `multiValueHeaders`), down to a depth no reader path comes near.
 */
export const validCarriers = (...roots: ReadonlyArray<unknown>): Array<Headers.Headers> => {
  const found: Array<Headers.Headers> = []
  const stack: Array<{ readonly value: unknown; readonly depth: number }> = roots.map((value) => ({ value, depth: 0 }))
  const consider = (candidate: unknown) => {
    const headers = Headers.fromCarrier(candidate)
    if (Option.isSome(headers) && Headers.isValidContext(headers.value)) found.push(headers.value)
  }
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!
    if (depth > MAX_DEPTH) continue
    if (typeof value === "string") {
      const decoded = parseMaybe(value) ?? base64Maybe(value)
      if (decoded !== undefined) stack.push({ value: decoded, depth: depth + 1 })
      continue
    }
    if (typeof value !== "object" || value === null) continue
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, depth: depth + 1 })
      continue
    }
    consider(value)
    const firsts: Record<string, unknown> = Object.create(null)
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key]
      if (Array.isArray(child)) firsts[key] = child[0]
      stack.push({ value: child, depth: depth + 1 })
    }
    consider(firsts)
  }
  return found
}

const DECIMAL = /^[0-9]{1,20}$/
const hex16OfDecimal = (value: string | undefined): string | undefined =>
  value !== undefined && DECIMAL.test(value) ? BigInt(value).toString(16).padStart(16, "0") : undefined

/** The trace ids (32 hex) a carrier holds, read without the library's parsers. */
export const traceIdsOf = (headers: Headers.Headers): Array<string> => {
  const ids: Array<string> = []
  const low = hex16OfDecimal(headers["x-datadog-trace-id"])
  if (low !== undefined) {
    const tid = /(?:^|,)_dd\.p\.tid=([0-9a-f]{16})(?:,|$)/.exec(headers["x-datadog-tags"] ?? "")?.[1]
    ids.push(`${tid ?? "0000000000000000"}${low}`)
  }
  const traceparent = headers.traceparent?.split("-")
  if (traceparent?.[1] !== undefined) ids.push(traceparent[1])
  return ids
}

/** The parent span ids (16 hex) a carrier holds, read without the library's parsers. */
export const parentIdsOf = (headers: Headers.Headers): Array<string> => {
  const ids: Array<string> = []
  const datadog = hex16OfDecimal(headers["x-datadog-parent-id"])
  if (datadog !== undefined) ids.push(datadog)
  const traceparent = headers.traceparent?.split("-")
  if (traceparent?.[2] !== undefined) ids.push(traceparent[2])
  const dd = /(?:^|,)\s*dd=([^,]*)/.exec(headers.tracestate ?? "")?.[1]
  const p = dd === undefined ? undefined : /(?:^|;)\s*p:([0-9a-f]{16})\s*(?:;|$)/.exec(dd)?.[1]
  if (p !== undefined) ids.push(p)
  return ids
}

/** Whether one carrier holds both the trace id and the parent id of `ids`. */
export const carriedBy = (ids: Ids, carriers: ReadonlyArray<Headers.Headers>): boolean =>
  carriers.some((headers) => traceIdsOf(headers).includes(ids.traceId) && parentIdsOf(headers).includes(ids.spanId))

/** SPEC §4.6, spelled out here rather than taken from the code under test. */
export const ALLOWED: ReadonlySet<string> = new Set([
  "x-datadog-trace-id",
  "x-datadog-parent-id",
  "x-datadog-sampling-priority",
  "x-datadog-origin",
  "x-datadog-tags",
  "traceparent",
  "tracestate"
])
const PRINTABLE = /^[\x20-\x7e]*$/
const PROTO_KEYS = ["__proto__", "constructor", "prototype"]

/** SPEC §4.6 for sanitised headers: allowlisted keys only, printable values, size caps, no prototype. */
export const checkSanitised = (headers: Headers.Headers, what: string): void => {
  check(Object.getPrototypeOf(headers) === null, `${what}: headers have a prototype`)
  for (const key of PROTO_KEYS) check(!Object.hasOwn(headers, key), `${what}: own key ${key}`)
  for (const key of Object.keys(headers)) {
    check(ALLOWED.has(key), `${what}: key ${JSON.stringify(key)} is not allowlisted`)
    const value = headers[key]
    check(typeof value === "string" && PRINTABLE.test(value), `${what}: ${key} is not printable ASCII`)
  }
  check(JSON.stringify(headers).length <= Headers.MAX_PAYLOAD_BYTES, `${what}: payload over 1 KiB`)
  check((headers["x-datadog-tags"] ?? "").length <= Headers.MAX_TAGS_BYTES, `${what}: x-datadog-tags over 512 B`)
}

const OBJECT_PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).join(",")
const ARRAY_PROTOTYPE_KEYS = Object.getOwnPropertyNames(Array.prototype).join(",")

/** No prototype was polluted by anything the case did. */
export const checkPrototypes = (): void => {
  check(!(POLLUTION in {}), "Object.prototype polluted")
  check(!(POLLUTION in []), "Array.prototype polluted")
  check(Object.getOwnPropertyNames(Object.prototype).join(",") === OBJECT_PROTOTYPE_KEYS, "Object.prototype changed")
  check(Object.getOwnPropertyNames(Array.prototype).join(",") === ARRAY_PROTOTYPE_KEYS, "Array.prototype changed")
}
