/**
 * The `DurableExecutions` port over `@aws-sdk/client-lambda`: `GetDurableExecution`,
 * `GetDurableExecutionHistory`, `GetDurableExecutionState` and `ListDurableExecutionsByFunction`, read-only. Throttling, 5xx and timeouts
 * are retried by the SDK's own standard retry strategy (exponential backoff with jitter, a retry token bucket);
 * this adapter only translates the SDK's final error into the port's. Credentials come from the SDK's default
 * chain (env, `--profile`, SSO, instance roles).
 */
import {
  GetDurableExecutionCommand,
  GetDurableExecutionHistoryCommand,
  GetDurableExecutionStateCommand,
  LambdaClient,
  ListDurableExecutionsByFunctionCommand
} from "@aws-sdk/client-lambda"
import {
  ACTIONS,
  type Action,
  DurableExecutions,
  DurableExecutionsError,
  type ExecutionSummary,
  type Reason
} from "@durable-trace/core/DurableExecutions"
import type { ExecutionStatus } from "@durable-trace/core/ExecutionHistory"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

/** How the client is built. */
export interface Options {
  readonly region?: string | undefined
  readonly profile?: string | undefined
  /** Another endpoint than the region's (a VPC endpoint, a local test server). */
  readonly endpoint?: string | undefined
  /** Attempts per request, the first included (the SDK's `maxAttempts`); default 4. */
  readonly maxAttempts?: number | undefined
  /** Time limit of one attempt; default 10 s. */
  readonly requestTimeoutMillis?: number | undefined
}

/** Page size of history and listing requests (the service's maximum is 1000). */
export const MAX_ITEMS = 1000

const nameOf = (cause: unknown): string =>
  typeof cause === "object" && cause !== null && typeof (cause as { name?: unknown }).name === "string"
    ? (cause as { name: string }).name
    : "Error"

const statusOf = (cause: unknown): number | undefined => {
  const metadata =
    typeof cause === "object" && cause !== null ? (cause as { $metadata?: unknown }).$metadata : undefined
  const status =
    typeof metadata === "object" && metadata !== null
      ? (metadata as { httpStatusCode?: unknown }).httpStatusCode
      : undefined
  return typeof status === "number" ? status : undefined
}

const codeOf = (cause: unknown): string | undefined => {
  const code = typeof cause === "object" && cause !== null ? (cause as { code?: unknown }).code : undefined
  return typeof code === "string" ? code : undefined
}

/** The port's reason for the SDK's final error. */
export const reasonOf = (cause: unknown): Reason => {
  const name = nameOf(cause)
  const status = statusOf(cause)
  if (name === "AccessDeniedException" || name === "UnrecognizedClientException" || status === 403) {
    return "access_denied"
  }
  if (name === "ResourceNotFoundException" || status === 404) return "not_found"
  if (name === "TooManyRequestsException" || status === 429) return "throttled"
  if (name === "TimeoutError" || name === "RequestTimeout" || codeOf(cause) === "ETIMEDOUT") return "timeout"
  if (status !== undefined && status >= 500) return "service"
  if (status !== undefined && status >= 400) return "invalid_request"
  // No response and no socket error: the client could not even be set up (no region, no credentials).
  if (status === undefined && codeOf(cause) === undefined) return "configuration"
  return "network"
}

const detailOf = (cause: unknown): string => {
  const message =
    typeof cause === "object" && cause !== null && typeof (cause as { message?: unknown }).message === "string"
      ? (cause as { message: string }).message
      : String(cause)
  return `${nameOf(cause)}: ${message}`.replace(/\s+/g, " ").slice(0, 300)
}

const call = <A>(action: Action, resource: string, send: (signal: AbortSignal) => Promise<A>) =>
  Effect.tryPromise({
    try: send,
    catch: (cause) =>
      new DurableExecutionsError({ action, resource, reason: reasonOf(cause), detail: detailOf(cause), cause })
  })

const STATUSES: ReadonlySet<string> = new Set(["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"])

const iso = (value: unknown): string | undefined =>
  value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : undefined

const summaryOf = (execution: {
  readonly DurableExecutionArn?: string | undefined
  readonly DurableExecutionName?: string | undefined
  readonly FunctionArn?: string | undefined
  readonly Status?: string | undefined
  readonly StartTimestamp?: Date | undefined
  readonly EndTimestamp?: Date | undefined
}): ExecutionSummary => ({
  arn: execution.DurableExecutionArn ?? "",
  name: execution.DurableExecutionName,
  functionArn: execution.FunctionArn,
  status:
    execution.Status !== undefined && STATUSES.has(execution.Status)
      ? (execution.Status as ExecutionStatus)
      : undefined,
  startTimestamp: iso(execution.StartTimestamp),
  endTimestamp: iso(execution.EndTimestamp)
})

const markerOf = (marker: string | undefined): Option.Option<string> =>
  marker === undefined || marker === "" ? Option.none() : Option.some(marker)

/**
 * One page of an execution's history or state from `marker` on: `send` gets the paging fields both requests share
 * (the execution, a full page, the marker), `decode` turns the response into the port's page.
 */
const page = <O, P>(
  action: Action,
  executionArn: string,
  marker: Option.Option<string>,
  send: (
    input: { readonly DurableExecutionArn: string; readonly MaxItems: number; readonly Marker: string | undefined },
    abortSignal: AbortSignal
  ) => Promise<O>,
  decode: (output: O) => P
) =>
  Effect.map(
    call(action, executionArn, (abortSignal) =>
      send(
        { DurableExecutionArn: executionArn, MaxItems: MAX_ITEMS, Marker: Option.getOrUndefined(marker) },
        abortSignal
      )
    ),
    decode
  )

/** One page of the port from a response's items and its next marker. */
const pageFrom = <A>(items: ReadonlyArray<A> | undefined, nextMarker: string | undefined) => ({
  items: items ?? [],
  nextMarker: markerOf(nextMarker)
})

/** The port over a client the caller owns. Only `Get*` and `List*` commands are ever sent. */
export const make = (client: LambdaClient): DurableExecutions["Service"] =>
  DurableExecutions.of({
    describe: (executionArn) =>
      Effect.map(
        call(ACTIONS.describe, executionArn, (abortSignal) =>
          client.send(new GetDurableExecutionCommand({ DurableExecutionArn: executionArn }), { abortSignal })
        ),
        summaryOf
      ),
    history: (executionArn, marker) =>
      page(
        ACTIONS.history,
        executionArn,
        marker,
        (input, abortSignal) =>
          client.send(new GetDurableExecutionHistoryCommand({ ...input, IncludeExecutionData: true }), { abortSignal }),
        (output) => pageFrom(output.Events, output.NextMarker)
      ),
    state: (executionArn, checkpointToken, marker) =>
      page(
        ACTIONS.state,
        executionArn,
        marker,
        (input, abortSignal) =>
          client.send(new GetDurableExecutionStateCommand({ ...input, CheckpointToken: checkpointToken }), {
            abortSignal
          }),
        (output) => pageFrom(output.Operations, output.NextMarker)
      ),
    list: (functionName, { startedAfter, marker, maxItems }) =>
      Effect.map(
        call(ACTIONS.list, functionName, (abortSignal) =>
          client.send(
            new ListDurableExecutionsByFunctionCommand({
              FunctionName: functionName,
              StartedAfter: startedAfter,
              ReverseOrder: true,
              MaxItems: Math.min(MAX_ITEMS, Math.max(1, maxItems)),
              Marker: Option.getOrUndefined(marker)
            }),
            { abortSignal }
          )
        ),
        (output) => ({
          items: (output.DurableExecutions ?? []).map(summaryOf),
          nextMarker: markerOf(output.NextMarker)
        })
      )
  })

/** A client for `options`: the SDK's standard retry mode, a per-attempt time limit. */
export const client = (options: Options = {}): LambdaClient =>
  new LambdaClient({
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.profile === undefined ? {} : { profile: options.profile }),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    retryMode: "standard",
    maxAttempts: options.maxAttempts ?? 4,
    requestHandler: {
      requestTimeout: options.requestTimeoutMillis ?? 10_000,
      connectionTimeout: options.requestTimeoutMillis ?? 10_000
    }
  })

/** The port with a client built from `options`, destroyed (its sockets closed) when the layer is released. */
export const layer = (options: Options = {}): Layer.Layer<DurableExecutions> =>
  Layer.effect(
    DurableExecutions,
    Effect.map(
      Effect.acquireRelease(
        Effect.sync(() => client(options)),
        (lambda) => Effect.sync(() => lambda.destroy())
      ),
      make
    )
  )
