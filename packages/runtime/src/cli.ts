/**
 * The `durable-trace` command line: `durable-trace inspect <file|->` prints what an invocation event or an
 * execution state dump says about trace continuity (see `Inspect.ts`); `inspect --execution <arn>` reads a live
 * execution from Lambda and `audit --function <name>` classifies a function's recent executions, both read-only
 * through the `DurableExecutions` port (the client-lambda adapter, loaded only for them). For people or, with
 * `--json`, machines. Exit codes: 0 for any readable input (even with no checkpoint, even a broken trace), 1 for
 * unreadable input or a failed request with one line on stderr saying why, 2 for a usage error.
 */

import { createRequire } from "node:module"
import * as DurableExecutions from "@durable-trace/core/DurableExecutions"
import * as ExecutionInspection from "@durable-trace/core/ExecutionInspection"
import * as Console from "effect/Console"
import * as Argument from "effect/cli/Argument"
import * as CliError from "effect/cli/CliError"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import type * as PlatformError from "effect/PlatformError"
import * as Result from "effect/Result"
import * as Stdio from "effect/Stdio"
import * as Stream from "effect/Stream"
import { ArgumentError, EXIT_INPUT, EXIT_USAGE, InputError, UsageError } from "./CliErrors.ts"
import * as Inspect from "./Inspect.ts"
import { type Connection, endpoint, profile, region, timeout, withLambda } from "./LambdaConnection.ts"

export { EXIT_INPUT, EXIT_USAGE }

/** The version `--version` prints: the runtime package's (one directory up from both `src/` and `dist/`). */
export const VERSION: string = (createRequire(import.meta.url)("../package.json") as { version: string }).version

const readFailure = (error: PlatformError.PlatformError): string => {
  const reason = error.reason
  if (reason._tag === "BadArgument") return reason.message
  if (reason._tag === "NotFound") return "no such file"
  const cause = reason.cause
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined
  return code === "EISDIR" ? "is a directory" : (reason.description ?? reason._tag).replace(/\s+/g, " ")
}

/** The whole input, from a file or, for `-`, from stdin. */
const readInput = (input: string): Effect.Effect<string, InputError, FileSystem.FileSystem | Stdio.Stdio> =>
  input === "-"
    ? Effect.flatMap(Effect.service(Stdio.Stdio), (stdio) =>
        Stream.mkString(Stream.decodeText(stdio.stdin)).pipe(
          Effect.mapError((error) => new InputError({ message: `stdin: cannot read: ${error.message}` }))
        )
      )
    : Effect.flatMap(Effect.service(FileSystem.FileSystem), (fs) =>
        fs.readFileString(input).pipe(
          Effect.mapError(
            (error) =>
              new InputError({
                message: `${input}: cannot read: ${readFailure(error)}`
              })
          )
        )
      )

/** Histories read at once by `audit`. */
export const AUDIT_CONCURRENCY = 4

const json = Flag.Boolean("json").pipe(
  Flag.withDescription("Print one JSON document instead of text"),
  Flag.withDefault(false)
)

/** A bug is still one line on stderr and exit 1: runMain reports nothing (error reporting is off). */
const reportFailures =
  (command: string) =>
  <A, E extends { readonly message: string }, R>(self: Effect.Effect<A, E, R>) =>
    self.pipe(
      Effect.catchDefect((defect) => Effect.fail(new InputError({ message: `internal error: ${String(defect)}` }))),
      Effect.tapError((error) => Console.error(`durable-trace ${command}: ${error.message}`))
    )

const inspectFile = (input: string, asJson: boolean) =>
  Effect.gen(function* () {
    const text = yield* readInput(input)
    const report = Inspect.inspectText(text)
    if (Result.isFailure(report)) {
      return yield* new InputError({ message: `${input === "-" ? "stdin" : input}: ${report.failure.message}` })
    }
    yield* Console.log(asJson ? Inspect.toJson(report.success) : Inspect.format(report.success).trimEnd())
  })

const inspectLive = (arn: string, token: Option.Option<string>, asJson: boolean, connection: Connection) =>
  Effect.gen(function* () {
    const parsed = DurableExecutions.parseExecutionArn(arn)
    if (Option.isNone(parsed)) {
      return yield* new ArgumentError({
        message: `--execution ${arn}: not a durable execution ARN (arn:aws:lambda:{region}:{account}:function:{name}[:{qualifier}]/durable-execution/{name}/{id})`
      })
    }
    const fetched = yield* withLambda(connection, parsed.value.region, DurableExecutions.fetchExecution(arn, token))
    const report = ExecutionInspection.inspectExecution(fetched)
    yield* Console.log(asJson ? Inspect.reportToJson(report) : Inspect.formatExecution(report).trimEnd())
  })

/** `durable-trace inspect <file|->` or `durable-trace inspect --execution <arn>`. */
export const inspect = Command.make(
  "inspect",
  {
    input: Argument.String("file").pipe(
      Argument.withDescription("A durable invocation event or a state dump (JSON); - reads stdin"),
      Argument.optional
    ),
    execution: Flag.String("execution").pipe(
      Flag.withDescription("A durable execution ARN: read it live from Lambda (history, every page) instead of a file"),
      Flag.optional
    ),
    checkpointToken: Flag.String("checkpoint-token").pipe(
      Flag.withDescription(
        "With --execution: an invocation's CheckpointToken (from its event), to read every page of GetDurableExecutionState too"
      ),
      Flag.optional
    ),
    region,
    profile,
    endpoint,
    timeout,
    json
  },
  ({ input, execution, checkpointToken, json: asJson, ...connection }) =>
    Effect.gen(function* () {
      if (Option.isSome(input) && Option.isSome(execution)) {
        return yield* new ArgumentError({ message: "give a file or --execution, not both" })
      }
      if (Option.isSome(execution)) return yield* inspectLive(execution.value, checkpointToken, asJson, connection)
      if (Option.isSome(checkpointToken))
        return yield* new ArgumentError({ message: "--checkpoint-token needs --execution" })
      if (Option.isNone(input)) {
        return yield* new ArgumentError({ message: "Missing required argument: file (or --execution <arn>)" })
      }
      return yield* inspectFile(input.value, asJson)
    }).pipe(reportFailures("inspect"))
).pipe(
  Command.withDescription(
    "Show every _datadog_* checkpoint of a durable execution, the context the next invocation continues, " +
      "the anchor, and what looks wrong; with --execution, per invocation, read live from Lambda"
  ),
  Command.withExamples([
    { command: "durable-trace inspect event.json", description: "Inspect a captured invocation event" },
    {
      command: "aws lambda get-durable-execution-state ... | durable-trace inspect - --json",
      description: "Inspect the execution state from stdin, as JSON"
    },
    {
      command:
        "durable-trace inspect --execution arn:aws:lambda:...:function:orders:$LATEST/durable-execution/o-1/3f1c",
      description: "Inspect a live execution, invocation by invocation"
    }
  ])
)

const DURATION = /^(\d{1,6})([smhd])$/
const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** `24h`, `30m`, `7d`, `90s` in milliseconds; none for anything else. */
export const parseSince = (text: string): Option.Option<number> => {
  const match = DURATION.exec(text)
  return match === null ? Option.none() : Option.some(Number(match[1]) * UNIT_SECONDS[match[2]!]! * 1000)
}

/** The progress line on a terminal; nothing when stderr is piped. */
const progressOnTty = (done: number, total: number): Effect.Effect<void> =>
  Effect.sync(() => {
    if (!process.stderr.isTTY) return
    // Erased once done, so the terminal shows the report alone.
    process.stderr.write(done === total ? "\r\u001b[2K" : `\raudited ${done}/${total} executions`)
  })

/** `durable-trace audit --function <name|arn>`. */
export const audit = Command.make(
  "audit",
  {
    function: Flag.String("function").pipe(Flag.withDescription("The function's name or ARN")),
    since: Flag.String("since").pipe(
      Flag.withDescription("How far back executions started: 90s, 30m, 24h, 7d"),
      Flag.withDefault("24h")
    ),
    limit: Flag.Int("limit").pipe(
      Flag.withDescription("At most this many executions, newest first (1-1000)"),
      Flag.withDefault(50)
    ),
    region,
    profile,
    endpoint,
    timeout,
    json
  },
  ({ function: name, since, limit, json: asJson, ...connection }) =>
    Effect.gen(function* () {
      const target = DurableExecutions.parseFunction(name)
      if (Option.isNone(target)) {
        return yield* new ArgumentError({ message: `--function ${name}: not a function name or ARN` })
      }
      const window = parseSince(since)
      if (Option.isNone(window)) {
        return yield* new ArgumentError({
          message: `--since ${since}: expected a duration such as 90s, 30m, 24h or 7d`
        })
      }
      if (limit < 1 || limit > 1000)
        return yield* new ArgumentError({ message: `--limit ${limit}: expected 1 to 1000` })
      const from = new Date(Date.now() - window.value)
      const audited = yield* withLambda(
        connection,
        target.value.region,
        DurableExecutions.audit(target.value.functionName, {
          since: from,
          limit,
          concurrency: AUDIT_CONCURRENCY,
          progress: progressOnTty
        })
      )
      const report = ExecutionInspection.auditReport(name, from, limit, audited)
      yield* Console.log(asJson ? Inspect.reportToJson(report) : Inspect.formatAudit(report).trimEnd())
    }).pipe(reportFailures("audit"))
).pipe(
  Command.withDescription(
    "Classify a function's recent durable executions: continuous, broken (where and why), no checkpoint, " +
      "written by another writer, corrupt latest, still running"
  ),
  Command.withExamples([
    { command: "durable-trace audit --function orders --since 24h", description: "The last day's executions" }
  ])
)

/** The `durable-trace` root command. */
export const command = Command.make("durable-trace").pipe(
  Command.withDescription("Tools for durable-trace: one distributed trace across a Lambda durable execution"),
  Command.withSubcommands([inspect, audit])
)

/**
 * Runs the command line on `args` (without the node and script paths). Fails with `InputError` (exit 1) or
 * `UsageError` (exit 2), each carrying its exit code for `NodeRuntime.runMain`.
 */
export const run = (args: ReadonlyArray<string>) =>
  Command.runWith(command, { version: VERSION })(args).pipe(
    Effect.catchIf(CliError.isCliError, (cause) =>
      cause._tag === "ShowHelp" && cause.errors.length === 0 ? Effect.void : Effect.fail(new UsageError({ cause }))
    )
  )

/** `run` over the process's arguments. */
export const main = Effect.flatMap(Effect.service(Stdio.Stdio), (stdio) => Effect.flatMap(stdio.args, run))
