/**
 * The span side of the SDK plugin: interprets `OperationSpans` and `SpanRules` (SPEC §5) over one invocation's
 * state, for the live spans (operations, attempts, the end of the invocation). Spans made from the service's
 * record (an operation completed elsewhere, suspend markers, the execution span) are `RecordedSpans`'. Every
 * decision is core's; this module only starts, tags and finishes the backend's spans it says.
 */
import type { AttemptEndInfo, AttemptInfo, OperationEndInfo, OperationInfo } from "@aws/durable-execution-sdk-js"
import * as OperationSpans from "@durable-trace/core/OperationSpans"
import * as SpanRules from "@durable-trace/core/SpanRules"
import { type Backend, type Parent, parentSpan, type Span, type SpanOptions } from "./Backend.ts"
import type { InvocationState, OpenSpan } from "./PluginInvocation.ts"
import * as RecordedSpans from "./RecordedSpans.ts"
import { COMMON, operationOf, operationTags } from "./RecordedSpans.ts"

const INVOKE = { type: "CHAINED_INVOKE", subType: "ChainedInvoke" }

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
    const span = this.#backend.startSpan(name, { ...COMMON, ...options, parent })
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
        tags: operationTags(state, info)
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
    const updated = (): boolean =>
      index !== undefined &&
      OperationSpans.updatedSince({
        listed: Object.hasOwn(index.updated, info.id),
        listKnown: index.listKnown,
        start: OperationSpans.millis(info.startTimestamp),
        end: OperationSpans.millis(info.endTimestamp),
        // A pass over the whole state, once per invocation, and only for an operation completed elsewhere.
        lastActivity: index.lastActivity
      })
    if (
      state.emitted?.has(info.id) ||
      !OperationSpans.emitsOnEndAsking(operationOf(info), index?.statusAtStart.get(info.id), updated)
    ) {
      return
    }
    RecordedSpans.emit(this.#backend, state, info, Date.now())
  }

  /** The end of an invocation: completions no hook reported, suspend markers, then the execute span. */
  endInvocation(state: InvocationState, span: Span): void {
    const now = Date.now()
    for (const [id, info] of Object.entries(state.index?.updated ?? {})) {
      if (OperationSpans.drainsAtEnd(operationOf(info), info.status, state.emitted?.has(id) ?? false)) {
        RecordedSpans.emit(this.#backend, state, { ...info, id }, now)
      }
    }
    for (const [id, info] of state.waiting ?? []) RecordedSpans.marker(this.#backend, state, id, info)
    for (const [id, open] of state.operationSpans) {
      // Still pending at suspend: this span becomes the marker; the operation's span comes when it completes.
      this.#backend.setTags(open.span, OperationSpans.suspendTags(id, undefined, open.rule.spanName))
      this.#backend.finish(open.span)
    }
    for (const attempt of state.attempts?.values() ?? []) this.#backend.finish(attempt.span)
    state.operationSpans.clear()
    this.#backend.finish(span)
  }
}
