/**
 * The performance targets, checked against a run's results: each with what was measured and, when it is
 * missed, by how much. The decision paths are judged as shipped (the Effect programs the Lambda binding runs).
 */
import type { ColdStartResults } from "./coldStart.ts"
import type { EndToEndResult } from "./endToEnd.ts"
import { millis, table } from "./measure.ts"
import type { ReaderResult } from "./reader.ts"
import { overheads, type ScaleResult } from "./scale.ts"
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
  readonly scale?: ReadonlyArray<ScaleResult> | undefined
}): string => {
  const checks: Array<Check> = []
  const { reader, writer, coldStart, endToEnd, scale } = results
  for (const r of reader ?? []) {
    const value = ratioOf(r.wrapper.median, r.datadog.median)
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
    const [early, late] = marginal((r) => r.wrapper.median) as [number, number]
    const [theirEarly, theirLate] = marginal((r) => r.datadog.median) as [number, number]
    checks.push({
      target: "reader grows linearly (ns per further operation, 10→1,000 vs 1,000→10,000, within 1.5x)",
      measured: `${early.toFixed(0)} → ${late.toFixed(0)} ns (Datadog ${theirEarly.toFixed(0)} → ${theirLate.toFixed(0)} ns)`,
      value: late / early,
      bound: 1.5,
      unit: "x"
    })
  }
  for (const w of writer ?? []) {
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
      target: "bundled runtime entry ≤ 60 KB minified",
      measured: `${kb.toFixed(1)} KB`,
      value: kb,
      bound: 60,
      unit: "KB"
    })
    const bundled = coldStart.variants.find((v) => v.overSdk !== undefined && v.name.includes("bundled + minified"))
    if (bundled !== undefined) {
      checks.push({
        target: "bundled runtime entry import ≤ 10 ms over the SDK alone",
        measured: `${millis(bundled.overSdk!)} ms (${millis(bundled.overBare)} ms over bare node)`,
        value: bundled.overSdk!,
        bound: 10,
        unit: "ms"
      })
    }
  }
  const base = endToEnd?.[0]
  const cpuOver = (e: EndToEndResult): number => ((e.cpu.median - base!.cpu.median) / base!.cpu.median) * 100
  const inMemory = endToEnd?.find((e) => e.name.includes("in-memory"))
  const ddTrace = endToEnd?.find((e) => e.name.includes("dd-trace backend"))
  const datadog = endToEnd?.find((e) => e.name.startsWith("Datadog"))
  if (inMemory !== undefined) {
    const value = cpuOver(inMemory)
    checks.push({
      target: "end-to-end main-thread CPU over untraced ≤ +10%, in-memory backend",
      measured: `+${value.toFixed(1)}%`,
      value,
      bound: 10,
      unit: "%"
    })
  }
  if (ddTrace !== undefined && datadog !== undefined) {
    const value = cpuOver(ddTrace)
    const theirs = cpuOver(datadog)
    checks.push({
      target: "end-to-end CPU overhead with dd-trace ≤ half of Datadog's stack's",
      measured: `+${value.toFixed(1)}% (Datadog +${theirs.toFixed(1)}%, half: +${(theirs / 2).toFixed(1)}%)`,
      value,
      bound: theirs / 2,
      unit: "%"
    })
  }
  for (const r of scale?.filter((r) => r.size >= 100_000) ?? []) {
    const { time, memory } = overheads(r)
    for (const [metric, value] of [
      ["time", time * 100],
      ["heap", memory * 100]
    ] as const) {
      checks.push({
        target: `whole wrapper at ${r.size.toLocaleString("en-US")} operations: ${metric} ≤ +5% of untraced`,
        measured: `${value >= 0 ? "+" : ""}${value.toFixed(1)}%`,
        value,
        bound: 5,
        unit: "%"
      })
    }
  }
  const [hundred, million] = [scale?.find((r) => r.size === 100_000), scale?.find((r) => r.size === 1_000_000)]
  if (hundred !== undefined && million !== undefined) {
    const per = (r: ScaleResult) => ((r.traced.millis - r.untraced.millis) * 1e6) / r.size
    checks.push({
      target: "whole wrapper's overhead grows linearly (ns per operation over untraced, 100k vs 1M, within 1.5x)",
      measured: `${per(hundred).toFixed(0)} → ${per(million).toFixed(0)} ns`,
      value: Math.max(per(million), 0) / Math.max(per(hundred), 1),
      bound: 1.5,
      unit: "x"
    })
  }
  return table(
    ["target", "measured", "verdict"],
    checks.map((check) => [check.target, check.measured, verdict(check)])
  )
}
