/**
 * The read-only port over Lambda's durable-execution API that `durable-trace inspect --execution` and
 * `durable-trace audit` use: describe an execution, page its history, page a function's executions. Nothing
 * here writes. The `@aws-sdk/client-lambda` adapter implements it (retries and backoff are the SDK's own);
 * `allPages` is the one paging policy, bounded in pages and refusing a marker that repeats.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as ExecutionHistory from "./ExecutionHistory.ts"

/** The IAM actions the port needs, one per call: the read-only policy of the commands. */
export const ACTIONS = {
  describe: "lambda:GetDurableExecution",
  history: "lambda:GetDurableExecutionHistory",
  state: "lambda:GetDurableExecutionState",
  list: "lambda:ListDurableExecutionsByFunction"
} as const

/** One IAM action of `ACTIONS`. */
export type Action = (typeof ACTIONS)[keyof typeof ACTIONS]

/** Why a call failed, for the one line the CLI prints. */
export type Reason =
  | "access_denied"
  | "not_found"
  | "throttled"
  | "timeout"
  | "service"
  | "invalid_request"
  | "network"
  | "configuration"
  | "repeating_marker"
  | "too_many_pages"

/** A failed call: which action, why, and the service's own message. */
export class DurableExecutionsError extends Data.TaggedError("DurableExecutionsError")<{
  readonly action: Action
  readonly reason: Reason
  /** The resource asked about: an execution ARN or a function. */
  readonly resource: string
  readonly detail: string
  readonly cause?: unknown
}> {
  override get message(): string {
    switch (this.reason) {
      case "access_denied":
        return `access denied: the caller may not ${this.action} on ${this.resource} (grant it: see the read-only policy in the README)`
      case "not_found":
        return `not found: ${this.resource} (${this.action}: ${this.detail})`
      case "throttled":
        return `throttled: ${this.action} still refused after the SDK's retries (${this.detail})`
      case "configuration":
        return `${this.action} not sent: ${this.detail} (set --region or --profile, or the AWS_* environment)`
      case "timeout":
        return `timed out: ${this.action} on ${this.resource} (${this.detail})`
      default:
        return `${this.action} on ${this.resource} failed: ${this.reason.replace(/_/g, " ")}: ${this.detail}`
    }
  }
}

/** An execution as `GetDurableExecution` and `ListDurableExecutionsByFunction` describe it. */
export interface ExecutionSummary {
  readonly arn: string
  readonly name: string | undefined
  readonly functionArn: string | undefined
  readonly status: ExecutionHistory.ExecutionStatus | undefined
  /** ISO 8601. */
  readonly startTimestamp: string | undefined
  readonly endTimestamp: string | undefined
}

/** One page of a listing. */
export interface Page<A> {
  readonly items: ReadonlyArray<A>
  readonly nextMarker: Option.Option<string>
}

/** The port. */
export class DurableExecutions extends Context.Service<
  DurableExecutions,
  {
    /** `GetDurableExecution`. */
    readonly describe: (executionArn: string) => Effect.Effect<ExecutionSummary, DurableExecutionsError>
    /** One page of `GetDurableExecutionHistory`, with execution data (step results). */
    readonly history: (
      executionArn: string,
      marker: Option.Option<string>
    ) => Effect.Effect<Page<unknown>, DurableExecutionsError>
    /**
     * One page of `GetDurableExecutionState`. The service requires the checkpoint token of an invocation (from
     * its event), so it is read only when the user has one.
     */
    readonly state: (
      executionArn: string,
      checkpointToken: string,
      marker: Option.Option<string>
    ) => Effect.Effect<Page<unknown>, DurableExecutionsError>
    /** One page of `ListDurableExecutionsByFunction`, newest first, started after `startedAfter`. */
    readonly list: (
      functionName: string,
      options: { readonly startedAfter: Date; readonly marker: Option.Option<string>; readonly maxItems: number }
    ) => Effect.Effect<Page<ExecutionSummary>, DurableExecutionsError>
  }
>()("@durable-trace/core/DurableExecutions") {}

/** At most this many pages of one listing are read. */
export const MAX_PAGES = 1000

/**
 * Every item of a paged listing, in order: `fetch` from no marker on, until a page has no marker, `limit`
 * items are in hand, or `maxPages` pages were read (`too_many_pages`). A marker seen before fails with
 * `repeating_marker` instead of looping.
 */
export const allPages = <A>(
  fetch: (marker: Option.Option<string>) => Effect.Effect<Page<A>, DurableExecutionsError>,
  context: { readonly action: Action; readonly resource: string },
  options: { readonly limit?: number | undefined; readonly maxPages?: number | undefined } = {}
): Effect.Effect<ReadonlyArray<A>, DurableExecutionsError> =>
  Effect.gen(function* () {
    const limit = options.limit ?? Number.POSITIVE_INFINITY
    const maxPages = options.maxPages ?? MAX_PAGES
    const items: Array<A> = []
    const seen = new Set<string>()
    let marker = Option.none<string>()
    for (let pages = 0; ; pages++) {
      if (pages >= maxPages) {
        return yield* new DurableExecutionsError({
          ...context,
          reason: "too_many_pages",
          detail: `more than ${maxPages} pages`
        })
      }
      const page = yield* fetch(marker)
      for (const item of page.items) {
        if (items.length >= limit) break
        items.push(item)
      }
      if (Option.isNone(page.nextMarker) || items.length >= limit) return items
      if (seen.has(page.nextMarker.value)) {
        return yield* new DurableExecutionsError({
          ...context,
          reason: "repeating_marker",
          detail: `the service returned marker ${page.nextMarker.value} twice`
        })
      }
      seen.add(page.nextMarker.value)
      marker = page.nextMarker
    }
  })

/** The parts of a durable execution ARN: `arn:{partition}:lambda:{region}:{account}:function:{name}[:{qualifier}]/durable-execution/{execution}/{id}`. */
export interface ExecutionArn {
  readonly region: string
  readonly account: string
  readonly functionName: string
  readonly qualifier: string | undefined
  readonly execution: string
  readonly id: string
}

const EXECUTION_ARN =
  /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([A-Za-z0-9_-]{1,140})(?::([A-Za-z0-9$_-]{1,128}))?\/durable-execution\/([^/\s]{1,256})\/([^/\s]{1,256})$/

/** Parses a durable execution ARN; none when it is not one. */
export const parseExecutionArn = (arn: string): Option.Option<ExecutionArn> => {
  const match = EXECUTION_ARN.exec(arn)
  if (match === null) return Option.none()
  return Option.some({
    region: match[1]!,
    account: match[2]!,
    functionName: match[3]!,
    qualifier: match[4],
    execution: match[5]!,
    id: match[6]!
  })
}

const FUNCTION_ARN =
  /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:[A-Za-z0-9_-]{1,140}(?::[A-Za-z0-9$_-]{1,128})?$/
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,140}(?::[A-Za-z0-9$_-]{1,128})?$/

/** A function name or ARN as `ListDurableExecutionsByFunction` takes it, with the region an ARN names. */
export const parseFunction = (
  name: string
): Option.Option<{ readonly functionName: string; readonly region: string | undefined }> => {
  const arn = FUNCTION_ARN.exec(name)
  if (arn !== null) return Option.some({ functionName: name, region: arn[1] })
  return FUNCTION_NAME.test(name) ? Option.some({ functionName: name, region: undefined }) : Option.none()
}

/** What `inspectExecution` read: the execution, its whole history, and its state when a token was given. */
export interface FetchedExecution {
  readonly execution: ExecutionSummary
  readonly events: ReadonlyArray<unknown>
  /** Every page of `GetDurableExecutionState`, when read. */
  readonly operations: Option.Option<ReadonlyArray<unknown>>
}

/**
 * An execution and every page of its history, and of its state when `checkpointToken` is given: the
 * listings in parallel, each page after the one before.
 */
export const fetchExecution = (
  executionArn: string,
  checkpointToken: Option.Option<string> = Option.none()
): Effect.Effect<FetchedExecution, DurableExecutionsError, DurableExecutions> =>
  Effect.gen(function* () {
    const port = yield* DurableExecutions
    const context = { resource: executionArn }
    const [execution, events, operations] = yield* Effect.all(
      [
        port.describe(executionArn),
        allPages((marker) => port.history(executionArn, marker), { ...context, action: ACTIONS.history }),
        Option.match(checkpointToken, {
          onNone: () => Effect.succeed(Option.none<ReadonlyArray<unknown>>()),
          onSome: (token) =>
            Effect.map(
              allPages((marker) => port.state(executionArn, token, marker), { ...context, action: ACTIONS.state }),
              Option.some
            )
        })
      ],
      { concurrency: 3 }
    )
    return { execution, events, operations }
  })

/** One audited execution: its verdict, or why it could not be read. */
export interface Audited {
  readonly execution: ExecutionSummary
  readonly analysis: Result.Result<ExecutionHistory.Analysis, DurableExecutionsError>
}

/** Options of `audit`. */
export interface AuditOptions {
  readonly since: Date
  readonly limit: number
  /** Histories read at once. */
  readonly concurrency: number
  /** Called after each execution is audited, with how many are done out of how many. */
  readonly progress?: ((done: number, total: number) => Effect.Effect<void>) | undefined
}

/**
 * The function's executions started since `since` (newest first, at most `limit`), each analysed from its
 * history, `concurrency` at a time. An execution whose history cannot be read is listed with its error; access
 * denied fails the whole audit (every other execution would fail the same way).
 */
export const audit = (
  functionName: string,
  options: AuditOptions
): Effect.Effect<ReadonlyArray<Audited>, DurableExecutionsError, DurableExecutions> =>
  Effect.gen(function* () {
    const port = yield* DurableExecutions
    const executions = yield* allPages(
      (marker) => port.list(functionName, { startedAfter: options.since, marker, maxItems: options.limit }),
      { action: ACTIONS.list, resource: functionName },
      { limit: options.limit }
    )
    let done = 0
    return yield* Effect.forEach(
      executions,
      (execution) =>
        allPages((marker) => port.history(execution.arn, marker), {
          action: ACTIONS.history,
          resource: execution.arn
        }).pipe(
          Effect.map((events) => ExecutionHistory.analyse(execution.arn, events, execution.status)),
          Effect.result,
          Effect.flatMap((analysis) =>
            Result.isFailure(analysis) && analysis.failure.reason === "access_denied"
              ? Effect.fail(analysis.failure)
              : Effect.succeed({ execution, analysis })
          ),
          Effect.tap(() => {
            done++
            return options.progress?.(done, executions.length) ?? Effect.void
          })
        ),
      { concurrency: options.concurrency }
    )
  })
