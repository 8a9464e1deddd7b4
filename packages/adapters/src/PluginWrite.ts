/**
 * The plugin's two checkpoint writes (SPEC §4.1): the suspend-time save and the early checkpoint that rides in
 * the SDK's first batch. Translation only: the time budget is `Budget`'s, the decision the `Writer`'s.
 */
import type { InvocationEndInfo } from "@aws/durable-execution-sdk-js"
import * as Budget from "@durable-trace/core/Budget"
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import { DurableTraceError } from "@durable-trace/core/Errors"
import { degradeWith, report, type Telemetry } from "@durable-trace/core/Telemetry"
import type { TracePropagation } from "@durable-trace/core/TracePropagation"
import * as Writer from "@durable-trace/core/Writer"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { Backend, Span } from "./Backend.ts"
import type { Piggyback } from "./DurableClient.ts"
import type { InvocationState } from "./PluginInvocation.ts"
import * as RealClock from "./RealClock.ts"
import * as SdkOperations from "./SdkOperations.ts"

/** The services a plugin runs its programs with. */
export type PluginServices = Backend | TracePropagation | Telemetry

/** Runs a program with the plugin's services; never rejects. */
export type Run = <A>(effect: Effect.Effect<A, never, PluginServices>) => Promise<A | undefined>

/** The write settings of a plugin. */
export interface WriteSettings {
  readonly writeEnabled: boolean
  readonly earlyCheckpoint?: boolean | undefined
  readonly writeTimeoutMillis: number
  readonly deadlineMarginMillis: number
  /** Linked trace mode (SPEC §11): checkpoints keep the anchor and name the previous invocation. */
  readonly linked?: boolean | undefined
}

/** The suspend-time save of `state`'s checkpoint, bounded by the write timeout and the deadline. */
export const save = async (
  run: Run,
  settings: WriteSettings,
  info: InvocationEndInfo,
  state: InvocationState,
  executeSpan: Span
): Promise<Writer.SaveOutcome> => {
  const store = state.store
  const timeout = Budget.millisLeft({
    boundMillis: settings.writeTimeoutMillis,
    deadline: state.deadline,
    nowMillis: RealClock.now(),
    marginMillis: settings.deadlineMarginMillis
  })
  const program = Effect.gen(function* () {
    if (store === undefined) {
      return yield* new DurableTraceError({
        location: "write_checkpoint",
        reason: "no checkpoint client: wrap the handler with withDurableTracing to write"
      })
    }
    if (timeout <= 0) {
      return yield* new DurableTraceError({
        location: "write_checkpoint",
        reason: "no time left before the deadline",
        identifiers: { leftMillis: timeout }
      })
    }
    // The SDK has paged through the whole state already: the writer needs no further page.
    const log =
      state.log ??
      (yield* CheckpointLog.make(SdkOperations.toEvent(info), info.executionArn).pipe(
        Effect.provideService(CheckpointStore, store)
      ))
    return yield* Writer.save({
      log,
      executeSpan,
      timeout: `${timeout} millis`,
      linked: settings.linked,
      invocation: state.invocationNumber
    }).pipe(Effect.provideService(CheckpointStore, store))
  })
  const outcome = await run(
    program.pipe(
      // The bound is real time, whatever clock the process has faked.
      Effect.provideService(Clock.Clock, RealClock.clock),
      degradeWith((error): Writer.SaveOutcome => ({ _tag: "Failed", error }))
    )
  )
  return outcome ?? { _tag: "Failed", error: new DurableTraceError({ location: "unknown", reason: "runtime" }) }
}

/**
 * Crash resilience: the first checkpoint of an execution that has none yet, offered for the SDK's next outgoing
 * batch (no extra round trip). A resumed invocation that knows its number offers its checkpoint the same way: the
 * number changes every invocation (SPEC §11), and riding along spares the suspend its own request. Offered once
 * per invocation; the suspend write later diffs against it.
 */
export const early = async (
  run: Run,
  settings: WriteSettings,
  state: InvocationState | undefined
): Promise<Piggyback | undefined> => {
  const log = state?.log
  const executeSpan = state?.executeSpan
  // This handler's own setting: a client shared with another handler asks whichever runs the execution.
  const enabled = settings.writeEnabled && settings.earlyCheckpoint !== false
  if (!enabled || state?.store === undefined || log === undefined || executeSpan === undefined) return undefined
  const resumed = log.firstPage.highestN >= 0
  if (state.early || (resumed && state.invocationNumber === undefined) || log.paged) return undefined
  state.early = true
  const prepared = await run(
    Writer.prepare({ log, executeSpan, linked: settings.linked, invocation: state.invocationNumber }).pipe(
      degradeWith((): undefined => undefined)
    )
  )
  if (prepared === undefined || "_tag" in prepared) return undefined
  return {
    update: prepared.update,
    committed: () => {
      Effect.runSync(log.recordWrite(prepared.n, prepared.payload))
      state.earlyWritten = { name: prepared.name, anchor: prepared.anchor, operationId: prepared.update.Id }
    },
    abandoned: (cause) => {
      void run(
        report(
          new DurableTraceError({
            location: "write_checkpoint",
            reason: "early checkpoint not sent",
            identifiers: { name: prepared.name },
            cause
          })
        )
      )
    }
  }
}
