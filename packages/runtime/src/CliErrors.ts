/**
 * The failures of the `durable-trace` command line, each carrying its exit code for `NodeRuntime.runMain` and
 * printed once, as one line, by the command itself: 1 for unreadable input or a failed request, 2 for a usage error.
 */
import type * as CliError from "effect/cli/CliError"
import * as Data from "effect/Data"
import * as Runtime from "effect/Runtime"

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

/** The command line is wrong in a way the parser cannot see (a malformed ARN, a file and --execution): exit 2. */
export class ArgumentError extends Data.TaggedError("ArgumentError")<{ readonly message: string }> {
  override readonly [Runtime.errorExitCode] = EXIT_USAGE
  override readonly [Runtime.errorReported] = false
}

/** A request to Lambda failed, or the total time limit passed: exit 1 with one line saying which and why. */
export class ServiceError extends Data.TaggedError("ServiceError")<{ readonly message: string }> {
  override readonly [Runtime.errorExitCode] = EXIT_INPUT
  override readonly [Runtime.errorReported] = false
}
