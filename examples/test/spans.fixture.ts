/**
 * Constructed spans for the waterfall's tests, shaped as the plugin means them to be (issue 13): one span per
 * operation, the one-day wait from its real start in invocation 1 to its end, hung under the anchor (the first
 * execute span), resumed invocations under the anchor too; then a linked-mode invocation in traces of its own,
 * with links to the anchor and to the previous invocation.
 */
import type { DemoLink, DemoSpan } from "../src/demo/collect.ts"

const DAY = 86_400_000
const T = 1_800_000_000_000
const TRACE = "a".repeat(32)

const span = (
  name: string,
  resource: string,
  spanId: string,
  parentId: string | undefined,
  start: number,
  end: number,
  more: { traceId?: string; tags?: DemoSpan["tags"]; error?: boolean; links?: ReadonlyArray<DemoLink> } = {}
): DemoSpan => ({
  name,
  traceId: more.traceId ?? TRACE,
  spanId,
  parentId,
  resource,
  start: T + start,
  end: T + end,
  tags: more.tags ?? {},
  error: more.error ?? false,
  links: more.links ?? []
})

export const SPANS: ReadonlyArray<DemoSpan> = [
  span("aws.lambda", "orders", "l1", undefined, 0, 50),
  span("aws.durable.execute", "orderWorkflow", "e1", "l1", 1, 49),
  span("aws.durable.step", "reserve", "s1", "e1", 2, 10, { tags: { "aws.durable.operation_id": "op-reserve" } }),
  span("aws.durable.wait", "cooling-off", "wait", "e1", 40, DAY + 45, {
    tags: { "aws.durable.operation_id": "op-wait", "aws.durable.span_role": "operation" }
  }),
  span("aws.lambda", "orders", "l2", "e1", DAY + 40, DAY + 80),
  span("aws.durable.execute", "orderWorkflow", "e2", "l2", DAY + 41, DAY + 79),
  span("aws.durable.step", "ship", "s2", "e2", DAY + 50, DAY + 70, {
    error: true,
    tags: { "aws.durable.operation_id": "op-ship", "error.message": "carrier down" }
  }),
  // Linked mode: the next invocation, a day later, in its own trace, linked back.
  span("aws.lambda", "orders", "l3", undefined, 2 * DAY + 80, 2 * DAY + 100, {
    traceId: "b".repeat(32),
    links: [
      { traceId: TRACE, spanId: "e1", role: "anchor" },
      { traceId: TRACE, spanId: "l2", role: "previous" }
    ]
  }),
  span("aws.durable.execute", "orderWorkflow", "e3", "l3", 2 * DAY + 81, 2 * DAY + 99, { traceId: "b".repeat(32) }),
  span("user.work", "mine", "u3", "e3", 2 * DAY + 85, 2 * DAY + 95, { traceId: "c".repeat(32) })
]
