/**
 * The `aws.lambda` invocation span (SPEC §5, §10), decided without a backend: its options when durable-trace opens
 * it, and the identity tags an outer wrapper's span (datadog-lambda-js, OpenTelemetry's instrumentation) gets when it
 * is the invocation span instead. The Lambda context is untrusted: only its string fields become tags, and reading
 * it never throws.
 */
import * as Option from "effect/Option"
import * as DurableEvent from "./DurableEvent.ts"
import type * as Reader from "./Reader.ts"
import * as SpanRules from "./SpanRules.ts"

/** The Lambda context fields durable-trace reads; a field that is not a string is absent. */
export interface LambdaContext {
  readonly awsRequestId: string | undefined
  readonly invokedFunctionArn: string | undefined
  readonly functionName: string | undefined
}

const stringAt = (value: unknown, key: string): string | undefined => {
  if (typeof value !== "object" || value === null) return undefined
  try {
    const field: unknown = (value as Record<string, unknown>)[key]
    return typeof field === "string" ? field : undefined
  } catch {
    // A getter or Proxy trap that throws: no such field.
    return undefined
  }
}

/** The fields of any value handed over as the Lambda context. */
export const contextOf = (context: unknown): LambdaContext => ({
  awsRequestId: stringAt(context, "awsRequestId"),
  invokedFunctionArn: stringAt(context, "invokedFunctionArn"),
  functionName: stringAt(context, "functionName")
})

/**
 * The epoch ms by which the invocation must return, from what `getRemainingTimeInMillis()` returned at `nowMillis`;
 * undefined when that is not a finite number.
 */
export const deadline = (remainingMillis: unknown, nowMillis: number): number | undefined =>
  typeof remainingMillis === "number" && Number.isFinite(remainingMillis) ? nowMillis + remainingMillis : undefined

/** The execution's identity on the invocation span: its name, its id, and whether this is its first invocation. */
export const identityTags = (event: unknown): SpanRules.Tags => {
  const identity = Option.flatMap(DurableEvent.executionArn(event), DurableEvent.parseExecutionArn)
  return {
    "aws.durable.execution_name": Option.isSome(identity) ? identity.value.name : undefined,
    "aws.durable.execution_id": Option.isSome(identity) ? identity.value.id : undefined,
    "aws.durable.first_invocation": DurableEvent.isFirstInvocation(event)
  }
}

/** What `aws.lambda` is made of. */
export interface Invocation {
  readonly event: unknown
  readonly context: LambdaContext
  /** Whether this is the process's first invocation. */
  readonly coldStart: boolean
  /** Where the reader found the context this invocation continues. */
  readonly source: Reader.Source
  /** Whether the reader found one. */
  readonly continued: boolean
}

/** The options of durable-trace's own `aws.lambda` span, but its parent (the read's context, if any). */
export interface SpanOptions {
  readonly resource: string | undefined
  readonly type: string
  readonly kind: "server"
  readonly tags: SpanRules.Tags
}

/** `aws.lambda`'s options, tagged as datadog-lambda-js tags it, with the execution's identity and the read's source. */
export const spanOptions = (invocation: Invocation): SpanOptions => ({
  resource: invocation.context.functionName,
  type: SpanRules.SPAN_TYPE,
  kind: "server",
  tags: {
    ...identityTags(invocation.event),
    cold_start: invocation.coldStart,
    request_id: invocation.context.awsRequestId,
    ...SpanRules.lambdaTags({
      invokedFunctionArn: invocation.context.invokedFunctionArn,
      functionName: invocation.context.functionName,
      continued: invocation.continued
    }),
    "durable_trace.context_source": invocation.source
  }
})

/**
 * The tags an outer wrapper's invocation span gets: the execution's identity, and the read's source only when
 * durable-trace's reader chose that span's parent (its extractor read every page).
 */
export const adoptedTags = (event: unknown, chosenBy: Option.Option<Reader.Source>): SpanRules.Tags => ({
  ...identityTags(event),
  "durable_trace.context_source": Option.getOrUndefined(chosenBy)
})
