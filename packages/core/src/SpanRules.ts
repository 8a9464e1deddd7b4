/**
 * The span rules (SPEC §5): which span each durable operation gets, its resource, its tags, when it is an error
 * and when it is replayed. They follow Datadog's own integration (dd-trace's `aws-durable-execution-sdk-js` plugin
 * and datadog-lambda-js) tag for tag, so a Datadog user's facets and monitors keep working; the README's "Parity
 * with Datadog's integration" table lists every difference and why. Pure: the plugin feeds in what the SDK's hooks
 * report. Gotcha: the SDK's own `isReplay` is not the replay flag (it is `true` for a retry that runs live).
 */

/** `component` and dd-trace's `_dd.integration` of every durable span: the instrumented library, as Datadog names it. */
export const COMPONENT = "aws-durable-execution-sdk-js"

/** `span.type` of every span this library opens. */
export const SPAN_TYPE = "serverless"

/** The span of one invocation. */
export const LAMBDA_SPAN = "aws.lambda"

/** The span of the durable handler within an invocation. */
export const EXECUTE_SPAN = "aws.durable.execute"

/** What the rules know of an operation: the fields the SDK's plugin hooks report. */
export interface Operation {
  readonly type: string
  readonly subType?: string | undefined
  readonly name?: string | undefined
}

/** Span names by the SDK's operation subtype. */
export const OPERATION_SPAN_NAMES: Readonly<Record<string, string>> = {
  Step: "aws.durable.step",
  Wait: "aws.durable.wait",
  WaitForCondition: "aws.durable.wait_for_condition",
  WaitForCallback: "aws.durable.wait_for_callback",
  Callback: "aws.durable.create_callback",
  Map: "aws.durable.map",
  MapIteration: "aws.durable.child_context",
  Parallel: "aws.durable.parallel",
  ParallelBranch: "aws.durable.child_context",
  RunInChildContext: "aws.durable.child_context",
  ChainedInvoke: "aws.durable.invoke"
}

/** The span name of `operation`; an unknown subtype is named after its type. */
export const spanName = (operation: Operation): string =>
  (operation.subType !== undefined && Object.hasOwn(OPERATION_SPAN_NAMES, operation.subType)
    ? OPERATION_SPAN_NAMES[operation.subType]
    : undefined) ?? `aws.durable.${operation.type.toLowerCase()}`

/** Spans whose children can be many (one per item): their resources would be unbounded. */
const FAN_OUT_SPANS = new Set(["aws.durable.map", "aws.durable.parallel"])

/** Subtypes of the child contexts the SDK opens for one map item or one parallel branch. */
const ITEM_SUBTYPES = new Set(["MapIteration", "ParallelBranch"])

/** The parent span of an operation, as far as the resource rule cares. */
export interface Parent {
  readonly spanName: string
  readonly subType?: string | undefined
}

/** Whether children of `parent` take the low-cardinality resource: under a map or parallel, or one of its items. */
const underFanOut = (parent: Parent | undefined): boolean =>
  parent !== undefined && (FAN_OUT_SPANS.has(parent.spanName) || ITEM_SUBTYPES.has(parent.subType ?? ""))

/**
 * The resource of an operation's span: the operation's name, except for map items, parallel branches and what runs
 * directly in them, whose names vary per item (`double-1`, `double-2`, ...): those take the span name
 * (`aws.durable.step`), as Datadog does. The name stays in `aws.durable.operation_name`.
 */
export const resource = (operation: Operation, parent: Parent | undefined): string =>
  underFanOut(parent) ? spanName(operation) : (operation.name ?? operation.subType ?? operation.type)

/** OpenTelemetry span kind of an operation's span (dd-trace's `span.kind`): a chained invoke calls out. */
export const spanKind = (operation: Operation): "client" | "internal" =>
  operation.subType === "ChainedInvoke" ? "client" : "internal"

/**
 * Statuses whose result the SDK serves from the checkpoint without running the operation. Datadog's plugin counts
 * `SUCCEEDED` and `FAILED`; a timed-out, stopped or cancelled operation is served from the checkpoint too.
 */
const SERVED_FROM_CHECKPOINT = new Set(["SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED", "CANCELLED"])

/**
 * `aws.durable.replayed` of an operation's span: true only for work this invocation did not execute, that is an
 * operation that had already ended when the invocation started (`statusAtStart`, from the state the invocation was
 * given; `undefined` for an operation new in this invocation). A retry attempt, a resumed child context and a wait
 * still running all execute here: not replayed.
 */
export const replayed = (statusAtStart: string | undefined): boolean =>
  statusAtStart !== undefined && SERVED_FROM_CHECKPOINT.has(statusAtStart)

/** `aws.durable.operation_attempt`: Datadog counts attempts from 0, the SDK from 1. */
export const operationAttempt = (sdkAttempt: number): number =>
  Number.isFinite(sdkAttempt) ? Math.max(0, Math.trunc(sdkAttempt) - 1) : 0

/**
 * Whether a failed attempt's span ends with the attempt: yes when the SDK retries it (the operation itself has not
 * failed), so the error stays on the attempt that failed and the next attempt, in this invocation or a later one,
 * gets a span of its own. A last attempt's span ends with the operation.
 */
export const endsWithAttempt = (outcome: string, operationStatus: string | undefined): boolean =>
  outcome === "FAILED" && operationStatus !== "FAILED"

/** Tag values, as the backends take them. */
export type Tags = Readonly<Record<string, string | number | boolean | undefined>>

/** Tags of an operation's span when it starts. */
export const operationTags = (operation: Operation, id: string, statusAtStart: string | undefined): Tags => ({
  component: COMPONENT,
  "aws.durable.operation_name": operation.name,
  "aws.durable.operation_id": id,
  "aws.durable.operation_type": operation.type,
  "aws.durable.operation_subtype": operation.subType,
  "aws.durable.replayed": replayed(statusAtStart)
})

/** Tags of `aws.durable.execute`. Replayed: every invocation after the first replays the handler from the top. */
export const executeTags = (executionArn: string, isFirstInvocation: boolean): Tags => ({
  component: COMPONENT,
  "aws.durable.execution_arn": executionArn,
  "aws.durable.replayed": !isFirstInvocation
})

/** What the `aws.lambda` tags are made of: the Lambda context, and whether a context was continued. */
export interface LambdaInvocation {
  readonly invokedFunctionArn?: string | undefined
  readonly functionName?: string | undefined
  /** Whether the invocation continues an extracted context (any source but none). */
  readonly continued: boolean
}

/** Segments of an unqualified function ARN: `arn:aws:lambda:{region}:{account}:function:{name}`. */
const UNQUALIFIED_ARN_SEGMENTS = 7

/**
 * The function tags of `aws.lambda`, as datadog-lambda-js sets them: `function_arn` lowercase without its version
 * or alias qualifier, which goes to `function_version` (`$LATEST` when unqualified); `functionname` lowercase;
 * `resource_names` the function name; `_dd.parent_source: event` when the trace was continued from the event.
 */
export const lambdaTags = (invocation: LambdaInvocation): Tags => {
  const arn = invocation.invokedFunctionArn?.toLowerCase()
  const segments = arn?.split(":") ?? []
  const qualified = segments.length > UNQUALIFIED_ARN_SEGMENTS
  return {
    function_arn: qualified ? segments.slice(0, UNQUALIFIED_ARN_SEGMENTS).join(":") : arn,
    function_version: arn === undefined ? undefined : qualified ? segments[UNQUALIFIED_ARN_SEGMENTS] : "$LATEST",
    functionname: invocation.functionName?.toLowerCase(),
    resource_names: invocation.functionName,
    "_dd.parent_source": invocation.continued ? "event" : undefined
  }
}
