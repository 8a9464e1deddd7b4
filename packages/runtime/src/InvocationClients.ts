/**
 * The checkpoint clients of a wrapped handler: the one the SDK is configured with (`sdk.durableExecutionClient`,
 * else the SDK's API client over `sdk.client`), tracked on first use, and an event's own client (the local runner's),
 * which wins for that invocation. Tracking follows each invocation's chain of checkpoint tokens, so durable-trace
 * writes with that invocation's newest token (SPEC §4.1, §7).
 */
import {
  DurableExecutionApiClient,
  type DurableExecutionClient,
  type DurableExecutionConfig
} from "@aws/durable-execution-sdk-js"
import * as DurableClient from "@durable-trace/adapters/DurableClient"
import { earlyCheckpoints } from "@durable-trace/adapters/DurablePlugin"

/** The client an event carries (the local runner's), if it has the method `uses` (what it will be asked for). */
export const ofEvent = (
  event: unknown,
  uses: keyof DurableExecutionClient = "checkpoint"
): DurableExecutionClient | undefined => {
  try {
    const client = (event as { durableExecutionClient?: Partial<DurableExecutionClient> } | null | undefined)
      ?.durableExecutionClient
    return typeof client?.[uses] === "function" ? (client as DurableExecutionClient) : undefined
  } catch {
    // A Proxy or getter that throws: no client of its own we could use.
    return undefined
  }
}

/** The clients of one wrapped handler. */
export interface InvocationClients {
  /** What the SDK is given as its client: forwards to the configured client, tracked. */
  readonly sdk: DurableExecutionClient
  /** The tracked client of an invocation of `event`: the event's own, else the configured one. */
  readonly tracked: (event: unknown) => DurableClient.TrackedClient
}

/**
 * The clients of a handler configured with `sdk`. Every tracked client asks whichever plugin runs the execution for
 * its early checkpoint, so a client shared by handlers with different settings honours each (SPEC §4.1).
 */
export const make = (sdk: Pick<DurableExecutionConfig, "client" | "durableExecutionClient">): InvocationClients => {
  let configured: DurableClient.TrackedClient | undefined
  const configTracked = (): DurableClient.TrackedClient =>
    (configured ??= DurableClient.track(
      sdk.durableExecutionClient ?? new DurableExecutionApiClient(sdk.client),
      earlyCheckpoints
    ))
  return {
    sdk: {
      getExecutionState: (params, logger) => configTracked().client.getExecutionState(params, logger),
      checkpoint: (params, logger) => configTracked().client.checkpoint(params, logger)
    },
    tracked: (event) => {
      const own = ofEvent(event)
      return own === undefined ? configTracked() : DurableClient.track(own, earlyCheckpoints)
    }
  }
}
