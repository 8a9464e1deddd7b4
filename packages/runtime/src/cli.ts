/**
 * The `durable-trace` command line: `durable-trace inspect <file|->` prints what an invocation event or an
 * execution state dump says about trace continuity (see `Inspect.ts`), for people or, with `--json`, machines.
 * Exit codes: 0 for any readable input (even with no checkpoint), 1 for unreadable input with one line on
 * stderr saying why, 2 for a usage error.
 */

import * as Console from "effect/Console"
import * as Argument from "effect/cli/Argument"
import * as CliError from "effect/cli/CliError"
import * as Command from "effect/cli/Command"
import * as Flag from "effect/cli/Flag"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import type * as PlatformError from "effect/PlatformError"
import * as Result from "effect/Result"
import * as Runtime from "effect/Runtime"
import * as Stdio from "effect/Stdio"
import * as Stream from "effect/Stream"
import * as Inspect from "./Inspect.ts"

/** The version `--version` prints: the runtime package's. */
export const VERSION = "0.1.0"

/** Exit code of unreadable input. */
export const EXIT_INPUT = 1
/** Exit code of a usage error (unknown command or flag, missing argument). */
export const EXIT_USAGE = 2

/** The input could not be read or is not inspectable; `message` is the one line printed on stderr. */
export class InputError extends Data.TaggedError("InputError")<{ readonly message: string }> {
  override readonly [Runtime.errorExitCode] = EXIT_INPUT
  override readonly [Runtime.errorReported] = false
}

/** The command line was wrong; Effect's CLI has already printed the help and the error. */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly cause: CliError.CliError }> {
  override readonly [Runtime.errorExitCode] = EXIT_USAGE
  override readonly [Runtime.errorReported] = false
}

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

/** `durable-trace inspect <file|->`. */
export const inspect = Command.make(
  "inspect",
  {
    input: Argument.String("file").pipe(
      Argument.withDescription("A durable invocation event or a state dump (JSON); - reads stdin")
    ),
    json: Flag.Boolean("json").pipe(
      Flag.withDescription("Print one JSON document instead of text"),
      Flag.withDefault(false)
    )
  },
  ({ input, json }) =>
    Effect.gen(function* () {
      const text = yield* readInput(input)
      const report = Inspect.inspectText(text)
      if (Result.isFailure(report)) {
        return yield* new InputError({ message: `${input === "-" ? "stdin" : input}: ${report.failure.message}` })
      }
      yield* Console.log(json ? Inspect.toJson(report.success) : Inspect.format(report.success).trimEnd())
    }).pipe(
      // A bug is still one line on stderr and exit 1: runMain reports nothing (error reporting is off).
      Effect.catchDefect((defect) => Effect.fail(new InputError({ message: `internal error: ${String(defect)}` }))),
      Effect.tapError((error) => Console.error(`durable-trace inspect: ${error.message}`))
    )
).pipe(
  Command.withDescription(
    "Show every _datadog_* checkpoint of a durable execution, the context the next invocation continues, " +
      "the anchor, and what looks wrong"
  ),
  Command.withExamples([
    { command: "durable-trace inspect event.json", description: "Inspect a captured invocation event" },
    {
      command: "aws lambda get-durable-execution-state ... | durable-trace inspect - --json",
      description: "Inspect the execution state from stdin, as JSON"
    }
  ])
)

/** The `durable-trace` root command. */
export const command = Command.make("durable-trace").pipe(
  Command.withDescription("Tools for durable-trace: one distributed trace across a Lambda durable execution"),
  Command.withSubcommands([inspect])
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
