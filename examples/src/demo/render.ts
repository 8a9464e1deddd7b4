/**
 * Renders a durable trace: a text tree across invocations, and a waterfall (a self-contained HTML page with an
 * inline SVG) of every span on one time axis, one row per span, each invocation in its own colour. A durable
 * execution idles between invocations for minutes or days, so the axis shows each invocation at a readable
 * scale and compresses the idle gaps between them to a fixed width, labelled with how long they were.
 */
import type { DemoSpan } from "./collect.ts"

/** Which invocation each span belongs to: its nearest `aws.lambda` ancestor, numbered by start time. */
export const invocationsOf = (spans: ReadonlyArray<DemoSpan>): Map<string, number> => {
  const byId = new Map(spans.map((span) => [span.spanId, span]))
  const lambdas = spans.filter((span) => span.name === "aws.lambda").sort((a, b) => a.start - b.start)
  const number = new Map(lambdas.map((lambda, i) => [lambda.spanId, i + 1]))
  const result = new Map<string, number>()
  for (const span of spans) {
    let current: DemoSpan | undefined = span
    while (current !== undefined && !number.has(current.spanId)) {
      current = current.parentId === undefined ? undefined : byId.get(current.parentId)
    }
    result.set(span.spanId, current === undefined ? 0 : number.get(current.spanId)!)
  }
  return result
}

export const formatDuration = (millis: number): string => {
  if (millis < 1) return `${millis.toFixed(2)}ms`
  if (millis < 1000) return `${Math.round(millis)}ms`
  const seconds = millis / 1000
  if (seconds < 120) return `${seconds.toFixed(1)}s`
  const minutes = seconds / 60
  if (minutes < 120) return `${Math.round(minutes)}min`
  const hours = minutes / 60
  return hours < 48 ? `${hours.toFixed(1)}h` : `${(hours / 24).toFixed(1)}d`
}

const label = (span: DemoSpan): string =>
  span.resource && span.resource !== span.name ? `${span.name} ${span.resource}` : span.name

/** The trace as an indented tree; a resumed invocation's `aws.lambda` hangs under the span it continues. */
export const tree = (spans: ReadonlyArray<DemoSpan>): string => {
  const invocation = invocationsOf(spans)
  const children = new Map<string | undefined, Array<DemoSpan>>()
  const ids = new Set(spans.map((span) => span.spanId))
  for (const span of spans) {
    const parent = span.parentId !== undefined && ids.has(span.parentId) ? span.parentId : undefined
    children.set(parent, [...(children.get(parent) ?? []), span])
  }
  const lines: Array<string> = []
  const walk = (span: DemoSpan, prefix: string, last: boolean): void => {
    const marker = span.name === "aws.lambda" ? `  [invocation ${invocation.get(span.spanId)}]` : ""
    const status = span.error ? "  ERROR" : ""
    lines.push(
      `${prefix}${last ? "└─ " : "├─ "}${label(span)}  ${formatDuration(span.end - span.start)}${marker}${status}`
    )
    const kids = (children.get(span.spanId) ?? []).sort((a, b) => a.start - b.start)
    for (const [i, kid] of kids.entries()) walk(kid, `${prefix}${last ? "   " : "│  "}`, i === kids.length - 1)
  }
  const roots = (children.get(undefined) ?? []).sort((a, b) => a.start - b.start)
  for (const root of roots) {
    lines.push(`trace ${root.traceId}`)
    walk(root, "", true)
  }
  return lines.join("\n")
}

const truncate = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`)

const COLORS = ["#6c5ce7", "#00a3a3", "#e17055", "#0984e3", "#d63384", "#2d9d3a", "#b8860b", "#8e44ad"]
const escapeHtml = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!)

/**
 * A time axis of invocation windows, each as wide as the others whatever its duration (a local run's fake
 * clock can stretch one invocation over a day), with fixed-width gaps between them.
 */
const makeAxis = (windows: ReadonlyArray<{ start: number; end: number }>, width: number, gapWidth: number) => {
  const windowWidth = (width - gapWidth * Math.max(windows.length - 1, 0)) / Math.max(windows.length, 1)
  const offset = (i: number) => i * (windowWidth + gapWidth)
  return (t: number): number => {
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i]!
      if (t > w.end && i < windows.length - 1) continue
      if (t >= w.start)
        return offset(i) + (Math.min(t - w.start, w.end - w.start) / Math.max(w.end - w.start, 1e-3)) * windowWidth
      // Inside the gap before window i: spread across the gap's width.
      const previous = windows[i - 1]
      if (previous === undefined) return 0
      return offset(i) - gapWidth + ((t - previous.end) / Math.max(w.start - previous.end, 1e-3)) * gapWidth
    }
    return width
  }
}

/** Spans in tree order within each invocation: an invocation's `aws.lambda`, then its descendants depth first. */
const treeOrder = (
  spans: ReadonlyArray<DemoSpan>,
  lambdas: ReadonlyArray<DemoSpan>
): Array<{ span: DemoSpan; depth: number }> => {
  const children = new Map<string, Array<DemoSpan>>()
  for (const span of spans) {
    if (span.parentId === undefined || span.name === "aws.lambda") continue
    children.set(span.parentId, [...(children.get(span.parentId) ?? []), span])
  }
  const rows: Array<{ span: DemoSpan; depth: number }> = []
  const walk = (span: DemoSpan, depth: number): void => {
    rows.push({ span, depth })
    for (const kid of (children.get(span.spanId) ?? []).sort((a, b) => a.start - b.start)) walk(kid, depth + 1)
  }
  for (const lambda of lambdas) walk(lambda, 0)
  return rows
}

/** The waterfall page. */
export const waterfall = (spans: ReadonlyArray<DemoSpan>, title: string): string => {
  const invocation = invocationsOf(spans)
  const lambdas = spans.filter((span) => span.name === "aws.lambda").sort((a, b) => a.start - b.start)
  const windows = lambdas.map((lambda) => ({ start: lambda.start, end: lambda.end }))
  const rows = treeOrder(spans, lambdas)
  const labelWidth = 400
  const chartWidth = 900
  const gapWidth = 70
  const rowHeight = 22
  const top = 40
  const x = makeAxis(windows, chartWidth, gapWidth)
  const height = top + rows.length * rowHeight + 20
  const parts: Array<string> = []
  lambdas.forEach((lambda, i) => {
    const color = COLORS[i % COLORS.length]!
    const x0 = labelWidth + x(lambda.start)
    const x1 = labelWidth + x(lambda.end)
    parts.push(
      `<rect x="${x0}" y="${top - 8}" width="${Math.max(x1 - x0, 2)}" height="${height - top}" fill="${color}" opacity="0.07"/>`,
      `<text x="${x0 + 2}" y="${top - 14}" font-size="11" fill="${color}">invocation ${i + 1}</text>`
    )
    const next = lambdas[i + 1]
    if (next !== undefined) {
      parts.push(
        `<text x="${x1 + gapWidth / 2}" y="${top - 14}" font-size="10" fill="#888" text-anchor="middle">⋯ ${formatDuration(next.start - lambda.end)} ⋯</text>`
      )
    }
  })
  rows.forEach(({ span, depth }, row) => {
    const y = top + row * rowHeight
    const color = span.error ? "#d63031" : COLORS[(invocation.get(span.spanId)! - 1 + COLORS.length) % COLORS.length]!
    const x0 = labelWidth + x(span.start)
    const x1 = labelWidth + x(span.end)
    const tooltip = escapeHtml(
      `${label(span)} · ${formatDuration(span.end - span.start)} · span ${span.spanId} · parent ${span.parentId ?? "none"}`
    )
    parts.push(
      `<text x="${8 + depth * 12}" y="${y + 14}" font-size="12">${escapeHtml(truncate(label(span), 46 - depth))}</text>`,
      `<rect x="${x0}" y="${y + 3}" width="${Math.max(x1 - x0, 2)}" height="${rowHeight - 7}" rx="2" fill="${color}"><title>${tooltip}</title></rect>`
    )
  })
  const traces = new Set(spans.map((span) => span.traceId))
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}svg{font-family:ui-monospace,monospace}</style></head>
<body><h1 style="font-size:18px">${escapeHtml(title)}</h1>
<p>${traces.size === 1 ? "One trace" : `${traces.size} traces`} (${[...traces].map(escape).join(", ")}), ${lambdas.length} invocations, ${spans.length} spans. Idle time between invocations is compressed.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + chartWidth + 20}" height="${height}">
${parts.join("\n")}
</svg></body></html>
`
}
