/**
 * The performance targets, checked against a run's results: each with what was measured and, when it is
 * missed, by how much. The decision paths are judged as shipped (the Effect programs the Lambda binding runs).
 */
import type { ColdStartResults } from "./coldStart.ts"
import type { EndToEndResult } from "./endToEnd.ts"
import { millis, table } from "./measure.ts"
import type { ReaderResult } from "./reader.ts"
import type { WriterResult } from "./writer.ts"

/** A measured value against its bound (lower is better). */
interface Check {
  readonly target: string
  readonly measured: string
  readonly value: number
  readonly bound: number
  readonly unit: "x" | "ms" | "KB" | "%"
}

const verdict = ({ value, bound, unit }: Check): string => {
  if (value <= bound) return "met"
  const by = unit === "x" ? `${(value / bound).toFixed(2)}x the bound` : `${(value - bound).toFixed(1)} ${unit}`
  return `**missed** by ${by}`
}

const ratioOf = (ours: number, theirs: number): number => ours / theirs

/** The targets table for whatever benchmarks ran. */
export const report = (results: {
  readonly reader?: ReadonlyArray<ReaderResult> | undefined
  readonly writer?: ReadonlyArray<WriterResult> | undefined
  readonly coldStart?: ColdStartResults | undefined
  readonly endToEnd?: ReadonlyArray<EndToEndResult> | undefined
}): string => {
  const checks: Array<Check> = []
  const { reader, writer, coldStart, endToEnd } = results
  for (const r of reader?.filter((r) => r.size >= 1_000) ?? []) {
    const value = ratioOf(r.effect.median, r.datadog.median)
    checks.push({
      target: `reader ≤ 1.0x Datadog at ${r.size.toLocaleString("en-US")} operations`,
      measured: `${value.toFixed(2)}x (pure decision ${ratioOf(r.pure.median, r.datadog.median).toFixed(2)}x)`,
      value,
      bound: 1,
      unit: "x"
    })
  }
  if (reader !== undefined && reader.length === 3) {
    // Linear: the cost of each further operation stays the same from 1,000 to 10,000 operations.
    const [small, medium, large] = reader as [ReaderResult, ReaderResult, ReaderResult]
    const marginal = (pick: (r: ReaderResult) => number) => [
      ((pick(medium) - pick(small)) / (medium.size - small.size)) * 1e6,
      ((pick(large) - pick(medium)) / (large.size - medium.size)) * 1e6
    ]
    const [early, late] = marginal((r) => r.effect.median) as [number, number]
    const [theirEarly, theirLate] = marginal((r) => r.datadog.median) as [number, number]
    checks.push({
      target: "reader grows linearly (ns per further operation, 10→1,000 vs 1,000→10,000, within 1.5x)",
      measured: `${early.toFixed(0)} → ${late.toFixed(0)} ns (Datadog ${theirEarly.toFixed(0)} → ${theirLate.toFixed(0)} ns)`,
      value: late / early,
      bound: 1.5,
      unit: "x"
    })
  }
  for (const w of writer?.filter((w) => w.size >= 1_000) ?? []) {
    const value = ratioOf(w.effect.median, w.datadog.median)
    checks.push({
      target: `writer ≤ 1.0x dd-trace, ${w.scenario}, ${w.size.toLocaleString("en-US")} operations`,
      measured: `${value.toFixed(2)}x (pure decision ${ratioOf(w.pure.median, w.datadog.median).toFixed(2)}x)`,
      value,
      bound: 1,
      unit: "x"
    })
  }
  if (coldStart !== undefined) {
    const kb = coldStart.bundle.bytes / 1024
    checks.push({
      target: "bundle ≤ 80 KB minified",
      measured: `${kb.toFixed(1)} KB`,
      value: kb,
      bound: 80,
      unit: "KB"
    })
    const entries = coldStart.variants.filter((v) => v.overSdk !== undefined)
    const [sources, published, bundled] = entries as [
      ColdStartResults["variants"][number],
      ColdStartResults["variants"][number],
      ColdStartResults["variants"][number]
    ]
    checks.push({
      target: "bundled import ≤ 10 ms over bare node",
      measured: `${millis(bundled.overBare)} ms (${millis(bundled.overSdk!)} ms over the SDK alone)`,
      value: bundled.overBare,
      bound: 10,
      unit: "ms"
    })
    for (const [variant, label] of [
      [published, "unbundled JavaScript"],
      [sources, "unbundled TypeScript sources"]
    ] as const) {
      checks.push({
        target: `${label} import ≤ 60 ms over bare node`,
        measured: `${millis(variant.overBare)} ms (${millis(variant.overSdk!)} ms over the SDK alone)`,
        value: variant.overBare,
        bound: 60,
        unit: "ms"
      })
    }
  }
  const base = endToEnd?.[0]
  for (const e of endToEnd?.filter((e) => e.name.startsWith("durable-trace")) ?? []) {
    for (const [metric, pick] of [
      ["wall", (r: EndToEndResult) => r.wall.median],
      ["CPU", (r: EndToEndResult) => r.cpu.median]
    ] as const) {
      const value = ((pick(e) - pick(base!)) / pick(base!)) * 100
      checks.push({
        target: `end-to-end ${metric} overhead ≤ 5%, ${e.name.replace("durable-trace, ", "")}`,
        measured: `${value.toFixed(1)}%`,
        value,
        bound: 5,
        unit: "%"
      })
    }
  }
  return table(
    ["target", "measured", "verdict"],
    checks.map((check) => [check.target, check.measured, verdict(check)])
  )
}
