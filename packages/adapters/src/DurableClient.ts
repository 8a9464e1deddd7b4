/**
 * The durable SDK's client, wrapped: every checkpoint response rotates the invocation's token, and a plugin is
 * never handed one (SPEC §7), so the wrapper follows each invocation's chain of tokens and writes the
 * `_datadog_{N}` checkpoint through the same client the SDK uses, with that invocation's newest token. It also
 * implements the core `CheckpointStore` port: further state pages through `GetDurableExecutionState`, one
 * SUCCEED update through `CheckpointDurableExecution`.
 */
import type {
  CheckpointDurableExecutionRequest,
  CheckpointDurableExecutionResponse,
  DurableExecutionClient,
  GetDurableExecutionStateResponse,
  OperationUpdate
} from "@aws/durable-execution-sdk-js"
import * as CheckpointBatch from "@durable-trace/core/CheckpointBatch"
import type { CheckpointStore, CheckpointUpdate } from "@durable-trace/core/CheckpointStore"
import { DurableTraceError } from "@durable-trace/core/Errors"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/** Page size for `GetDurableExecutionState`: the SDK's own. */
/** Wall-clock time that the local runner's fake timers cannot skew: what read and write deadlines are measured in. */
export { clock as realClock, now as realNow, race as realRace } from "./RealClock.ts"

export const MAX_ITEMS_PER_PAGE = 1000

/**
 * One invocation's chain of checkpoint tokens: the event's, then each one a response to a request carrying the
 * chain's newest returned. Two invocations of one execution in flight at once (a retry racing a slow one) have
 * two chains, so a write never uses another invocation's token.
 */
export interface TokenChain {
  /** The newest token of this invocation. */
  readonly token: () => string
  /** Whether another invocation of the same execution was in flight in this process when this one began. */
  readonly overlapping: boolean
  /** Forgets the chain once its invocation ends, so a warm container holds nothing per invocation. */
  readonly forget: () => void
}

/** A client whose checkpoint tokens are tracked. */
export interface TrackedClient {
  /** The tracked client itself (patched in place): it forwards every call and follows each token chain. */
  readonly client: DurableExecutionClient
  /** Starts the chain of an invocation of `executionArn` that begins with `token` (the event's). */
  readonly seed: (executionArn: string, token: string) => TokenChain
}

const TRACKED = Symbol.for("@durable-trace/adapters/DurableClient/tracked")
const PIGGYBACK = Symbol.for("@durable-trace/adapters/DurableClient/piggyback")

/** Whether `client` is already tracked (a client wrapped twice would follow tokens twice, harmlessly, but why). */
export const isTracked = (
  client: unknown
): client is DurableExecutionClient & {
  readonly [TRACKED]: TrackedClient
  [PIGGYBACK]?: PiggybackSource | undefined
} => typeof client === "object" && client !== null && TRACKED in client

/**
 * An update to add to an outgoing SDK batch (crash resilience: the context is persisted before the invocation
 * can die). `committed` runs once the batch succeeded; `abandoned` when it was sent and rejected, or its request
 * failed; `declined` when this batch cannot take it (nothing was sent, a later batch may).
 */
export interface Piggyback {
  readonly update: CheckpointUpdate
  readonly committed: () => void
  readonly abandoned: (cause: unknown) => void
  readonly declined: () => void
}

/**
 * Offers an update to add to a checkpoint request of `executionArn`, or nothing. One source serves every
 * handler sharing a client: it asks whichever handler runs the execution, so each handler's own settings hold.
 * It answers synchronously when it can (the SDK's every checkpoint call asks, and most get nothing).
 */
export type PiggybackSource = (executionArn: string) => Piggyback | undefined | Promise<Piggyback | undefined>

interface Chain {
  current: string
  readonly executionArn: string
}

/**
 * Tracks `client` in place: its `checkpoint` method is wrapped to follow each token chain, so the SDK, which may
 * hold the same object (the local runner's event-carried client), goes through the wrapper too (SPEC §7).
 * Tracking an already tracked client returns its tracker. With `piggyback`, an offered update joins the SDK's
 * next batch when `CheckpointBatch.canJoin` says it cannot be the reason for a rejection; a rejected batch is sent
 * again without it only when the rejection names it (`CheckpointBatch.isRejectionOf`). Otherwise the SDK's request
 * fails with its own error after one request, as it would without us.
 */
export const track = (client: DurableExecutionClient, piggyback?: PiggybackSource): TrackedClient => {
  if (isTracked(client)) {
    if (piggyback !== undefined) client[PIGGYBACK] = piggyback
    return client[TRACKED]
  }
  const chains = new Map<string, Chain>()
  const inFlight = new Map<string, number>()
  const checkpoint = client.checkpoint.bind(client)
  const patched = client as DurableExecutionClient & {
    [TRACKED]?: TrackedClient
    [PIGGYBACK]?: PiggybackSource | undefined
  }
  patched[PIGGYBACK] = piggyback
  const remember = (params: CheckpointDurableExecutionRequest, response: CheckpointDurableExecutionResponse) => {
    const sent: unknown = params.CheckpointToken
    const received: unknown = response?.CheckpointToken
    if (typeof sent !== "string" || typeof received !== "string") return response
    const chain = chains.get(sent)
    if (chain !== undefined) {
      chains.delete(sent)
      chain.current = received
      chains.set(received, chain)
    }
    return response
  }
  const fits = (params: CheckpointDurableExecutionRequest, extra: Piggyback | undefined): Piggyback | undefined => {
    if (extra === undefined) return undefined
    let joins = false
    try {
      joins = CheckpointBatch.canJoin(params.Updates, params.CheckpointToken, extra.update)
    } catch {
      joins = false
    }
    if (!joins) extra.declined()
    return joins ? extra : undefined
  }
  const offerFor = (
    params: CheckpointDurableExecutionRequest
  ): Piggyback | undefined | Promise<Piggyback | undefined> => {
    const offer = patched[PIGGYBACK]
    if (offer === undefined || typeof params.DurableExecutionArn !== "string") return undefined
    let offered: Piggyback | undefined | Promise<Piggyback | undefined>
    try {
      offered = offer(params.DurableExecutionArn)
    } catch {
      return undefined
    }
    return offered instanceof Promise
      ? offered.then(
          (extra) => fits(params, extra),
          () => undefined
        )
      : fits(params, offered)
  }
  patched.checkpoint = async (params: CheckpointDurableExecutionRequest, logger) => {
    const offered = offerFor(params)
    const extra = offered instanceof Promise ? await offered : offered
    if (extra === undefined) return remember(params, await checkpoint(params, logger))
    let response: CheckpointDurableExecutionResponse
    try {
      response = await checkpoint(
        { ...params, Updates: [...(params.Updates ?? []), toOperationUpdate(extra.update)] },
        logger
      )
    } catch (cause) {
      extra.abandoned(cause)
      if (!CheckpointBatch.isRejectionOf(cause, extra.update)) throw cause
      return remember(params, await checkpoint(params, logger))
    }
    extra.committed()
    return remember(params, response)
  }
  const tracked: TrackedClient = {
    client,
    seed: (executionArn, token) => {
      const chain: Chain = { current: token, executionArn }
      chains.set(token, chain)
      const others = inFlight.get(executionArn) ?? 0
      inFlight.set(executionArn, others + 1)
      let forgotten = false
      return {
        token: () => chain.current,
        overlapping: others > 0,
        forget: () => {
          if (forgotten) return
          forgotten = true
          if (chains.get(chain.current) === chain) chains.delete(chain.current)
          const left = (inFlight.get(executionArn) ?? 1) - 1
          if (left > 0) inFlight.set(executionArn, left)
          else inFlight.delete(executionArn)
        }
      }
    }
  }
  patched[TRACKED] = tracked
  return tracked
}

/** The checkpoint update as the SDK's client sends it: the one conversion from core's update to the SDK's. */
export const toOperationUpdate = (update: CheckpointUpdate): OperationUpdate => update

const errorName = (cause: unknown): string =>
  typeof cause === "object" && cause !== null && typeof (cause as { name?: unknown }).name === "string"
    ? (cause as { name: string }).name
    : "Error"

/**
 * The checkpoint store of one invocation of `executionArn` over `tracked`. Pages are read with the token the
 * invocation started with (as the SDK does); the write uses the newest token of this invocation's own chain.
 */
export const checkpointStore = (
  tracked: TrackedClient,
  executionArn: string,
  chain: TokenChain
): CheckpointStore["Service"] => {
  const initialToken = chain.token()
  return {
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
            CheckpointToken: chain.token(),
            Updates: [toOperationUpdate(update)]
          }),
        catch: (cause) =>
          new DurableTraceError({
            location: "write_checkpoint",
            reason: errorName(cause),
            identifiers: { name: update.Name, operationId: update.Id },
            cause
          })
      }).pipe(Effect.asVoid)
  }
}
