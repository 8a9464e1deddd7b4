/**
 * The plugin's two checkpoint writes (SPEC §4.1): the suspend-time save and the early checkpoint that rides in
 * the SDK's first batch. Translation only: the time budget is `Budget`'s, the decision the `Writer`'s. On the
 * invocation's settled log the decision runs synchronously (`Writer.prepareSettled`), with Effect only around the
 * write and its timeout; a paged log, or a plugin without its propagation service, runs the Effect program.
 */
import type { InvocationEndInfo } from "@aws/durable-execution-sdk-js"
import * as Budget from "@durable-trace/core/Budget"
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import { DurableTraceError } from "@durable-trace/core/Errors"
import { degradeWith, fromDefect, report, type Telemetry } from "@durable-trace/core/Telemetry"
import { TracePropagation } from "@durable-trace/core/TracePropagation"
import * as Writer from "@durable-trace/core/Writer"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as ManagedRuntime from "effect/ManagedRuntime"
import type { Backend, Span } from "./Backend.ts"
import type { Piggyback } from "./DurableClient.ts"
import type { InvocationState } from "./PluginInvocation.ts"
import * as RealClock from "./RealClock.ts"
import * as SdkOperations from "./SdkOperations.ts"

/** The services a plugin runs its programs with. */
export type PluginServices = Backend | TracePropagation | Telemetry

/** Runs a program with the plugin's services; never rejects. */
export type Run = <A>(effect: Effect.Effect<A, never, PluginServices>) => Promise<A | undefined>

/** How a plugin reaches its services: a runtime for programs, and the propagation port for the synchronous path. */
export interface Ports {
  readonly run: Run
  /** The runtime's `TracePropagation`, once its layer is built (read once, synchronously). */
  readonly propagation: TracePropagation["Service"] | undefined
}

/** The ports of a built runtime: its propagation service read once, synchronously. */
export const portsOf = (runtime: ManagedRuntime.ManagedRuntime<PluginServices, never>): Ports => {
  let propagation: TracePropagation["Service"] | undefined
  return {
    // A failure (impossible by construction, but hooks must not throw) is dropped.
    run: (effect) => runtime.runPromise(effect).catch(() => undefined),
    get propagation() {
      if (propagation === undefined) {
        const exit = runtime.runSyncExit(Effect.service(TracePropagation))
        if (Exit.isSuccess(exit)) propagation = exit.value
      }
      return propagation
    }
  }
}

/** The synchronous decision of a save or an early write, when the log is settled and the port at hand. */
const settledDecision = (
  ports: Ports,
  log: CheckpointLog.CheckpointLog | undefined,
  executeSpan: Span,
  options: { readonly linked: boolean | undefined; readonly invocation: number | undefined }
): Writer.Prepared | DurableTraceError | undefined => {
  if (ports.propagation === undefined || log === undefined) return undefined
  try {
    return Writer.prepareSettled({ log, executeSpan, ...options }, ports.propagation)
  } catch (cause) {
    // What the Effect path would make of a throw: a reported failure, never a hook that rejects.
    return fromDefect("write_checkpoint", cause)
  }
}

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
  ports: Ports,
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
  const settled =
    store === undefined || timeout <= 0
      ? undefined
      : settledDecision(ports, state.log, executeSpan, {
          linked: settings.linked,
          invocation: state.invocationNumber
        })
  if (settled instanceof DurableTraceError) {
    await ports.run(report(settled))
    return { _tag: "Failed", error: settled }
  }
  if (settled !== undefined && "_tag" in settled) return settled
  const program =
    settled !== undefined && store !== undefined && state.log !== undefined
      ? // Decided: only the write, and its timeout, are left.
        Writer.send(state.log, settled, `${timeout} millis`).pipe(Effect.provideService(CheckpointStore, store))
      : saveProgram(info, state, executeSpan, settings, timeout)
  const outcome = await ports.run(
    program.pipe(
      // The bound is real time, whatever clock the process has faked.
      Effect.provideService(Clock.Clock, RealClock.clock),
      degradeWith((error): Writer.SaveOutcome => ({ _tag: "Failed", error }))
    )
  )
  return outcome ?? { _tag: "Failed", error: new DurableTraceError({ location: "unknown", reason: "runtime" }) }
}

/** The save as one program: no client, no time left, a paged log or no propagation port at hand. */
const saveProgram = (
  info: InvocationEndInfo,
  state: InvocationState,
  executeSpan: Span,
  settings: WriteSettings,
  timeout: number
): Effect.Effect<Writer.SaveOutcome, DurableTraceError, TracePropagation> =>
  Effect.gen(function* () {
    const store = state.store
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

/**
 * Crash resilience: the first checkpoint of an execution that has none yet, offered for the SDK's next outgoing
 * batch (no extra round trip). A resumed invocation that knows its number offers its checkpoint the same way: the
 * number changes every invocation (SPEC §11), and riding along spares the suspend its own request. Offered once
 * per invocation; the suspend write later diffs against it.
 */
export const early = (
  ports: Ports,
  settings: WriteSettings,
  state: InvocationState | undefined
): Piggyback | undefined | Promise<Piggyback | undefined> => {
  const log = state?.log
  const executeSpan = state?.executeSpan
  // This handler's own setting: a client shared with another handler asks whichever runs the execution.
  const enabled = settings.writeEnabled && settings.earlyCheckpoint !== false
  if (!enabled || state?.store === undefined || log === undefined || executeSpan === undefined) return undefined
  const offers = Writer.offersEarly({
    offered: state.early === true,
    paged: log.paged,
    highestN: log.firstPage.highestN,
    invocation: state.invocationNumber
  })
  if (!offers) return undefined
  state.early = true
  const options = { linked: settings.linked, invocation: state.invocationNumber }
  const settled = settledDecision(ports, log, executeSpan, options)
  if (settled instanceof DurableTraceError) return ports.run(report(settled)).then(() => undefined)
  if (settled !== undefined) return piggyback(ports, state, log, settled)
  return ports
    .run(Writer.prepare({ log, executeSpan, ...options }).pipe(degradeWith((): undefined => undefined)))
    .then((prepared) => (prepared === undefined ? undefined : piggyback(ports, state, log, prepared)))
}

/** The early checkpoint `prepared` as an update offered to the SDK's batch; nothing when the context is unchanged. */
const piggyback = (
  ports: Ports,
  state: InvocationState,
  log: CheckpointLog.CheckpointLog,
  prepared: Writer.Prepared
): Piggyback | undefined => {
  if ("_tag" in prepared) return undefined
  return {
    update: prepared.update,
    committed: () => {
      const face = CheckpointLog.settledFace(log)
      if (face === undefined) Effect.runSync(log.recordWrite(prepared.n, prepared.payload))
      else face.recordWrite(prepared.n, prepared.payload)
      state.earlyWritten = { name: prepared.name, anchor: prepared.anchor, operationId: prepared.update.Id }
    },
    abandoned: (cause) => {
      void ports.run(
        report(
          new DurableTraceError({
            location: "write_checkpoint",
            reason: "early checkpoint not sent",
            identifiers: { name: prepared.name },
            cause
          })
        )
      )
    },
    // Not an error: this batch (one that ends the execution, say) cannot take it; the next one may, or the suspend
    // save writes it.
    declined: () => {
      state.early = false
    }
  }
}
