/**
 * The durable SDK's client, wrapped: every checkpoint response rotates the execution's token, and a plugin is
 * never handed one (SPEC §7), so the wrapper remembers the newest token per execution and writes the
 * `_datadog_{N}` checkpoint through the same client the SDK uses. It also implements the core
 * `CheckpointStore` port: further state pages through `GetDurableExecutionState`, one SUCCEED update through
 * `CheckpointDurableExecution`.
 */
import type {
  CheckpointDurableExecutionRequest,
  CheckpointDurableExecutionResponse,
  DurableExecutionClient,
  GetDurableExecutionStateResponse,
  OperationUpdate
} from "@aws/durable-execution-sdk-js"
import type { CheckpointStore, CheckpointUpdate } from "@durable-trace/core/CheckpointStore"
import { DurableTraceError } from "@durable-trace/core/Errors"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/** Page size for `GetDurableExecutionState`: the SDK's own. */
/** Wall-clock milliseconds that the local runner's fake timers cannot skew: what the write deadline is measured in. */
export { now as realNow } from "./RealClock.ts"

export const MAX_ITEMS_PER_PAGE = 1000

/** A client whose checkpoint tokens are tracked. */
export interface TrackedClient {
  /** The tracked client itself (patched in place): it forwards every call and records each new token. */
  readonly client: DurableExecutionClient
  /** The newest token seen for `executionArn`. */
  readonly token: (executionArn: string) => string | undefined
  /** Records the token an invocation starts with (the event's). */
  readonly seed: (executionArn: string, token: string) => void
  /** Forgets an execution once its invocation ends, so a warm container holds nothing per execution. */
  readonly forget: (executionArn: string) => void
}

const TRACKED = Symbol.for("@durable-trace/adapters/DurableClient/tracked")
const PIGGYBACK = Symbol.for("@durable-trace/adapters/DurableClient/piggyback")

/** Whether `client` is already tracked (a client wrapped twice would record tokens twice, harmlessly, but why). */
export const isTracked = (
  client: unknown
): client is DurableExecutionClient & {
  readonly [TRACKED]: TrackedClient
  [PIGGYBACK]?: PiggybackSource | undefined
} => typeof client === "object" && client !== null && TRACKED in client

/** SPEC §7 batch limits of `CheckpointDurableExecution`, as the SDK enforces them. */
export const MAX_UPDATES_PER_REQUEST = 250
export const MAX_REQUEST_BYTES = 750 * 1024

/**
 * An update to add to an outgoing SDK batch (crash resilience: the context is persisted before the invocation
 * can die). `committed` runs once the batch succeeded; `abandoned` when it was not sent or was rejected.
 */
export interface Piggyback {
  readonly update: OperationUpdate
  readonly committed: () => void
  readonly abandoned: (cause: unknown) => void
}

/** Offers an update to add to a checkpoint request of `executionArn`, or nothing. */
export type PiggybackSource = (executionArn: string) => Promise<Piggyback | undefined>

/** Whether `extra` can join `params` within the batch limits, and is not already in it. */
export const fits = (params: CheckpointDurableExecutionRequest, extra: OperationUpdate): boolean => {
  const updates = params.Updates ?? []
  if (updates.length + 1 > MAX_UPDATES_PER_REQUEST) return false
  if (updates.some((update) => update.Id === extra.Id)) return false
  const bytes =
    Buffer.byteLength(JSON.stringify(updates)) +
    Buffer.byteLength(JSON.stringify(extra)) +
    Buffer.byteLength(params.CheckpointToken ?? "") +
    100
  return bytes <= MAX_REQUEST_BYTES
}

/**
 * Tracks `client` in place: its `checkpoint` method is wrapped to record each new token, so the SDK, which may
 * hold the same object (the local runner's event-carried client), goes through the wrapper too (SPEC §7).
 * Tracking an already tracked client returns its tracker. With `piggyback`, an offered update joins the SDK's
 * next batch when it fits; if that batch fails for any reason, the SDK's own request is sent again unchanged, so
 * an update of ours can never fail the SDK's checkpoint (its request alone fails, or not, as it would without us).
 */
export const track = (client: DurableExecutionClient, piggyback?: PiggybackSource): TrackedClient => {
  if (isTracked(client)) {
    if (piggyback !== undefined) client[PIGGYBACK] = piggyback
    return client[TRACKED]
  }
  const tokens = new Map<string, string>()
  const checkpoint = client.checkpoint.bind(client)
  const patched = client as DurableExecutionClient & {
    [TRACKED]?: TrackedClient
    [PIGGYBACK]?: PiggybackSource | undefined
  }
  patched[PIGGYBACK] = piggyback
  const remember = (params: CheckpointDurableExecutionRequest, response: CheckpointDurableExecutionResponse) => {
    const arn = params.DurableExecutionArn
    if (typeof response?.CheckpointToken === "string" && typeof arn === "string")
      tokens.set(arn, response.CheckpointToken)
    return response
  }
  patched.checkpoint = async (params: CheckpointDurableExecutionRequest, logger) => {
    const offer = patched[PIGGYBACK]
    const extra =
      offer === undefined || typeof params.DurableExecutionArn !== "string"
        ? undefined
        : await offer(params.DurableExecutionArn).catch(() => undefined)
    if (extra === undefined) return remember(params, await checkpoint(params, logger))
    if (!fits(params, extra.update)) {
      extra.abandoned(new Error("does not fit the batch"))
      return remember(params, await checkpoint(params, logger))
    }
    let response: CheckpointDurableExecutionResponse
    try {
      response = await checkpoint({ ...params, Updates: [...(params.Updates ?? []), extra.update] }, logger)
    } catch (cause) {
      extra.abandoned(cause)
      return remember(params, await checkpoint(params, logger))
    }
    extra.committed()
    return remember(params, response)
  }
  const tracked: TrackedClient = {
    client,
    token: (arn) => tokens.get(arn),
    seed: (arn, token) => {
      tokens.set(arn, token)
    },
    forget: (arn) => {
      tokens.delete(arn)
    }
  }
  patched[TRACKED] = tracked
  return tracked
}

const errorName = (cause: unknown): string =>
  typeof cause === "object" && cause !== null && typeof (cause as { name?: unknown }).name === "string"
    ? (cause as { name: string }).name
    : "Error"

/**
 * The checkpoint store of one invocation of `executionArn` over `tracked`. Pages are read with the token the
 * invocation started with (as the SDK does); the write uses the newest token.
 */
export const checkpointStore = (
  tracked: TrackedClient,
  executionArn: string,
  initialToken: string
): CheckpointStore["Service"] => ({
  page: (marker) =>
    Effect.tryPromise({
      try: () =>
        tracked.client.getExecutionState({
          DurableExecutionArn: executionArn,
          CheckpointToken: initialToken,
          Marker: marker,
          MaxItems: MAX_ITEMS_PER_PAGE
        }),
      catch: (cause) =>
        new DurableTraceError({ location: "page_state", reason: errorName(cause), identifiers: { marker }, cause })
    }).pipe(
      Effect.map((response: GetDurableExecutionStateResponse) => ({
        operations: Array.isArray(response?.Operations) ? response.Operations : [],
        nextMarker:
          typeof response?.NextMarker === "string" && response.NextMarker.length > 0
            ? Option.some(response.NextMarker)
            : Option.none()
      }))
    ),
  write: (update: CheckpointUpdate) =>
    Effect.tryPromise({
      try: () =>
        tracked.client.checkpoint({
          DurableExecutionArn: executionArn,
          CheckpointToken: tracked.token(executionArn) ?? initialToken,
          Updates: [update as unknown as OperationUpdate]
        }),
      catch: (cause) =>
        new DurableTraceError({
          location: "write_checkpoint",
          reason: errorName(cause),
          identifiers: { name: update.Name, operationId: update.Id },
          cause
        })
    }).pipe(Effect.asVoid)
})
