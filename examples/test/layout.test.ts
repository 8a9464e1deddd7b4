/**
 * The waterfall's geometry (examples/src/demo/layout.ts): vectors for the axis, and its laws as properties over
 * generated span trees with gaps from milliseconds to days.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Schema from "effect/Schema"
import { axis, idleWidth, layout, position, type TimedSpan, treeOrder, union } from "../src/demo/layout.ts"

const DAY = 86_400_000
const span = (spanId: string, parentId: string | undefined, start: number, end: number, invocation = false) => ({
  spanId,
  parentId,
  start,
  end,
  invocation
})

// Two invocations a day apart, the second under the first's execute span, and a wait across the day.
const SPANS: ReadonlyArray<TimedSpan> = [
  span("l1", undefined, 0, 100, true),
  span("e1", "l1", 1, 99),
  span("s1", "e1", 2, 50),
  span("w", "e1", 60, DAY + 10),
  span("l2", "e1", DAY, DAY + 50, true),
  span("s2", "l2", DAY + 20, DAY + 45)
]

describe("layout vectors", () => {
  it("merges busy windows", () => {
    assert.deepStrictEqual(
      union([
        { start: 5, end: 9 },
        { start: 0, end: 3 },
        { start: 2, end: 4 }
      ]),
      [
        { start: 0, end: 4 },
        { start: 5, end: 9 }
      ]
    )
  })

  it("draws both invocations at one scale and the day between them compressed", () => {
    const { scale, segments, bars } = layout(SPANS, 900)
    assert.deepStrictEqual(
      segments.map((s) => s.kind),
      ["busy", "idle", "busy"]
    )
    const [first, gap, second] = segments
    assert.closeTo(first!.x1 - first!.x0, 100 * scale, 1e-9)
    assert.closeTo(second!.x1 - second!.x0, 50 * scale, 1e-9)
    assert.isBelow(gap!.x1 - gap!.x0, 100, "a day is drawn narrower than 100 px")
    assert.strictEqual(gap!.end - gap!.start, DAY - 100, "the gap keeps its real length")
    const wait = bars.find((b) => b.spanId === "w")!
    assert.deepStrictEqual(
      wait.parts.map((p) => p.kind),
      ["busy", "idle", "busy"],
      "the wait is one bar across the suspend"
    )
  })

  it("orders rows depth first, siblings by start, one row per span", () => {
    assert.deepStrictEqual(
      treeOrder(SPANS).map(({ span, depth }) => `${span.spanId}:${depth}`),
      ["l1:0", "e1:1", "s1:2", "w:2", "l2:2", "s2:3"]
    )
  })

  it("draws a child that starts before its parent where it truly starts (left of the parent)", () => {
    const { bars } = layout([span("p", undefined, 10, 20, true), span("c", "p", 5, 15)], 500)
    const [parent, child] = bars
    assert.isBelow(child!.x0, parent!.x0)
  })

  it("treats spans whose parent is missing as roots (another trace, linked mode)", () => {
    const { bars } = layout([span("a", undefined, 0, 10, true), span("b", "elsewhere", 20, 30, true)], 500)
    assert.deepStrictEqual(
      bars.map((b) => [b.spanId, b.parentId, b.depth]),
      [
        ["a", undefined, 0],
        ["b", undefined, 0]
      ]
    )
  })
})

const int = (maximum: number) => Schema.Int.check(Schema.isBetween({ minimum: 0, maximum }))
const Node = Schema.Struct({
  parent: int(1000),
  offset: int(5_000),
  duration: int(5_000),
  // A new invocation after an idle gap of up to ~3 days, when set.
  gap: Schema.optional(int(3 * DAY))
})
const trees = Arbitrary.map(Arbitrary.schema(Schema.Array(Node).check(Schema.isMinLength(1))), (nodes) => {
  const spans: Array<TimedSpan> = []
  let cursor = 0
  nodes.forEach((node, i) => {
    if (i === 0 || node.gap !== undefined) {
      const parent = i === 0 ? undefined : spans[node.parent % i]!
      // A resumed invocation starts after the span it continues (and after the previous invocation).
      cursor = Math.max(cursor, parent?.start ?? 0) + (node.gap ?? 0) + 1
      spans.push(span(`s${i}`, parent?.spanId, cursor, cursor + node.duration + 1, true))
      cursor += node.duration + 1
    } else {
      const parent = spans[node.parent % i]!
      const start = parent.start + node.offset
      spans.push(span(`s${i}`, parent.spanId, start, start + node.duration))
    }
  })
  return spans
})

describe("layout laws", () => {
  it.prop(
    "no child bar begins left of its parent's (children start at or after their parent)",
    { spans: trees },
    ({ spans }) => {
      const { bars } = layout(spans, 900)
      const x0 = new Map(bars.map((b) => [b.spanId, b.x0]))
      for (const bar of bars) if (bar.parentId !== undefined) assert.isAtLeast(bar.x0, x0.get(bar.parentId)! - 1e-9)
    }
  )

  it.prop("each span is drawn exactly once", { spans: trees }, ({ spans }) => {
    const { bars } = layout(spans, 900)
    assert.deepStrictEqual(bars.map((b) => b.spanId).sort(), spans.map((s) => s.spanId).sort())
  })

  it.prop("widths inside an invocation are proportional to durations, at one scale", { spans: trees }, ({ spans }) => {
    const { bars, scale, segments } = layout(spans, 900)
    const busy = segments.filter((s) => s.kind === "busy")
    for (const span of spans) {
      if (!busy.some((s) => s.start <= span.start && span.end <= s.end)) continue
      const bar = bars.find((b) => b.spanId === span.spanId)!
      assert.closeTo(bar.x1 - bar.x0, (span.end - span.start) * scale, 1e-6)
    }
  })

  it.prop(
    "a longer idle gap is never drawn narrower, and never wider than at busy scale",
    {
      a: int(10 * DAY),
      b: int(10 * DAY),
      scale: Schema.Finite.check(Schema.isBetween({ minimum: 0.001, maximum: 100 }))
    },
    ({ a, b, scale }) => {
      const [short, long] = a <= b ? [a, b] : [b, a]
      assert.isAtMost(idleWidth(short, scale), idleWidth(long, scale))
      assert.isAtMost(idleWidth(long, scale), long * scale + 1e-9)
    }
  )

  it.prop(
    "the axis is monotone and its idle segments are ordered by their real length",
    { spans: trees },
    ({ spans }) => {
      const from = Math.min(...spans.map((s) => s.start))
      const to = Math.max(...spans.map((s) => s.end))
      const { segments } = axis(union(spans.filter((s) => s.invocation)), from, to, 900)
      const idle = segments.filter((s) => s.kind === "idle").sort((p, q) => p.end - p.start - (q.end - q.start))
      for (let i = 1; i < idle.length; i++) {
        assert.isAtLeast(idle[i]!.x1 - idle[i]!.x0, idle[i - 1]!.x1 - idle[i - 1]!.x0 - 1e-9)
      }
      const times = spans.flatMap((s) => [s.start, s.end]).sort((p, q) => p - q)
      for (let i = 1; i < times.length; i++) {
        assert.isAtLeast(position(segments, times[i]!), position(segments, times[i - 1]!))
      }
    }
  )
})
