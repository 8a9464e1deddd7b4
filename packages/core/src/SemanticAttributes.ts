/**
 * The attributes durable-trace puts on its spans, declared once by meaning and named per convention (SPEC §5.1):
 * Datadog's `aws.durable.*` and Lambda tags, which every span carries as built (dd-trace keeps them), and
 * OpenTelemetry's `faas.*` / `cloud.*` and the `durable.*` names of AWS's OpenTelemetry plugin for the same SDK,
 * which the OpenTelemetry backend adds in its one mapping (`toOpenTelemetry`). Pure; no vendor types.
 */
import { LAMBDA_SPAN } from "./SpanRules.ts"

/** One attribute: its meaning, its Datadog tag and its OpenTelemetry name. */
export interface Attribute {
  readonly meaning: string
  readonly datadog: string
  readonly openTelemetry: string
}

/** Every attribute with a name in both conventions, by meaning. */
export const ATTRIBUTES = {
  invocationId: { meaning: "the Lambda request id", datadog: "request_id", openTelemetry: "faas.invocation_id" },
  coldStart: { meaning: "first invocation in this process", datadog: "cold_start", openTelemetry: "faas.coldstart" },
  functionName: { meaning: "the Lambda function", datadog: "functionname", openTelemetry: "faas.name" },
  resourceId: { meaning: "the function ARN", datadog: "function_arn", openTelemetry: "cloud.resource_id" },
  firstInvocation: {
    meaning: "the execution's first invocation",
    datadog: "aws.durable.first_invocation",
    openTelemetry: "durable.invocation.first"
  },
  invocationNumber: {
    meaning: "which invocation of its execution this is, from 1 (where known, SPEC §11)",
    datadog: "aws.durable.invocation_number",
    openTelemetry: "durable.invocation.number"
  },
  invocationCount: {
    meaning: "the execution span's number of invocations (where known, SPEC §11)",
    datadog: "aws.durable.invocation_count",
    openTelemetry: "durable.execution.invocation_count"
  },
  executionArn: {
    meaning: "the durable execution",
    datadog: "aws.durable.execution_arn",
    openTelemetry: "durable.execution.arn"
  },
  operationId: {
    meaning: "the operation's id",
    datadog: "aws.durable.operation_id",
    openTelemetry: "durable.operation.id"
  },
  operationName: {
    meaning: "the operation's name",
    datadog: "aws.durable.operation_name",
    openTelemetry: "durable.operation.name"
  },
  operationType: {
    meaning: "the operation's type (STEP, WAIT, ...)",
    datadog: "aws.durable.operation_type",
    openTelemetry: "durable.operation.type"
  },
  operationSubtype: {
    meaning: "the operation's subtype (Step, Wait, ...)",
    datadog: "aws.durable.operation_subtype",
    openTelemetry: "durable.operation.subtype"
  },
  operationAttempt: {
    meaning: "the attempt number: Datadog counts from 0, the SDK and AWS's plugin from 1",
    datadog: "aws.durable.operation_attempt",
    openTelemetry: "durable.operation.attempt"
  },
  attemptNumber: {
    meaning: "an attempt span's attempt, from 1",
    datadog: "aws.durable.attempt",
    openTelemetry: "durable.attempt.number"
  },
  attemptOutcome: {
    meaning: "an attempt span's outcome (succeeded, failed)",
    datadog: "aws.durable.attempt_outcome",
    openTelemetry: "durable.attempt.outcome"
  }
} as const satisfies Record<string, Attribute>

/** What OpenTelemetry's semantic conventions fix for every Lambda invocation span. */
export const LAMBDA_CONSTANTS = { "cloud.provider": "aws", "cloud.platform": "aws_lambda" } as const

/** Attributes scoped to the whole execution: every span below the one that carries them carries them too. */
export const EXECUTION_SCOPED: ReadonlyArray<string> = [ATTRIBUTES.executionArn.openTelemetry]

const OPEN_TELEMETRY: ReadonlyMap<string, string> = new Map(
  Object.values(ATTRIBUTES).map((attribute) => [attribute.datadog, attribute.openTelemetry])
)

type Value = string | number | boolean

const BOOLEANS: ReadonlySet<string> = new Set([
  ATTRIBUTES.coldStart.openTelemetry,
  ATTRIBUTES.firstInvocation.openTelemetry
])

/** A Datadog value in OpenTelemetry's terms: booleans as booleans (Datadog files strings), attempts from 1. */
const convert = (name: string, value: Value): Value => {
  if (BOOLEANS.has(name)) return value === true || value === "true"
  if (name === ATTRIBUTES.operationAttempt.openTelemetry && typeof value === "number") return value + 1
  return value
}

/**
 * The OpenTelemetry attributes of a span named `spanName` with Datadog `tags`: the tags as they are, plus the
 * OpenTelemetry name of each one that has one, plus the invocation span's `cloud.*` constants.
 */
export const toOpenTelemetry = (spanName: string, tags: Readonly<Record<string, Value>>): Record<string, Value> => {
  const out: Record<string, Value> = { ...tags }
  for (const key of Object.keys(tags)) {
    const name = OPEN_TELEMETRY.get(key)
    if (name === undefined) continue
    const value = tags[key]!
    out[name] = convert(name, value)
  }
  if (spanName === LAMBDA_SPAN) Object.assign(out, LAMBDA_CONSTANTS)
  return out
}
