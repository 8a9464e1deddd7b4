/**
 * The read side of the SDK plugin (SPEC §3, §5.2): the invocation's checkpoint log and, when no wrapper said, the
 * parent of `aws.durable.execute`. The SDK has fetched every page already, so the log is settled and the read is
 * decided synchronously (`ReadSettled`); an Effect runs only to report what the read met on the way.
 */
import type { InvocationInfo } from "@aws/durable-execution-sdk-js"
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import * as Reader from "@durable-trace/core/Reader"
import * as ReadSettled from "@durable-trace/core/ReadSettled"
import { report } from "@durable-trace/core/Telemetry"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type Backend, type Parent, parentOf, parentSpan } from "./Backend.ts"
import type { InvocationState } from "./PluginInvocation.ts"
import type { Ports } from "./PluginWrite.ts"
import * as SdkOperations from "./SdkOperations.ts"

/**
 * The invocation's checkpoint view: the wrapper's when it read a single page (the whole state), else the SDK's
 * view of every page, which needs no further request.
 */
export const logFor = async (
  ports: Ports,
  info: InvocationInfo,
  state: InvocationState,
  event: unknown = state.log === undefined ? SdkOperations.toEvent(info) : undefined
): Promise<CheckpointLog.CheckpointLog | undefined> => {
  if (state.log !== undefined) return state.log
  return (
    CheckpointLog.settled(event, info.executionArn) ??
    ports.run(
      CheckpointLog.make(event, info.executionArn).pipe(
        Effect.provideService(CheckpointStore, state.store ?? SdkOperations.noPaging)
      )
    )
  )
}

/**
 * The parent of `aws.durable.execute`: the wrapper's invocation span, else an outer wrapper's active span, else
 * the context read from the operations the SDK fetched (a resumed invocation's anchor, when it is a checkpoint).
 */
export const parentFor = async (
  ports: Ports,
  backend: Backend["Service"],
  info: InvocationInfo,
  state: InvocationState
): Promise<Parent | undefined> => {
  if (state.parent !== undefined) return parentSpan(state.parent)
  // Under an outer Lambda wrapper (SPEC §10): its invocation span is the parent.
  const outer = backend.active()
  if (outer !== undefined) return parentSpan(outer)
  const event = SdkOperations.toEvent(info)
  state.log ??= await logFor(ports, info, state, event)
  const log = state.log
  const read = log === undefined ? undefined : await readOf(ports, event, log)
  const context = read === undefined ? undefined : Option.getOrUndefined(parentOf(read.context))
  if (read?.source === "checkpoint") state.anchor ??= context
  return context
}

const readOf = async (
  ports: Ports,
  event: unknown,
  log: CheckpointLog.CheckpointLog
): Promise<Reader.ReadResult | undefined> => {
  const decided =
    ports.propagation === undefined ? undefined : ReadSettled.decide(event, undefined, log, ports.propagation)
  if (decided === undefined) {
    return ports.run(
      Reader.read(event, undefined, { log }).pipe(Effect.provideService(CheckpointStore, SdkOperations.noPaging))
    )
  }
  for (const failure of decided.failures) await ports.run(report(failure))
  return decided.result
}
