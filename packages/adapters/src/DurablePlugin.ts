/**
 * The durable SDK plugin (its official `DurableInstrumentationPlugin` API, SPEC §7): an interpreter of
 * `OperationSpans` and `SpanRules` (SPEC §5). It opens `aws.durable.execute` around each invocation, one span per
 * durable operation (live when it starts and ends in this invocation, else made from the service's timestamps by
 * the invocation that sees it complete), one span per attempt, suspend markers and, at the end, the execution span;
 * it enriches the SDK logger's lines with trace ids (SPEC §6) and, when an invocation suspends, runs the writer
 * (SPEC §4, `PluginWrite`). Hooks never throw into the SDK: every failure degrades to telemetry.
 */
import { createHash } from "node:crypto"
import type {
  AttemptEndInfo,
  AttemptInfo,
  DurableExecutionInvocationOutput,
  DurableInstrumentationPlugin,
  InvocationEndInfo,
  InvocationInfo,
  OperationEndInfo,
  OperationInfo
} from "@aws/durable-execution-sdk-js"
import { DurableTraceError } from "@durable-trace/core/Errors"
import type * as Headers from "@durable-trace/core/Headers"
import * as InvocationNumber from "@durable-trace/core/InvocationNumber"
import * as OperationSpans from "@durable-trace/core/OperationSpans"
import type * as Reader from "@durable-trace/core/Reader"
import * as SpanRules from "@durable-trace/core/SpanRules"
import * as SyncPort from "@durable-trace/core/SyncPort"
import { report } from "@durable-trace/core/Telemetry"
import * as Exit from "effect/Exit"
import type * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { type Backend, parentSpan } from "./Backend.ts"
import type { Piggyback, PiggybackSource } from "./DurableClient.ts"
import {
  currentInvocation,
  enter,
  type InvocationReport,
  type InvocationState,
  indexOf,
  leave,
  type OpenSpan,
  runInvocation
} from "./PluginInvocation.ts"
import * as PluginRead from "./PluginRead.ts"
import { PluginSpans } from "./PluginSpans.ts"
import * as PluginWrite from "./PluginWrite.ts"
import * as RecordedSpans from "./RecordedSpans.ts"

export type { EarlyWrite, InvocationReport, InvocationState } from "./PluginInvocation.ts"
export { currentInvocation, runInvocation } from "./PluginInvocation.ts"
export type { PluginServices } from "./PluginWrite.ts"

/** Options of the plugin. */
export interface PluginOptions extends PluginWrite.WriteSettings {
  readonly runtime: ManagedRuntime.ManagedRuntime<PluginWrite.PluginServices, never>
  /** The `aws.durable.execute` resource: the handler's name. */
  readonly handlerName: string
  readonly service?: string | undefined
  readonly env?: string | undefined
  readonly extractor?: Reader.Extractor | undefined
  /** Called with each invocation's result: what was read and written (the demo and tests print it). */
  readonly onReport?: ((report: InvocationReport) => void) | undefined
}

/** The early checkpoint's source for every tracked client: whichever plugin runs the execution decides. */
export const earlyCheckpoints: PiggybackSource = (executionArn) =>
  DurableTracePlugin.forExecution(executionArn)?.earlyCheckpoint(executionArn)

/** SPEC §5 span names by the SDK's operation subtype. */
export const OPERATION_SPAN_NAMES = SpanRules.OPERATION_SPAN_NAMES

/** The SDK's operation id for a step id: the first 16 hex of its MD5 (how the SDK names operations on the wire). */
export const sdkOperationId = (stepId: string): string => createHash("md5").update(stepId).digest("hex").slice(0, 16)

/** The plugin: one per wrapped handler, its state per invocation (found through the async context). */
export class DurableTracePlugin implements DurableInstrumentationPlugin {
  /** The plugin tracing the invocation of `executionArn` this async context belongs to, if any. */
  static forExecution(executionArn: string): DurableTracePlugin | undefined {
    const plugin = currentInvocation(executionArn)?.plugin
    return plugin instanceof DurableTracePlugin ? plugin : undefined
  }

  readonly #options: PluginOptions
  readonly #backend: Backend["Service"]
  readonly #ports: PluginWrite.Ports
  readonly #spans: PluginSpans

  /** `options.runtime` is built (its backend is `backend`): its propagation service is read once, here. */
  constructor(options: PluginOptions, backend: Backend["Service"]) {
    this.#options = options
    this.#backend = backend
    this.#spans = new PluginSpans(backend)
    this.#ports = PluginWrite.portsOf(options.runtime)
  }

  #report(error: DurableTraceError): void {
    void this.#ports.run(report(error))
  }

  /** Runs `fn`; a throw is reported as telemetry instead of reaching the SDK. */
  #guard<A>(fn: () => A): A | undefined {
    try {
      return fn()
    } catch (cause) {
      this.#report(new DurableTraceError({ location: "unknown", reason: "plugin hook threw", cause }))
      return undefined
    }
  }

  async wrapInvocation(
    info: InvocationInfo,
    fn: () => Promise<DurableExecutionInvocationOutput>
  ): Promise<DurableExecutionInvocationOutput> {
    const state: InvocationState = currentInvocation(info.executionArn) ?? {
      executionArn: info.executionArn,
      operationSpans: new Map(),
      ownedByPlugin: true
    }
    let execute: OpenSpan | undefined
    try {
      const parent = await PluginRead.parentFor(this.#ports, this.#backend, info, state)
      execute = this.#spans.open(
        SpanRules.EXECUTE_SPAN,
        parent,
        {
          resource: this.#options.handlerName,
          kind: "internal",
          tags: SpanRules.executeTags(info.executionArn, info.isFirstInvocation)
        },
        { spanName: SpanRules.EXECUTE_SPAN }
      )
      state.execute = execute
      state.executeSpan = execute.span
      // The first invocation's execute span is the anchor every later invocation hangs under (SPEC §5.2).
      if (info.isFirstInvocation) state.anchor = parentSpan(execute.span)
      state.index = indexOf(info.operations, info.updatedOperations, info.executionStartTimestamp)
      state.attempts = new Map()
      state.waiting = new Map()
      state.emitted = new Set()
      state.log ??= await PluginRead.logFor(this.#ports, info, state)
      // Counted through the checkpoints: the latest valid one (the log covers the whole state) carries the number.
      state.invocationNumber = Option.getOrUndefined(
        InvocationNumber.ofScan(info.isFirstInvocation, state.log?.firstPage)
      )
      state.plugin = this
      enter(state)
    } catch (cause) {
      this.#report(new DurableTraceError({ location: "unknown", reason: "execute span failed", cause }))
    }
    if (execute === undefined) return fn()
    const span = execute.span
    try {
      const output = await runInvocation(state, () => this.#backend.activate(span, fn))
      this.#guard(() =>
        this.#backend.setTags(span, { "aws.durable.invocation_status": String(output.Status).toLowerCase() })
      )
      return output
    } catch (error) {
      this.#guard(() => this.#backend.setError(span, error))
      throw error
    } finally {
      this.#guard(() => this.#spans.endInvocation(state, span))
      leave(state)
    }
  }

  async onInvocationEnd(info: InvocationEndInfo): Promise<void> {
    const state = currentInvocation(info.executionArn)
    if (info.status === "PENDING" && this.#options.writeEnabled && state?.executeSpan !== undefined) {
      state.outcome = await PluginWrite.save(this.#ports, this.#options, info, state, state.executeSpan)
    }
    if (state !== undefined && OperationSpans.endsExecution(info.status))
      this.#guard(() => RecordedSpans.execution(this.#backend, state, info, this.#options.handlerName))
    const invocationReport: InvocationReport = {
      executionArn: info.executionArn,
      status: info.status,
      write: state?.outcome,
      early: state?.earlyWritten
    }
    if (state !== undefined) state.report = invocationReport
    this.#options.onReport?.(invocationReport)
  }

  /** The early checkpoint for the SDK's next batch, synchronously when the invocation's log is settled. */
  earlyCheckpoint(executionArn: string): Piggyback | undefined | Promise<Piggyback | undefined> {
    return PluginWrite.early(this.#ports, this.#options, currentInvocation(executionArn))
  }

  /**
   * The trace carrier for a chained invoke about to be checkpointed: the SDK serialises the invoke's input before
   * it reports the operation, so the invoke's live span opens here, under the operation's parent (derived from the
   * SDK's step id), and its context is injected. `onOperationStart` then finds it open and names it.
   */
  async invokeCarrier(executionArn: string, stepId: string): Promise<Headers.Headers | undefined> {
    const state = currentInvocation(executionArn)
    if (state === undefined) return undefined
    const dash = stepId.lastIndexOf("-")
    const parentId = dash > 0 ? sdkOperationId(stepId.slice(0, dash)) : undefined
    const span = this.#guard(() => this.#spans.invokeSpan(state, sdkOperationId(stepId), parentId))?.span
    const propagation = this.#ports.propagation
    if (span === undefined || propagation === undefined) return undefined
    const injected = SyncPort.exitOf(() => propagation.inject(span))
    if (Exit.isSuccess(injected)) return injected.value
    await this.#ports.run(report(SyncPort.failureAt(injected.cause, "inject")))
    return undefined
  }

  async onOperationStart(info: OperationInfo): Promise<void> {
    this.#guard(() => this.#spans.start(currentInvocation(), info))
  }

  wrapChildContextFn(info: OperationInfo, fn: () => unknown): unknown {
    const span = this.#guard(() => this.#spans.start(currentInvocation(), info))?.span
    return span === undefined ? fn() : this.#backend.activate(span, fn)
  }

  async onOperationAttemptStart(info: AttemptInfo): Promise<void> {
    this.#guard(() => this.#spans.attemptStart(currentInvocation(), info))
  }

  wrapOperationAttemptFn(info: AttemptInfo, fn: () => unknown): unknown {
    const state = currentInvocation()
    const span = (state?.attempts?.get(info.id) ?? state?.operationSpans.get(info.id))?.span
    return span === undefined ? fn() : this.#backend.activate(span, fn)
  }

  async onOperationAttemptEnd(info: AttemptEndInfo): Promise<void> {
    this.#guard(() => this.#spans.attemptEnd(currentInvocation(), info))
  }

  async onOperationEnd(info: OperationEndInfo): Promise<void> {
    this.#guard(() => this.#spans.operationEnd(currentInvocation(), info))
  }

  enrichLogContext(): Record<string, string | number | boolean> | undefined {
    const span = this.#backend.active()
    if (span === undefined) return undefined
    const ids = this.#backend.ids(span)
    const context: Record<string, string> = { "dd.trace_id": ids.traceIdDecimal, "dd.span_id": ids.spanIdDecimal }
    if (this.#options.service !== undefined) context["dd.service"] = this.#options.service
    if (this.#options.env !== undefined) context["dd.env"] = this.#options.env
    return context
  }
}
