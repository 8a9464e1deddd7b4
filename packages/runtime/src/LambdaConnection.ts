/**
 * The live side of the command line: the flags that say how to reach Lambda (`--region`, `--profile`,
 * `--endpoint`, `--timeout`) and `withLambda`, which runs a `DurableExecutions` program on the client-lambda
 * adapter, loaded only here so the file mode needs no AWS SDK.
 */

import type * as DurableExecutions from "@durable-trace/core/DurableExecutions"
import type { DurableExecutionsError } from "@durable-trace/core/DurableExecutions"
import * as Flag from "effect/cli/Flag"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { ArgumentError, ServiceError } from "./CliErrors.ts"

export const region = Flag.String("region").pipe(
  Flag.withDescription("The AWS Region (default: the execution ARN's, else the SDK's default chain)"),
  Flag.optional
)
export const profile = Flag.String("profile").pipe(
  Flag.withDescription("A profile of the shared AWS config and credentials files"),
  Flag.optional
)
export const endpoint = Flag.String("endpoint").pipe(
  Flag.withDescription("Another Lambda endpoint (a VPC endpoint, a local test server)"),
  Flag.optional
)
export const timeout = Flag.Int("timeout").pipe(
  Flag.withDescription("Total time limit in seconds, retries included"),
  Flag.withDefault(120)
)
export interface Connection {
  readonly region: Option.Option<string>
  readonly profile: Option.Option<string>
  readonly endpoint: Option.Option<string>
  readonly timeout: number
}

/**
 * Runs `program` against Lambda: the client-lambda adapter (loaded only here, so the file mode needs no AWS
 * SDK), the total time limit, and the port's errors as one line each.
 */
export const withLambda = <A>(
  connection: Connection,
  defaultRegion: string | undefined,
  program: Effect.Effect<A, DurableExecutionsError, DurableExecutions.DurableExecutions>
): Effect.Effect<A, ServiceError | ArgumentError> =>
  Effect.gen(function* () {
    if (connection.timeout <= 0)
      return yield* new ArgumentError({ message: "--timeout must be a positive number of seconds" })
    const Lambda = yield* Effect.tryPromise({
      try: () => import("@durable-trace/adapters/LambdaDurableExecutions"),
      catch: (cause) =>
        new ServiceError({
          message: `cannot load @aws-sdk/client-lambda (install it to read live executions): ${String(cause)}`
        })
    })
    const layer = Lambda.layer({
      region: Option.getOrUndefined(Option.orElse(connection.region, () => Option.fromUndefinedOr(defaultRegion))),
      profile: Option.getOrUndefined(connection.profile),
      endpoint: Option.getOrUndefined(connection.endpoint)
    })
    return yield* program.pipe(
      Effect.provide(layer),
      Effect.mapError((error) => new ServiceError({ message: error.message })),
      Effect.timeoutOrElse({
        duration: Duration.seconds(connection.timeout),
        orElse: () =>
          Effect.fail(
            new ServiceError({
              message: `timed out: no answer within ${connection.timeout} s (--timeout), retries included`
            })
          )
      })
    )
  })
