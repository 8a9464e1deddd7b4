/**
 * The durable SDK plugin (its official `DurableInstrumentationPlugin` API, SPEC §7): opens
 * `aws.durable.execute` around each invocation and one span per operation, or per attempt of a retried step, named
 * and tagged by `SpanRules` (SPEC §5), enriches the SDK logger's lines with trace ids (SPEC §6), and, when an
 * invocation suspends, runs the writer (SPEC §4).
 * Hooks never throw into the SDK: every failure degrades to telemetry. Completed steps fire no hooks on replay,
 * so, unlike dd-trace's own integration, replayed steps get no spans; that is the price of not reading SDK
 * internals.
 */

import { AsyncLocalStorage } from "node:async_hooks"
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
import * as Budget from "@durable-trace/core/Budget"
import * as CheckpointLog from "@durable-trace/core/CheckpointLog"
import { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import { DurableTraceError } from "@durable-trace/core/Errors"
import type * as Headers from "@durable-trace/core/Headers"
import * as Reader from "@durable-trace/core/Reader"
import * as SpanRules from "@durable-trace/core/SpanRules"
import { degradeWith, report, type Telemetry } from "@durable-trace/core/Telemetry"
import { TracePropagation } from "@durable-trace/core/TracePropagation"
import * as Writer from "@durable-trace/core/Writer"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import { type Backend, type Parent, parentOf, parentSpan, type Span } from "./Backend.ts"
import type { Piggyback, PiggybackSource } from "./DurableClient.ts"
import * as RealClock from "./RealClock.ts"
import * as SdkOperations from "./SdkOperations.ts"

/** The services a plugin runs its programs with. */
export type PluginServices = Backend | TracePropagation | Telemetry

/**
 * What the plugin knows of one invocation. The wrapper (`withDurableTracing`) creates it and runs the invocation
 * inside it (`runInvocation`); without a wrapper the plugin creates its own. Many invocations may be in flight
 * in one process (Lambda Managed Instances, SPEC §8): each hook finds its invocation through the async context
 * it runs in, never through a process-wide registry.
 */
export interface InvocationState {
  /** The execution this invocation belongs to. */
  readonly executionArn: string
  /** Present when the wrapper tracks the client: without it the plugin cannot write. */
  readonly store?: CheckpointStore["Service"] | undefined
  /** Epoch ms by which the invocation must have returned (from the Lambda context). */
  readonly deadline?: number | undefined
  /** The parent of `aws.durable.execute`; `undefined` means the plugin reads the context itself. */
  readonly parent?: Span | undefined
  executeSpan?: Span | undefined
  readonly operationSpans: Map<string, Span>
  /** Each operation's status when the invocation started (the replay flag's input, SPEC §5). */
  statusAtStart?: { readonly get: (id: string) => string | undefined } | undefined
  /** Created by the plugin itself (no wrapper): dropped when the invocation ends. */
  readonly ownedByPlugin?: boolean | undefined
  /** The invocation's checkpoint view, shared by the early write and the suspend write. */
  log?: CheckpointLog.CheckpointLog | undefined
  /** Whether the early write (crash resilience) was offered already. */
  early?: boolean | undefined
  /** The checkpoint that went out early, in one of the SDK's batches. */
  earlyWritten?: EarlyWrite | undefined
  outcome?: Writer.SaveOutcome | undefined
  /** What the invocation read and wrote, once it ended. */
  report?: InvocationReport | undefined
  /** The plugin tracing this invocation (set by its `wrapInvocation`). */
  plugin?: DurableTracePlugin | undefined
}

/** The invocation each async context belongs to. */
const current = new AsyncLocalStorage<InvocationState>()

/**
 * The invocations in flight, by execution: only for a call that names its execution but runs outside any
 * invocation's context (a timer faked by a test runner loses the context). It answers only when exactly one
 * invocation of that execution is in flight, so it can never pick another invocation's state.
 */
const inFlight = new Map<string, Set<InvocationState>>()

const enter = (state: InvocationState): void => {
  const states = inFlight.get(state.executionArn)
  if (states === undefined) inFlight.set(state.executionArn, new Set([state]))
  else states.add(state)
}

const leave = (state: InvocationState): void => {
  const states = inFlight.get(state.executionArn)
  states?.delete(state)
  if (states?.size === 0) inFlight.delete(state.executionArn)
}

/** Runs `fn`, and everything it starts, as part of the invocation `state` (the wrapper's entry point). */
export const runInvocation = <A>(state: InvocationState, fn: () => A): A => current.run(state, fn)

/**
 * The invocation this async context belongs to (of `executionArn`, when given), if any. Without a context, a
 * given `executionArn` with exactly one invocation in flight names that one.
 */
export const currentInvocation = (executionArn?: string): InvocationState | undefined => {
  const state = current.getStore()
  if (state !== undefined) return executionArn === undefined || state.executionArn === executionArn ? state : undefined
  if (executionArn === undefined) return undefined
  const states = inFlight.get(executionArn)
  return states?.size === 1 ? states.values().next().value : undefined
}

/** Options of the plugin. */
export interface PluginOptions {
  readonly runtime: ManagedRuntime.ManagedRuntime<PluginServices, never>
  /** Whether to write checkpoints on suspend (SPEC §4.1; `DD_DURABLE_CROSS_INVOCATION_TRACING_ENABLED`). */
  readonly writeEnabled: boolean
  /** Whether `_datadog_0` may ride in the SDK's first batch (SPEC §4.1; `DURABLE_TRACE_EARLY_CHECKPOINT`). */
  readonly earlyCheckpoint?: boolean | undefined
  /** Upper bound of the suspend write, ms. */
  readonly writeTimeoutMillis: number
  /** Time kept free before the Lambda deadline, ms: the write never pushes past `deadline - margin`. */
  readonly deadlineMarginMillis: number
  /** The `aws.durable.execute` resource: the handler's name. */
  readonly handlerName: string
  readonly service?: string | undefined
  readonly env?: string | undefined
  readonly extractor?: Reader.Extractor | undefined
  /** Linked trace mode (SPEC §11): checkpoints keep the anchor and name the previous invocation. */
  readonly linked?: boolean | undefined
  /** Called with each invocation's result: what was read and written (the demo and tests print it). */
  readonly onReport?: ((report: InvocationReport) => void) | undefined
}

/** A checkpoint written early, inside one of the SDK's own checkpoint batches. */
export interface EarlyWrite {
  readonly name: string
  readonly anchor: string
  readonly operationId: string
}

/** What one invocation read and wrote. */
export interface InvocationReport {
  readonly executionArn: string
  readonly status: string
  /** The suspend-time save, when the invocation suspended. */
  readonly write: Writer.SaveOutcome | undefined
  /** The checkpoint that rode along in the SDK's first batch (crash resilience). */
  readonly early: EarlyWrite | undefined
}

/**
 * The early checkpoint's source for every tracked client: whichever plugin runs the execution decides, with its
 * own settings (SPEC §4.1), so handlers sharing one client keep their own `earlyCheckpoint`.
 */
export const earlyCheckpoints: PiggybackSource = async (executionArn) =>
  DurableTracePlugin.forExecution(executionArn)?.earlyCheckpoint(executionArn)

/** SPEC §5 span names by the SDK's operation subtype. */
export const OPERATION_SPAN_NAMES = SpanRules.OPERATION_SPAN_NAMES

/** The SDK's operation id for a step id: the first 16 hex of its MD5 (how the SDK names operations on the wire). */
export const sdkOperationId = (stepId: string): string => createHash("md5").update(stepId).digest("hex").slice(0, 16)

// A view over the SDK's own operation map of this invocation (alive until it ends anyway): no copy per invocation.
const statusesOf = (info: InvocationInfo): { readonly get: (id: string) => string | undefined } => {
  const operations = info.operations ?? {}
  return { get: (id) => (Object.hasOwn(operations, id) ? operations[id]!.status : undefined) }
}

const time = (date: Date | undefined): number | undefined =>
  date instanceof Date && Number.isFinite(date.getTime()) ? date.getTime() : undefined

/**
 * The plugin. One instance per wrapped handler, shared by every invocation in flight; its state is per
 * invocation, found through the async context each hook runs in (`currentInvocation`).
 */
export class DurableTracePlugin implements DurableInstrumentationPlugin {
  /** The plugin tracing the invocation of `executionArn` this async context belongs to, if any. */
  static forExecution(executionArn: string): DurableTracePlugin | undefined {
    return currentInvocation(executionArn)?.plugin
  }

  readonly #options: PluginOptions
  readonly #backend: Backend["Service"]

  constructor(options: PluginOptions, backend: Backend["Service"]) {
    this.#options = options
    this.#backend = backend
  }

  /** The wrapper's state of this invocation, or a new one the plugin owns (loaded without the wrapper). */
  #state(executionArn: string): InvocationState {
    return currentInvocation(executionArn) ?? { executionArn, operationSpans: new Map(), ownedByPlugin: true }
  }

  /** Runs `effect`; a failure (impossible by construction, but hooks must not throw) is dropped. */
  #run<A>(effect: Effect.Effect<A, never, PluginServices>): Promise<A | undefined> {
    return this.#options.runtime.runPromise(effect).catch(() => undefined)
  }

  /** Reports a thrown hook error as telemetry instead of letting the SDK swallow it silently. */
  #guard(location: "unknown" | "extract", fn: () => void): void {
    try {
      fn()
    } catch (cause) {
      void this.#run(report(new DurableTraceError({ location, reason: "plugin hook threw", cause })))
    }
  }

  async #parentFor(info: InvocationInfo, state: InvocationState): Promise<Parent | undefined> {
    if (state.parent !== undefined) return parentSpan(state.parent)
    // Loaded through DURABLE_EXECUTION_PLUGINS under an outer Lambda wrapper (datadog-lambda-js, the OpenTelemetry
    // instrumentation): its invocation span is the parent (SPEC §10), whose own parent the wrapper chose.
    const outer = this.#backend.active()
    if (outer !== undefined) return parentSpan(outer)
    // Without a wrapper: read the context from the operations the SDK already fetched (all pages).
    const event = SdkOperations.toEvent(info)
    const read = await this.#run(
      Effect.gen(function* () {
        const log = yield* CheckpointLog.make(event, info.executionArn)
        return yield* Reader.read(event, undefined, { log })
      }).pipe(Effect.provideService(CheckpointStore, SdkOperations.noPaging))
    )
    return read === undefined ? undefined : Option.getOrUndefined(parentOf(read.context))
  }

  async wrapInvocation(
    info: InvocationInfo,
    fn: () => Promise<DurableExecutionInvocationOutput>
  ): Promise<DurableExecutionInvocationOutput> {
    const state = this.#state(info.executionArn)
    let span: Span | undefined
    try {
      const parent = await this.#parentFor(info, state)
      span = this.#backend.startSpan(SpanRules.EXECUTE_SPAN, {
        parent,
        resource: this.#options.handlerName,
        type: SpanRules.SPAN_TYPE,
        kind: "internal",
        integration: SpanRules.COMPONENT,
        tags: SpanRules.executeTags(info.executionArn, info.isFirstInvocation)
      })
      state.executeSpan = span
      state.statusAtStart = statusesOf(info)
      this.#parents.set(span, { spanName: SpanRules.EXECUTE_SPAN })
      // The wrapper's log when it read a single page (the whole state); else the SDK's view of every page, which
      // needs no further request.
      state.log ??= await this.#run(
        CheckpointLog.make(SdkOperations.toEvent(info), info.executionArn).pipe(
          Effect.provideService(CheckpointStore, state.store ?? SdkOperations.noPaging)
        )
      )
      state.plugin = this
      enter(state)
    } catch (cause) {
      void this.#run(report(new DurableTraceError({ location: "unknown", reason: "execute span failed", cause })))
    }
    if (span === undefined) return fn()
    const executeSpan = span
    try {
      const output = await runInvocation(state, () => this.#backend.activate(executeSpan, fn))
      this.#guard("unknown", () =>
        this.#backend.setTags(executeSpan, { "aws.durable.invocation_status": String(output.Status).toLowerCase() })
      )
      return output
    } catch (error) {
      this.#guard("unknown", () => this.#backend.setError(executeSpan, error))
      throw error
    } finally {
      this.#guard("unknown", () => {
        // Operations still pending at suspend end with the invocation, so the trace flushes (SPEC §5).
        for (const pending of state.operationSpans.values()) this.#backend.finish(pending)
        state.operationSpans.clear()
        this.#backend.finish(executeSpan)
      })
      leave(state)
    }
  }

  async onInvocationEnd(info: InvocationEndInfo): Promise<void> {
    const state = currentInvocation(info.executionArn)
    if (info.status === "PENDING" && this.#options.writeEnabled && state?.executeSpan !== undefined) {
      state.outcome = await this.#save(info, state, state.executeSpan)
    }
    const invocationReport: InvocationReport = {
      executionArn: info.executionArn,
      status: info.status,
      write: state?.outcome,
      early: state?.earlyWritten
    }
    if (state !== undefined) state.report = invocationReport
    this.#options.onReport?.(invocationReport)
  }

  async #save(info: InvocationEndInfo, state: InvocationState, executeSpan: Span): Promise<Writer.SaveOutcome> {
    const { writeTimeoutMillis, deadlineMarginMillis, linked } = this.#options
    const store = state.store
    const timeout = Budget.millisLeft({
      boundMillis: writeTimeoutMillis,
      deadline: state.deadline,
      nowMillis: RealClock.now(),
      marginMillis: deadlineMarginMillis
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
      return yield* Writer.save({ log, executeSpan, timeout: `${timeout} millis`, linked }).pipe(
        Effect.provideService(CheckpointStore, store)
      )
    })
    const outcome = await this.#run(
      program.pipe(
        // The bound is real time, whatever clock the process has faked.
        Effect.provideService(Clock.Clock, RealClock.clock),
        degradeWith((error): Writer.SaveOutcome => ({ _tag: "Failed", error }))
      )
    )
    return outcome ?? { _tag: "Failed", error: new DurableTraceError({ location: "unknown", reason: "runtime" }) }
  }

  /**
   * Crash resilience: the first checkpoint of an execution that has none yet, offered for the SDK's next
   * outgoing batch (no extra round trip). If the invocation then dies before it suspends (timeout, out of
   * memory), its retry still finds `_datadog_0` and continues the trace. Offered once per invocation; the suspend
   * write later diffs against it, so a change still writes N+1.
   */
  async earlyCheckpoint(executionArn: string): Promise<Piggyback | undefined> {
    const state = currentInvocation(executionArn)
    const log = state?.log
    const executeSpan = state?.executeSpan
    // This handler's own setting: a client shared with another handler asks whichever runs the execution.
    const enabled = this.#options.writeEnabled && this.#options.earlyCheckpoint !== false
    if (!enabled || state?.store === undefined || log === undefined || executeSpan === undefined) {
      return undefined
    }
    if (state.early || log.firstPage.highestN >= 0 || log.paged) return undefined
    state.early = true
    const prepared = await this.#run(Writer.prepare({ log, executeSpan }).pipe(degradeWith((): undefined => undefined)))
    if (prepared === undefined || "_tag" in prepared) return undefined
    return {
      update: prepared.update,
      committed: () => {
        Effect.runSync(log.recordWrite(prepared.n, prepared.payload))
        state.earlyWritten = { name: prepared.name, anchor: prepared.anchor, operationId: prepared.update.Id }
      },
      abandoned: (cause) => {
        void this.#run(
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

  /**
   * The trace carrier for a chained invoke about to be checkpointed: the SDK serialises the invoke's input
   * before it reports the operation, so the `aws.durable.invoke` span is opened here, under the operation's parent
   * (derived from the SDK's step id), and its context injected. `onOperationStart` then finds the span open.
   */
  async invokeCarrier(executionArn: string, stepId: string): Promise<Headers.Headers | undefined> {
    const state = currentInvocation(executionArn)
    if (state?.executeSpan === undefined) return undefined
    const id = sdkOperationId(stepId)
    let span = state.operationSpans.get(id)
    if (span === undefined) {
      const dash = stepId.lastIndexOf("-")
      const parent = dash > 0 ? state.operationSpans.get(sdkOperationId(stepId.slice(0, dash))) : undefined
      const invoke = { type: "CHAINED_INVOKE", subType: "ChainedInvoke" }
      span = this.#backend.startSpan(SpanRules.spanName(invoke), {
        parent: parentSpan(parent ?? state.executeSpan),
        type: SpanRules.SPAN_TYPE,
        kind: SpanRules.spanKind(invoke),
        integration: SpanRules.COMPONENT,
        tags: SpanRules.operationTags(invoke, id, state.statusAtStart?.get(id))
      })
      this.#parents.set(span, { spanName: SpanRules.spanName(invoke), subType: invoke.subType })
      state.operationSpans.set(id, span)
      this.#openedEarly.set(span, parent ?? state.executeSpan)
    }
    const invokeSpan = span
    return this.#run(
      Effect.flatMap(Effect.service(TracePropagation), (propagation) => propagation.inject(invokeSpan)).pipe(
        degradeWith((): undefined => undefined, "inject")
      )
    )
  }

  async onOperationStart(info: OperationInfo): Promise<void> {
    this.#guard("unknown", () => {
      this.#startOperation(info)
    })
  }

  /**
   * The span of `info`, started now on the backend's own clock, or at `startTime` for an operation that began
   * in an earlier invocation (its server timestamps are all that is known of it).
   */
  #startOperation(info: OperationInfo, startTime?: number): Span | undefined {
    const state = this.#findState(info)
    if (state?.executeSpan === undefined) return undefined
    const existing = state.operationSpans.get(info.id)
    if (existing !== undefined) {
      const earlyParent = this.#openedEarly.get(existing)
      if (earlyParent !== undefined) {
        // Opened early for a chained invoke's carrier, before its name was known.
        this.#openedEarly.delete(existing)
        const operation = { type: String(info.type), subType: info.subType, name: info.name }
        this.#backend.setTags(existing, {
          "resource.name": SpanRules.resource(operation, this.#parents.get(earlyParent)),
          "aws.durable.operation_name": info.name
        })
      }
      return existing
    }
    const parent =
      (info.parentId !== undefined ? state.operationSpans.get(info.parentId) : undefined) ?? state.executeSpan
    const operation = { type: String(info.type), subType: info.subType, name: info.name }
    const name = SpanRules.spanName(operation)
    const span = this.#backend.startSpan(name, {
      parent: parentSpan(parent),
      resource: SpanRules.resource(operation, this.#parents.get(parent)),
      type: SpanRules.SPAN_TYPE,
      kind: SpanRules.spanKind(operation),
      integration: SpanRules.COMPONENT,
      startTime,
      tags: SpanRules.operationTags(operation, info.id, state.statusAtStart?.get(info.id))
    })
    this.#parents.set(span, { spanName: name, subType: info.subType })
    state.operationSpans.set(info.id, span)
    return span
  }

  /** What the resource rule needs of each open span: its name and subtype. */
  readonly #parents = new WeakMap<Span, SpanRules.Parent>()
  /** Invoke spans opened by `invokeCarrier`, whose name `onOperationStart` has yet to set, with their parents. */
  readonly #openedEarly = new WeakMap<Span, Span>()

  /**
   * The state of the invocation an operation hook runs for: the async context's. Operation hooks carry no
   * execution ARN, and operation ids repeat across executions (the SDK derives them from a step counter), so
   * nothing else can tell concurrent invocations apart.
   */
  #findState(_info: OperationInfo): InvocationState | undefined {
    return currentInvocation()
  }

  async onOperationAttemptStart(info: AttemptInfo): Promise<void> {
    this.#guard("unknown", () => {
      const span = this.#startOperation(info)
      if (span !== undefined) {
        this.#backend.setTags(span, { "aws.durable.operation_attempt": SpanRules.operationAttempt(info.attempt) })
      }
    })
  }

  wrapOperationAttemptFn(info: AttemptInfo, fn: () => unknown): unknown {
    const span = this.#findState(info)?.operationSpans.get(info.id)
    return span === undefined ? fn() : this.#backend.activate(span, fn)
  }

  wrapChildContextFn(info: OperationInfo, fn: () => unknown): unknown {
    let span: Span | undefined
    this.#guard("unknown", () => {
      span = this.#startOperation(info)
    })
    return span === undefined ? fn() : this.#backend.activate(span, fn)
  }

  async onOperationAttemptEnd(info: AttemptEndInfo): Promise<void> {
    this.#guard("unknown", () => {
      const state = this.#findState(info)
      const span = state?.operationSpans.get(info.id)
      if (span === undefined || info.outcome !== "FAILED") return
      if (info.error !== undefined) this.#backend.setError(span, info.error)
      // A retry follows: this attempt's span ends here, with its error; the next attempt opens its own.
      if (SpanRules.endsWithAttempt(info.outcome, info.status)) {
        this.#backend.finish(span)
        state?.operationSpans.delete(info.id)
      }
    })
  }

  async onOperationEnd(info: OperationEndInfo): Promise<void> {
    this.#guard("unknown", () => {
      const state = this.#findState(info)
      if (state === undefined) return
      const started = state.operationSpans.get(info.id)
      // A wait or callback that completed between invocations ends without a start in this one: it spans the
      // server's timestamps (whose clocks need not agree: the end is never before the start).
      const start = started === undefined ? time(info.startTimestamp) : undefined
      const span = started ?? this.#startOperation(info, start)
      if (span === undefined) return
      if (info.error !== undefined) this.#backend.setError(span, info.error)
      const end = started === undefined ? time(info.endTimestamp) : undefined
      this.#backend.finish(span, end === undefined || start === undefined ? end : Math.max(end, start))
      state.operationSpans.delete(info.id)
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
