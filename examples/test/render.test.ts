import { assert, describe, it } from "@effect/vitest"
import type { DemoSpan } from "../src/demo/collect.ts"
import { formatDuration, invocationsOf, tree, waterfall } from "../src/demo/render.ts"

const span = (name: string, spanId: string, parentId: string | undefined, start: number, end: number): DemoSpan => ({
  name,
  traceId: "a".repeat(32),
  spanId,
  parentId,
  resource: name,
  start,
  end,
  tags: {},
  error: false
})

const DAY = 86_400_000
// Two invocations a day apart; the second aws.lambda continues the first execute span.
const SPANS = [
  span("aws.lambda", "l1", undefined, 0, 50),
  span("aws.durable.execute", "e1", "l1", 1, 49),
  span("aws.durable.step", "s1", "e1", 2, 10),
  span("aws.lambda", "l2", "e1", DAY, DAY + 40),
  span("aws.durable.execute", "e2", "l2", DAY + 1, DAY + 39),
  span("aws.durable.step", "s2", "e2", DAY + 2, DAY + 30)
]

describe("demo rendering", () => {
  it("assigns each span to its nearest aws.lambda, numbered by start", () => {
    const invocation = invocationsOf(SPANS)
    assert.deepStrictEqual(
      SPANS.map((s) => invocation.get(s.spanId)),
      [1, 1, 1, 2, 2, 2]
    )
  })

  it("formats durations from sub-millisecond to days", () => {
    assert.deepStrictEqual([0.5, 12, 4_500, 300_000, 7_200_000, 3 * DAY].map(formatDuration), [
      "0.50ms",
      "12ms",
      "4.5s",
      "5min",
      "2.0h",
      "3.0d"
    ])
  })

  it("draws the resumed invocation under the span it continues", () => {
    const lines = tree(SPANS).split("\n")
    assert.strictEqual(lines.length, 7)
    assert.match(lines[4]!, /^ {6}└─ aws.lambda .*\[invocation 2\]$/)
  })

  it("compresses the idle day: both invocations get readable widths and the gap is labelled", () => {
    const page = waterfall(SPANS, "t")
    assert.include(page, "⋯ 24.0h ⋯")
    const bars = [...page.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="15" rx="2"/g)].map((m) => ({
      x: Number(m[1]),
      width: Number(m[2])
    }))
    assert.strictEqual(bars.length, 6)
    // Invocation 2's step is no sliver: it is drawn at the same scale as invocation 1.
    assert.isAbove(bars[5]!.width, 100)
    assert.isAbove(bars[3]!.x, bars[0]!.x + bars[0]!.width)
  })
})
