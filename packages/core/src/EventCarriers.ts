/**
 * Trace carriers outside the durable state (SPEC §3 steps 2 and 4): headers of HTTP events, `_datadog`
 * attributes of SQS, SNS, EventBridge, Kinesis and Step Functions events, and the Lambda client context.
 * Pure look-ups returning raw carriers; `Headers.fromCarrier` validates whatever they return. Only the first
 * record of a batch is read, as Datadog's extractors do.
 */
import * as Option from "effect/Option"
import * as DatadogHeaders from "./DatadogHeaders.ts"
import * as DurableEvent from "./DurableEvent.ts"
import * as Headers from "./Headers.ts"
import * as Untrusted from "./Untrusted.ts"

const DATADOG = DatadogHeaders.DATADOG_CARRIER
const MAX_ATTRIBUTE_LENGTH = 64 * 1024

const get = Untrusted.field

const firstRecord = (event: unknown): unknown => {
  const records = get(event, "Records")
  return Untrusted.isArray(records) ? Untrusted.attempt(() => records[0], undefined) : undefined
}

const decodeBase64 = (value: unknown): string | undefined => {
  const atob = (globalThis as { readonly atob?: (data: string) => string }).atob
  if (typeof value !== "string" || value.length > MAX_ATTRIBUTE_LENGTH || atob === undefined) return undefined
  try {
    return atob(value)
  } catch {
    return undefined
  }
}

const jsonObject = (text: string | undefined): unknown =>
  text === undefined ? undefined : DurableEvent.parseJson(text, MAX_ATTRIBUTE_LENGTH)

/** HTTP (API Gateway, function URL, ALB): `headers`, else the first value of each `multiValueHeaders`. */
const http = (event: unknown): unknown => {
  const headers = get(event, "headers")
  if (typeof headers === "object" && headers !== null) return headers
  const multi = get(event, "multiValueHeaders")
  if (typeof multi !== "object" || multi === null) return undefined
  return Untrusted.attempt(() => {
    const first: Record<string, unknown> = Object.create(null)
    for (const key of Object.keys(multi)) {
      const values = (multi as Record<string, unknown>)[key]
      if (Untrusted.isArray(values)) first[key] = values[0]
    }
    return first
  }, undefined)
}

/** SQS: `messageAttributes._datadog` as `stringValue` JSON or `binaryValue` base64 JSON. */
const sqs = (record: unknown): unknown => {
  const attribute = get(get(record, "messageAttributes"), DATADOG)
  const text = get(attribute, "stringValue")
  return jsonObject(typeof text === "string" ? text : decodeBase64(get(attribute, "binaryValue")))
}

/** SNS: `Sns.MessageAttributes._datadog` as a `String` or base64 `Binary` value. */
const sns = (record: unknown): unknown => {
  const attribute = get(get(get(record, "Sns"), "MessageAttributes"), DATADOG)
  const value = get(attribute, "Value")
  if (get(attribute, "Type") === "Binary") return jsonObject(decodeBase64(value))
  return jsonObject(typeof value === "string" ? value : undefined)
}

/** Kinesis: base64 JSON `data` with a `_datadog` member. */
const kinesis = (record: unknown): unknown =>
  get(jsonObject(decodeBase64(get(get(record, "kinesis"), "data"))), DATADOG)

/**
 * The carrier of an event-source event, if `event` is one: HTTP headers, SQS, SNS, Kinesis, EventBridge
 * (`detail._datadog`) or a Step Functions payload (`_datadog`).
 */
export const fromEventSource = (event: unknown): Option.Option<Headers.Headers> => {
  const record = firstRecord(event)
  const carrier =
    record !== undefined
      ? (sqs(record) ?? sns(record) ?? kinesis(record))
      : (http(event) ?? get(get(event, "detail"), DATADOG) ?? get(event, DATADOG))
  return carrier === undefined ? Option.none() : Headers.fromCarrier(carrier)
}

/** A Lambda context's `clientContext.custom._datadog`, else `clientContext.custom` (SPEC §3 step 4). */
export const fromClientContext = (lambdaContext: unknown): Option.Option<Headers.Headers> => {
  const custom = get(get(lambdaContext, "clientContext"), "custom")
  const carrier = get(custom, DATADOG)
  return Headers.fromCarrier(carrier !== undefined ? carrier : custom)
}

/**
 * The caller's context in a durable execution's original input (SPEC §3.3c): its `_datadog` object, its
 * `headers` object, or the input itself as a carrier.
 */
export const fromExecutionInput = (input: unknown): Option.Option<Headers.Headers> => {
  for (const carrier of [get(input, DATADOG), get(input, "headers"), input]) {
    const headers = Headers.fromCarrier(carrier)
    if (Option.isSome(headers) && Headers.isValidContext(headers.value)) return headers
  }
  return Option.none()
}
