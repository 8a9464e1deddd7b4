/**
 * The span side of the SDK plugin: interprets `OperationSpans` and `SpanRules` (SPEC §5) over one invocation's
 * state. Every decision is core's; this module only starts, tags and finishes the backend's spans it says.
 */
import type {
  AttemptEndInfo,
  AttemptInfo,
  InvocationEndInfo,
  OperationEndInfo,
  OperationInfo
} from "@aws/durable-execution-sdk-js"
import * as OperationSpans from "@durable-trace/core/OperationSpans"
import * as SpanRules from "@durable-trace/core/SpanRules"
import { type Backend, type Parent, parentSpan, type Span, type SpanOptions } from "./Backend.ts"
import type { InvocationState, OpenSpan } from "./PluginInvocation.ts"

const INVOKE = { type: "CHAINED_INVOKE", subType: "ChainedInvoke" }
const operationOf = (info: OperationInfo) => ({ type: String(info.type), subType: info.subType, name: info.name })
const common = { type: SpanRules.SPAN_TYPE, integration: SpanRules.COMPONENT }

/** The spans of the invocations one plugin traces. */
export class PluginSpans {
  readonly #backend: Backend["Service"]

  constructor(backend: Backend["Service"]) {
    this.#backend = backend
  }

  /** The live span of a chained invoke, opened before the SDK reports it (its carrier is needed first). */
  invokeSpan(state: InvocationState, id: string, parentId: string | undefined): OpenSpan | undefined {
    const execute = state.execute
    if (execute === undefined) return undefined
    let open = state.operationSpans.get(id)
    if (open === undefined) {
      const parent = (parentId === undefined ? undefined : state.operationSpans.get(parentId)) ?? execute
      open = this.open(
        SpanRules.spanName(INVOKE),
        parentSpan(parent.span),
        {
          kind: SpanRules.spanKind(INVOKE),
          tags: { ...SpanRules.operationTags(INVOKE, id, undefined), [OperationSpans.ROLE_TAG]: "operation" }
        },
        { spanName: SpanRules.spanName(INVOKE), subType: INVOKE.subType, unnamed: parent.rule } as SpanRules.Parent
      )
      state.operationSpans.set(id, open)
    }
    return open
  }

  /** Opens a span now and records its start. */
  open(
    name: string,
    parent: Parent | undefined,
    options: Omit<SpanOptions, "parent">,
    rule: SpanRules.Parent
  ): OpenSpan {
    const span = this.#backend.startSpan(name, { ...common, ...options, parent })
    return { span, start: this.#backend.startTimeOf?.(span) ?? Date.now(), rule }
  }

  /** An operation starting: a live span when the rules say so, else noted for its marker or its completion. */
  start(state: InvocationState | undefined, info: OperationInfo): OpenSpan | undefined {
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
    const open = this.open(
      name,
      parentSpan(parent.span),
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

  /** What the resource rule needs of operation `id`: its live span's, else its record's, else the execute span's. */
  #ruleOf(state: InvocationState, id: string | undefined): SpanRules.Parent | undefined {
    if (id === undefined) return state.execute?.rule
    const live = state.operationSpans.get(id)
    if (live !== undefined) return live.rule
    const recorded = state.index?.operations[id]
    return recorded === undefined
      ? state.execute?.rule
      : { spanName: SpanRules.spanName(operationOf(recorded)), subType: recorded.subType }
  }

  attemptStart(state: InvocationState | undefined, info: AttemptInfo): void {
    const execute = state?.execute
    if (state === undefined || execute === undefined) return
    // Under the step's live span; a step carried from an earlier invocation runs its attempt under this one.
    const parent =
      state.operationSpans.get(info.id) ??
      (info.parentId === undefined ? undefined : state.operationSpans.get(info.parentId)) ??
      execute
    const attempt = this.open(
      OperationSpans.ATTEMPT_SPAN,
      parentSpan(parent.span),
      {
        // The step's own resource: low-cardinality under a map item or a branch.
        resource: SpanRules.resource(operationOf(info), this.#ruleOf(state, info.parentId)),
        kind: "internal",
        tags: {
          component: SpanRules.COMPONENT,
          "aws.durable.operation_attempt": SpanRules.operationAttempt(info.attempt),
          // An attempt always runs: never replayed.
          "aws.durable.replayed": false,
          ...OperationSpans.attemptTags(info.id, info.name, info.attempt)
        }
      },
      parent.rule
    )
    state.attempts?.set(info.id, attempt)
  }

  attemptEnd(state: InvocationState | undefined, info: AttemptEndInfo): void {
    const attempt = state?.attempts?.get(info.id)
    if (attempt === undefined) return
    state?.attempts?.delete(info.id)
    this.#backend.setTags(attempt.span, OperationSpans.attemptOutcomeTags(String(info.outcome)))
    if (info.error !== undefined) this.#backend.setError(attempt.span, info.error)
    this.#backend.finish(attempt.span)
  }

  operationEnd(state: InvocationState | undefined, info: OperationEndInfo): void {
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
    if (
      state.emitted?.has(info.id) ||
      !OperationSpans.emitsOnEnd(operationOf(info), state.index?.statusAtStart.get(info.id), updated)
    ) {
      return
    }
    this.#emit(state, info, Date.now())
  }

  /** The end of an invocation: completions no hook reported, suspend markers, then the execute span. */
  endInvocation(state: InvocationState, span: Span): void {
    const now = Date.now()
    for (const [id, info] of Object.entries(state.index?.updated ?? {})) {
      if (OperationSpans.drainsAtEnd(operationOf(info), info.status, state.emitted?.has(id) ?? false)) {
        this.#emit(state, { ...info, id }, now)
      }
    }
    for (const [id, info] of state.waiting ?? []) this.#marker(state, id, info)
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
  #placed(
    state: InvocationState,
    info: OperationInfo,
    carried: boolean
  ):
    | { readonly parent: Parent | undefined; readonly start?: number | undefined; readonly rule: SpanRules.Parent }
    | undefined {
    const live = info.parentId === undefined ? undefined : state.operationSpans.get(info.parentId)
    const where = OperationSpans.placement({
      carried,
      parentLive: live !== undefined,
      anchorKnown: state.anchor !== undefined
    })
    if (where === "parent" && live !== undefined) return { ...live, parent: parentSpan(live.span) }
    if (where === "anchor") {
      const anchor = state.anchor
      const start = anchor?._tag === "Span" && anchor.span === state.executeSpan ? state.execute?.start : undefined
      return { parent: anchor, start, rule: { spanName: SpanRules.EXECUTE_SPAN } }
    }
    const execute = state.execute
    return execute === undefined ? undefined : { ...execute, parent: parentSpan(execute.span) }
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
      parent: parent?.parent,
      startTime: window.start,
      resource: SpanRules.resource(operation, rule),
      kind: SpanRules.spanKind(operation),
      // The operation's one span, emitted by the invocation that first saw it complete: not a replay.
      tags: { ...this.#operationTags(state, info), "aws.durable.replayed": false }
    })
    if (info.error !== undefined) this.#backend.setError(span, info.error)
    this.#backend.finish(span, window.end)
    state.emitted?.add(info.id)
  }

  /**
   * What the invocation suspended on: a wait or callback it started, still pending. An instant at the suspend, on
   * the backend's own clock (inside the open execute span whatever clock the process fakes); the operation's span
   * comes, whole, from the invocation that sees it complete.
   */
  #marker(state: InvocationState, id: string, info: OperationInfo): void {
    const parent = this.#placed(state, info, false)
    const operation = operationOf(info)
    const span = this.#backend.startSpan(OperationSpans.SUSPEND_SPAN, {
      ...common,
      parent: parent?.parent,
      resource: info.name ?? SpanRules.spanName(operation),
      tags: {
        component: SpanRules.COMPONENT,
        ...OperationSpans.suspendTags(id, info.name, SpanRules.spanName(operation))
      }
    })
    this.#backend.finish(span)
  }

  #operationTags(state: InvocationState, info: OperationInfo): SpanRules.Tags {
    return {
      ...SpanRules.operationTags(operationOf(info), info.id, state.index?.statusAtStart.get(info.id)),
      [OperationSpans.ROLE_TAG]: "operation"
    }
  }

  /** The execution span: the whole execution, from the EXECUTION operation's start, under the anchor. */
  execution(state: InvocationState, info: InvocationEndInfo, handlerName: string): void {
    const parent = state.anchor ?? (state.executeSpan === undefined ? undefined : parentSpan(state.executeSpan))
    if (parent === undefined) return
    const span = this.#backend.startSpan(OperationSpans.EXECUTION_SPAN, {
      ...common,
      parent,
      startTime: OperationSpans.executionStart({
        serviceStart: state.index?.executionStart,
        anchorStart:
          state.anchor?._tag === "Span" && state.anchor.span === state.executeSpan ? state.execute?.start : undefined,
        firstWork: state.index?.firstWork
      }),
      resource: handlerName,
      kind: "internal",
      tags: {
        component: SpanRules.COMPONENT,
        ...OperationSpans.executionTags(info.executionArn, info.status, state.invocationNumber)
      }
    })
    if (info.executionError !== undefined) this.#backend.setError(span, info.executionError)
    this.#backend.finish(span)
  }

  /** Crash resilience: the first checkpoint, offered for the SDK's next outgoing batch (`PluginWrite.early`). */
}
