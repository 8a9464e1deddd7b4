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
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import { DurableTraceError } from "@durable-trace/core/Errors"
import type * as Headers from "@durable-trace/core/Headers"
import * as OperationSpans from "@durable-trace/core/OperationSpans"
import * as Reader from "@durable-trace/core/Reader"
import * as SpanRules from "@durable-trace/core/SpanRules"
import { degradeWith, report } from "@durable-trace/core/Telemetry"
import { TracePropagation } from "@durable-trace/core/TracePropagation"
import * as Effect from "effect/Effect"
import type * as ManagedRuntime from "effect/ManagedRuntime"
import type { Backend, Span, SpanOptions } from "./Backend.ts"
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
import * as PluginWrite from "./PluginWrite.ts"
import * as SdkOperations from "./SdkOperations.ts"

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
export const earlyCheckpoints: PiggybackSource = async (executionArn) =>
  DurableTracePlugin.forExecution(executionArn)?.earlyCheckpoint(executionArn)

/** SPEC §5 span names by the SDK's operation subtype. */
export const OPERATION_SPAN_NAMES = SpanRules.OPERATION_SPAN_NAMES

/** The SDK's operation id for a step id: the first 16 hex of its MD5 (how the SDK names operations on the wire). */
export const sdkOperationId = (stepId: string): string => createHash("md5").update(stepId).digest("hex").slice(0, 16)

const INVOKE = { type: "CHAINED_INVOKE", subType: "ChainedInvoke" }
const operationOf = (info: OperationInfo) => ({ type: String(info.type), subType: info.subType, name: info.name })
const common = { type: SpanRules.SPAN_TYPE, integration: SpanRules.COMPONENT }

/** The plugin: one per wrapped handler, its state per invocation (found through the async context). */
export class DurableTracePlugin implements DurableInstrumentationPlugin {
  /** The plugin tracing the invocation of `executionArn` this async context belongs to, if any. */
  static forExecution(executionArn: string): DurableTracePlugin | undefined {
    const plugin = currentInvocation(executionArn)?.plugin
    return plugin instanceof DurableTracePlugin ? plugin : undefined
  }

  readonly #options: PluginOptions
  readonly #backend: Backend["Service"]
  readonly #run: PluginWrite.Run

  constructor(options: PluginOptions, backend: Backend["Service"]) {
    this.#options = options
    this.#backend = backend
    // A failure (impossible by construction, but hooks must not throw) is dropped.
    this.#run = (effect) => options.runtime.runPromise(effect).catch(() => undefined)
  }

  /** Runs `fn`; a throw is reported as telemetry instead of reaching the SDK. */
  #guard<A>(fn: () => A): A | undefined {
    try {
      return fn()
    } catch (cause) {
      void this.#run(report(new DurableTraceError({ location: "unknown", reason: "plugin hook threw", cause })))
      return undefined
    }
  }

  /** Opens a span now and records its start. */
  #open(name: string, parent: unknown, options: Omit<SpanOptions, "parent">, rule: SpanRules.Parent): OpenSpan {
    const span = this.#backend.startSpan(name, { ...common, ...options, parent })
    return { span, start: Date.now(), rule }
  }

  async #parentFor(info: InvocationInfo, state: InvocationState): Promise<unknown> {
    if (state.parent !== undefined) return state.parent
    // Under an outer Lambda wrapper (SPEC §10): its invocation span is the parent.
    const outer = this.#backend.active()
    if (outer !== undefined) return outer
    // Without a wrapper: read the context from the operations the SDK already fetched (all pages).
    const event = SdkOperations.toEvent(info)
    const read = await this.#run(
      Effect.gen(function* () {
        const log = yield* CheckpointLog.make(event, info.executionArn)
        return yield* Reader.read(event, undefined, { log })
      }).pipe(Effect.provideService(CheckpointStore, SdkOperations.noPaging))
    )
    const context = read?.context._tag === "Some" ? read.context.value.native : undefined
    if (read?.source === "checkpoint") state.anchor ??= context
    return context
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
      const parent = await this.#parentFor(info, state)
      execute = this.#open(
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
      if (info.isFirstInvocation) state.anchor = execute.span
      state.index = indexOf(info.operations, info.updatedOperations, info.executionStartTimestamp)
      state.attempts = new Map()
      state.waiting = new Map()
      state.emitted = new Set()
      // The SDK has loaded every page already: this view needs no further request.
      state.log = await this.#run(
        CheckpointLog.make(SdkOperations.toEvent(info), info.executionArn).pipe(
          Effect.provideService(CheckpointStore, state.store ?? SdkOperations.noPaging)
        )
      )
      state.plugin = this
      enter(state)
    } catch (cause) {
      void this.#run(report(new DurableTraceError({ location: "unknown", reason: "execute span failed", cause })))
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
      this.#guard(() => this.#endInvocation(state, span))
      leave(state)
    }
  }

  /** The end of an invocation: completions no hook reported, suspend markers, then the execute span. */
  #endInvocation(state: InvocationState, span: Span): void {
    const now = Date.now()
    for (const [id, info] of Object.entries(state.index?.updated ?? {})) {
      if (OperationSpans.drainsAtEnd(operationOf(info), info.status, state.emitted?.has(id) ?? false)) {
        this.#emit(state, { ...info, id }, now)
      }
    }
    for (const [id, info] of state.waiting ?? []) this.#marker(state, id, info, now)
    for (const [id, open] of state.operationSpans) {
      // Still pending at suspend: this span becomes the marker; the operation's span comes when it completes.
      this.#backend.setTags(open.span, OperationSpans.suspendTags(id, undefined, open.rule.spanName))
      this.#backend.finish(open.span)
    }
    for (const attempt of state.attempts?.values() ?? []) this.#backend.finish(attempt.span)
    state.operationSpans.clear()
    this.#backend.finish(span)
  }

  /** The parent (and its start) of a span made for `info` from the service's timestamps. */
  #placed(state: InvocationState, info: OperationInfo, carried: boolean) {
    const live = info.parentId === undefined ? undefined : state.operationSpans.get(info.parentId)
    const where = OperationSpans.placement({
      carried,
      parentLive: live !== undefined,
      anchorKnown: state.anchor !== undefined
    })
    if (where === "parent" && live !== undefined) return live
    if (where === "anchor") {
      const start = state.anchor === state.executeSpan ? state.execute?.start : undefined
      return { span: state.anchor, start, rule: { spanName: SpanRules.EXECUTE_SPAN } }
    }
    return state.execute
  }

  /** The one operation span of `info`, made from the service's timestamps now that it completed. */
  #emit(state: InvocationState, info: OperationInfo, now: number): void {
    const carried = state.index?.statusAtStart.has(info.id) ?? false
    const parent = this.#placed(state, info, carried)
    const window = OperationSpans.window({
      serviceStart: OperationSpans.millis(info.startTimestamp),
      serviceEnd: OperationSpans.millis(info.endTimestamp),
      parentStart: parent?.start,
      now
    })
    const operation = operationOf(info)
    // The resource follows the operation's own parent (a map item stays low-cardinality under the anchor).
    const logical = info.parentId === undefined ? undefined : state.index?.operations[info.parentId]
    const rule =
      logical === undefined
        ? parent?.rule
        : { spanName: SpanRules.spanName(operationOf(logical)), subType: logical.subType }
    const span = this.#backend.startSpan(SpanRules.spanName(operation), {
      ...common,
      parent: parent?.span,
      startTime: window.start,
      resource: SpanRules.resource(operation, rule),
      kind: SpanRules.spanKind(operation),
      tags: this.#operationTags(state, info)
    })
    if (info.error !== undefined) this.#backend.setError(span, info.error)
    this.#backend.finish(span, window.end)
    state.emitted?.add(info.id)
  }

  /** What the invocation suspended on: a wait or callback it started, still pending. */
  #marker(state: InvocationState, id: string, info: OperationInfo, now: number): void {
    const parent = this.#placed(state, info, false)
    const window = OperationSpans.window({
      serviceStart: OperationSpans.millis(info.startTimestamp),
      serviceEnd: undefined,
      parentStart: parent?.start,
      now
    })
    const operation = operationOf(info)
    const span = this.#backend.startSpan(OperationSpans.SUSPEND_SPAN, {
      ...common,
      parent: parent?.span,
      startTime: window.start,
      resource: info.name ?? SpanRules.spanName(operation),
      tags: {
        component: SpanRules.COMPONENT,
        ...OperationSpans.suspendTags(id, info.name, SpanRules.spanName(operation))
      }
    })
    this.#backend.finish(span, window.end)
  }

  #operationTags(state: InvocationState, info: OperationInfo): SpanRules.Tags {
    return {
      ...SpanRules.operationTags(operationOf(info), info.id, state.index?.statusAtStart.get(info.id)),
      [OperationSpans.ROLE_TAG]: "operation"
    }
  }

  async onInvocationEnd(info: InvocationEndInfo): Promise<void> {
    const state = currentInvocation(info.executionArn)
    if (info.status === "PENDING" && this.#options.writeEnabled && state?.executeSpan !== undefined) {
      state.outcome = await PluginWrite.save(this.#run, this.#options, info, state, state.executeSpan)
    }
    if (state !== undefined && OperationSpans.endsExecution(info.status))
      this.#guard(() => this.#execution(state, info))
    const invocationReport: InvocationReport = {
      executionArn: info.executionArn,
      status: info.status,
      write: state?.outcome,
      early: state?.earlyWritten
    }
    if (state !== undefined) state.report = invocationReport
    this.#options.onReport?.(invocationReport)
  }

  /** The execution span: the whole execution, from the EXECUTION operation's start, under the anchor. */
  #execution(state: InvocationState, info: InvocationEndInfo): void {
    const parent = state.anchor ?? state.executeSpan
    if (parent === undefined) return
    const span = this.#backend.startSpan(OperationSpans.EXECUTION_SPAN, {
      ...common,
      parent,
      startTime: state.index?.executionStart,
      resource: this.#options.handlerName,
      kind: "internal",
      tags: {
        component: SpanRules.COMPONENT,
        ...OperationSpans.executionTags(info.executionArn, info.status, undefined)
      }
    })
    if (info.executionError !== undefined) this.#backend.setError(span, info.executionError)
    this.#backend.finish(span)
  }

  /** Crash resilience: the first checkpoint, offered for the SDK's next outgoing batch (`PluginWrite.early`). */
  async earlyCheckpoint(executionArn: string): Promise<Piggyback | undefined> {
    return PluginWrite.early(this.#run, this.#options, currentInvocation(executionArn))
  }

  /**
   * The trace carrier for a chained invoke about to be checkpointed: the SDK serialises the invoke's input before
   * it reports the operation, so the invoke's live span opens here, under the operation's parent (derived from the
   * SDK's step id), and its context is injected. `onOperationStart` then finds it open and names it.
   */
  async invokeCarrier(executionArn: string, stepId: string): Promise<Headers.Headers | undefined> {
    const state = currentInvocation(executionArn)
    const execute = state?.execute
    if (state === undefined || execute === undefined) return undefined
    const id = sdkOperationId(stepId)
    let open = state.operationSpans.get(id)
    if (open === undefined) {
      const dash = stepId.lastIndexOf("-")
      const parent = (dash > 0 ? state.operationSpans.get(sdkOperationId(stepId.slice(0, dash))) : undefined) ?? execute
      open = this.#open(
        SpanRules.spanName(INVOKE),
        parent.span,
        {
          kind: SpanRules.spanKind(INVOKE),
          tags: { ...SpanRules.operationTags(INVOKE, id, undefined), [OperationSpans.ROLE_TAG]: "operation" }
        },
        { spanName: SpanRules.spanName(INVOKE), subType: INVOKE.subType, unnamed: parent.rule } as SpanRules.Parent
      )
      state.operationSpans.set(id, open)
    }
    const span = open.span
    return this.#run(
      Effect.flatMap(Effect.service(TracePropagation), (propagation) => propagation.inject(span)).pipe(
        degradeWith((): undefined => undefined, "inject")
      )
    )
  }

  async onOperationStart(info: OperationInfo): Promise<void> {
    this.#guard(() => this.#start(info))
  }

  /** An operation starting: a live span when the rules say so, else noted for its marker or its completion. */
  #start(info: OperationInfo): OpenSpan | undefined {
    const state = currentInvocation()
    const execute = state?.execute
    if (state === undefined || execute === undefined) return undefined
    const operation = operationOf(info)
    const existing = state.operationSpans.get(info.id)
    if (existing !== undefined) {
      const unnamed = (existing.rule as { unnamed?: SpanRules.Parent }).unnamed
      if (unnamed !== undefined) {
        // Opened early for a chained invoke's carrier, before its name was known.
        this.#backend.setTags(existing.span, {
          "resource.name": SpanRules.resource(operation, unnamed),
          "aws.durable.operation_name": info.name
        })
      }
      return existing
    }
    const statusAtStart = state.index?.statusAtStart.get(info.id)
    if (!OperationSpans.opensLive(operation, statusAtStart)) {
      if (statusAtStart === undefined && OperationSpans.isWaiting(operation)) state.waiting?.set(info.id, info)
      return undefined
    }
    const parent = (info.parentId === undefined ? undefined : state.operationSpans.get(info.parentId)) ?? execute
    const name = SpanRules.spanName(operation)
    const open = this.#open(
      name,
      parent.span,
      {
        resource: SpanRules.resource(operation, parent.rule),
        kind: SpanRules.spanKind(operation),
        tags: this.#operationTags(state, info)
      },
      { spanName: name, subType: info.subType }
    )
    state.operationSpans.set(info.id, open)
    return open
  }

  async onOperationAttemptStart(info: AttemptInfo): Promise<void> {
    this.#guard(() => {
      const state = currentInvocation()
      const execute = state?.execute
      if (state === undefined || execute === undefined) return
      // Under the step's live span; a step carried from an earlier invocation runs its attempt under this one.
      const parent =
        state.operationSpans.get(info.id) ??
        (info.parentId === undefined ? undefined : state.operationSpans.get(info.parentId)) ??
        execute
      const attempt = this.#open(
        OperationSpans.ATTEMPT_SPAN,
        parent.span,
        {
          resource: info.name ?? SpanRules.spanName(operationOf(info)),
          kind: "internal",
          tags: {
            component: SpanRules.COMPONENT,
            "aws.durable.operation_attempt": SpanRules.operationAttempt(info.attempt),
            ...OperationSpans.attemptTags(info.id, info.name, info.attempt)
          }
        },
        parent.rule
      )
      state.attempts?.set(info.id, attempt)
    })
  }

  wrapOperationAttemptFn(info: AttemptInfo, fn: () => unknown): unknown {
    const state = currentInvocation()
    const span = (state?.attempts?.get(info.id) ?? state?.operationSpans.get(info.id))?.span
    return span === undefined ? fn() : this.#backend.activate(span, fn)
  }

  wrapChildContextFn(info: OperationInfo, fn: () => unknown): unknown {
    const span = this.#guard(() => this.#start(info))?.span
    return span === undefined ? fn() : this.#backend.activate(span, fn)
  }

  async onOperationAttemptEnd(info: AttemptEndInfo): Promise<void> {
    this.#guard(() => {
      const state = currentInvocation()
      const attempt = state?.attempts?.get(info.id)
      if (attempt === undefined) return
      state?.attempts?.delete(info.id)
      this.#backend.setTags(attempt.span, OperationSpans.attemptOutcomeTags(String(info.outcome)))
      if (info.error !== undefined) this.#backend.setError(attempt.span, info.error)
      this.#backend.finish(attempt.span)
    })
  }

  async onOperationEnd(info: OperationEndInfo): Promise<void> {
    this.#guard(() => {
      const state = currentInvocation()
      if (state?.execute === undefined) return
      state.waiting?.delete(info.id)
      const live = state.operationSpans.get(info.id)
      if (live !== undefined) {
        if (info.error !== undefined) this.#backend.setError(live.span, info.error)
        this.#backend.finish(live.span)
        state.operationSpans.delete(info.id)
        state.emitted?.add(info.id)
        return
      }
      const index = state.index
      const updated =
        index !== undefined &&
        OperationSpans.updatedSince({
          listed: Object.hasOwn(index.updated, info.id),
          listKnown: index.listKnown,
          start: OperationSpans.millis(info.startTimestamp),
          end: OperationSpans.millis(info.endTimestamp),
          lastActivity: index.lastActivity
        })
      if (state.emitted?.has(info.id) || !OperationSpans.emitsOnEnd(state.index?.statusAtStart.get(info.id), updated)) {
        return
      }
      this.#emit(state, info, Date.now())
    })
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
