/**
 * The spans the SDK plugin makes from the service's record rather than live (SPEC §5.2): an operation's one span
 * drawn by the invocation that sees it complete, from the service's timestamps; the suspend markers; and the
 * execution span at the end. Every decision is core's (`OperationSpans`, `SpanRules`); this module only places,
 * times and tags the backend's spans it says.
 */
import type { InvocationEndInfo, OperationInfo } from "@aws/durable-execution-sdk-js"
import * as OperationSpans from "@durable-trace/core/OperationSpans"
import * as SpanRules from "@durable-trace/core/SpanRules"
import { type Backend, type Parent, parentSpan } from "./Backend.ts"
import type { InvocationState } from "./PluginInvocation.ts"

/** An operation as the span rules see it. */
export const operationOf = (info: OperationInfo) => ({
  type: String(info.type),
  subType: info.subType,
  name: info.name
})

/** What every durable-trace span carries. */
export const COMMON = { type: SpanRules.SPAN_TYPE, integration: SpanRules.COMPONENT }

/** The tags of `info`'s operation span. */
export const operationTags = (state: InvocationState, info: OperationInfo): SpanRules.Tags => ({
  ...SpanRules.operationTags(operationOf(info), info.id, state.index?.statusAtStart.get(info.id)),
  [OperationSpans.ROLE_TAG]: "operation"
})

/** The parent (and its start) of a span made for `info` from the service's timestamps. */
const placed = (
  state: InvocationState,
  info: OperationInfo,
  carried: boolean
):
  | { readonly parent: Parent | undefined; readonly start?: number | undefined; readonly rule: SpanRules.Parent }
  | undefined => {
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
export const emit = (backend: Backend["Service"], state: InvocationState, info: OperationInfo, now: number): void => {
  const carried = state.index?.statusAtStart.has(info.id) ?? false
  const parent = placed(state, info, carried)
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
  const span = backend.startSpan(SpanRules.spanName(operation), {
    ...COMMON,
    parent: parent?.parent,
    startTime: window.start,
    resource: SpanRules.resource(operation, rule),
    kind: SpanRules.spanKind(operation),
    // The operation's one span, emitted by the invocation that first saw it complete: not a replay.
    tags: { ...operationTags(state, info), "aws.durable.replayed": false }
  })
  if (info.error !== undefined) backend.setError(span, info.error)
  backend.finish(span, window.end)
  state.emitted?.add(info.id)
}

/**
 * What the invocation suspended on: a wait or callback it started, still pending. An instant at the suspend, on
 * the backend's own clock (inside the open execute span whatever clock the process fakes); the operation's span
 * comes, whole, from the invocation that sees it complete.
 */
export const marker = (backend: Backend["Service"], state: InvocationState, id: string, info: OperationInfo): void => {
  const parent = placed(state, info, false)
  const operation = operationOf(info)
  const span = backend.startSpan(OperationSpans.SUSPEND_SPAN, {
    ...COMMON,
    parent: parent?.parent,
    resource: info.name ?? SpanRules.spanName(operation),
    tags: {
      component: SpanRules.COMPONENT,
      ...OperationSpans.suspendTags(id, info.name, SpanRules.spanName(operation))
    }
  })
  backend.finish(span)
}

/** The execution span: the whole execution, from the EXECUTION operation's start, under the anchor. */
export const execution = (
  backend: Backend["Service"],
  state: InvocationState,
  info: InvocationEndInfo,
  handlerName: string
): void => {
  const parent = state.anchor ?? (state.executeSpan === undefined ? undefined : parentSpan(state.executeSpan))
  if (parent === undefined) return
  const span = backend.startSpan(OperationSpans.EXECUTION_SPAN, {
    ...COMMON,
    parent,
    startTime: OperationSpans.executionStart({
      serviceStart: state.index?.executionStart,
      anchorStart:
        state.anchor?._tag === "Span" && state.anchor.span === state.executeSpan ? state.execute?.start : undefined,
      // Read only without the anchor's start: it takes a pass over the whole state.
      get firstWork() {
        return state.index?.firstWork
      }
    }),
    resource: handlerName,
    kind: "internal",
    tags: {
      component: SpanRules.COMPONENT,
      ...OperationSpans.executionTags(info.executionArn, info.status, state.invocationNumber)
    }
  })
  if (info.executionError !== undefined) backend.setError(span, info.executionError)
  backend.finish(span)
}
