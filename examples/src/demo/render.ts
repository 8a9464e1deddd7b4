/**
 * Renders a durable trace: a text tree across invocations, and a waterfall (a self-contained HTML page with an
 * inline SVG and a little script) of every span on one time axis, one bar per span, nested under its parent.
 * The geometry comes from `layout.ts` (invocations at one scale, idle gaps compressed but labelled with their
 * real length); this module only draws it. Several traces joined by span links (linked mode) are drawn on the
 * same axis, each from its root, with the links as arrows.
 */
import type { DemoSpan } from "./collect.ts"
import { type Bar, layout } from "./layout.ts"

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

const plural = (value: number, unit: string): string => `${value} ${unit}${value === 1 ? "" : "s"}`

/** A duration for people: `0.50ms`, `12ms`, `4.5s`, `5 min`, `2.0 h`, `1 day`, `1.5 days`. */
export const formatDuration = (millis: number): string => {
  if (millis < 1) return `${millis.toFixed(2)}ms`
  if (millis < 1000) return `${Math.round(millis)}ms`
  const seconds = millis / 1000
  if (seconds < 120) return `${seconds.toFixed(1)}s`
  const minutes = seconds / 60
  if (minutes < 120) return `${Math.round(minutes)} min`
  const hours = minutes / 60
  if (hours < 23.5) return `${hours.toFixed(1)} h`
  return plural(Math.round((hours / 24) * 10) / 10, "day")
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

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!)

/** What a span stands for, as the legend names it. */
export type Kind = "invocation" | "execute" | "operation" | "attempt" | "suspend" | "execution" | "user"

export const kindOf = (span: DemoSpan): Kind => {
  if (span.name === "aws.lambda") return "invocation"
  if (span.name === "aws.durable.execute") return "execute"
  if (span.name === "aws.durable.attempt") return "attempt"
  // A live operation span still pending at the suspend ends as the marker of what the invocation suspended on.
  if (span.name === "aws.durable.suspend" || span.tags["aws.durable.span_role"] === "suspend") return "suspend"
  if (span.name === "aws.durable.execution") return "execution"
  return span.name.startsWith("aws.durable.") ? "operation" : "user"
}

/** The durable operation a span is about, under either backend's tag name. */
export const operationIdOf = (span: DemoSpan): string | undefined => {
  const id = span.tags["aws.durable.operation_id"] ?? span.tags["durable.operation.id"]
  return id === undefined ? undefined : String(id)
}

const KINDS: ReadonlyArray<{ kind: Kind; color: string; text: string }> = [
  { kind: "invocation", color: "#6c5ce7", text: "invocation (aws.lambda)" },
  { kind: "execute", color: "#0984e3", text: "handler run (aws.durable.execute)" },
  { kind: "operation", color: "#00a3a3", text: "durable operation (step, wait, callback, invoke)" },
  { kind: "attempt", color: "#2d9d3a", text: "attempt of a step" },
  { kind: "suspend", color: "#b8860b", text: "suspended on" },
  { kind: "execution", color: "#8e44ad", text: "whole execution" },
  { kind: "user", color: "#7f8c8d", text: "your own spans" }
]
const COLOR = new Map(KINDS.map((k) => [k.kind, k.color]))
const ERROR_COLOR = "#d63031"

export interface WaterfallOptions {
  /** How the spans were traced, for the page's summary line. */
  readonly mode?: string | undefined
  /** Chart width in pixels (busy time plus compressed gaps). */
  readonly width?: number | undefined
}

const LABEL_WIDTH = 380
const ROW = 22
const TOP = 76

/** The waterfall page. */
export const waterfall = (spans: ReadonlyArray<DemoSpan>, title: string, options: WaterfallOptions = {}): string => {
  const geometry = layout(
    spans.map((span) => ({ ...span, invocation: span.name === "aws.lambda" })),
    options.width ?? 900
  )
  const byId = new Map(spans.map((span) => [span.spanId, span]))
  const barOf = new Map(geometry.bars.map((bar) => [bar.spanId, bar]))
  const traces = [...new Set(spans.map((span) => span.traceId))]
  const lambdas = spans.filter((span) => span.name === "aws.lambda").length
  const height = TOP + geometry.bars.length * ROW + 16
  const svgWidth = LABEL_WIDTH + geometry.width + 24
  const parts: Array<string> = []

  // The axis: invocations (busy) and the compressed idle gaps between them, each labelled with its real length.
  let invocation = 0
  for (const segment of geometry.segments) {
    const x0 = LABEL_WIDTH + segment.x0
    const w = segment.x1 - segment.x0
    const real = formatDuration(segment.end - segment.start)
    if (segment.kind === "busy") {
      invocation++
      parts.push(
        `<rect class="window" x="${x0}" y="${TOP - 8}" width="${Math.max(w, 1)}" height="${height - TOP}" fill="#6c5ce7" opacity="0.06"/>`,
        `<text class="window-label" x="${x0 + 2}" y="${TOP - 30}" font-size="11" fill="#6c5ce7">${w > 90 ? `invocation ${invocation}` : `#${invocation}`}</text>`,
        `<text x="${x0 + 2}" y="${TOP - 16}" font-size="10" fill="#6c5ce7">${escapeHtml(real)}</text>`
      )
    } else if (w > 0) {
      parts.push(
        `<g class="gap" data-duration-ms="${segment.end - segment.start}" data-label="${escapeHtml(real)}"><rect x="${x0}" y="${TOP - 40}" width="${w}" height="${height - TOP + 32}" fill="url(#idle)"/>` +
          `<text class="gap-label" x="${x0 + w / 2}" y="${TOP - 46}" font-size="10" fill="#555" text-anchor="middle">${escapeHtml(real)}</text>` +
          `<title>idle ${escapeHtml(real)} (drawn compressed)</title></g>`
      )
    }
  }

  const rowY = (bar: Bar) => TOP + bar.row * ROW
  let lastTrace: string | undefined
  for (const bar of geometry.bars) {
    const span = byId.get(bar.spanId)!
    const kind = kindOf(span)
    const y = rowY(bar)
    const color = span.error ? ERROR_COLOR : COLOR.get(kind)!
    if (bar.parentId === undefined && traces.length > 1 && span.traceId !== lastTrace) {
      parts.push(
        `<line x1="0" x2="${svgWidth}" y1="${y}" y2="${y}" stroke="#ccc"/><text x="${LABEL_WIDTH - 6}" y="${y + 10}" font-size="9" fill="#999" text-anchor="end">trace …${span.traceId.slice(-8)}</text>`
      )
    }
    if (bar.parentId === undefined) lastTrace = span.traceId
    const pieces = bar.parts
      .map(
        (p) =>
          `<rect class="part ${p.kind}" x="${LABEL_WIDTH + p.x0}" y="${y + 4}" width="${p.x1 - p.x0}" height="${ROW - 8}" fill="${p.kind === "idle" ? "url(#suspended)" : color}" stroke="${color}" stroke-width="${p.kind === "idle" ? 1 : 0}"/>`
      )
      .join("")
    // The bar's own extent (at least 2 px, so a sub-millisecond span can be clicked) carries the geometry.
    const attrs = [
      `data-span-id="${escapeHtml(span.spanId)}"`,
      `data-trace-id="${escapeHtml(span.traceId)}"`,
      bar.parentId === undefined ? "" : `data-parent-id="${escapeHtml(bar.parentId)}"`,
      `data-kind="${kind}"`,
      operationIdOf(span) === undefined ? "" : `data-operation-id="${escapeHtml(operationIdOf(span)!)}"`,
      `data-x0="${bar.x0}"`,
      `data-x1="${bar.x1}"`
    ]
      .filter(Boolean)
      .join(" ")
    parts.push(
      `<g class="bar${span.error ? " error" : ""}" ${attrs} tabindex="0">` +
        `<text class="name" x="${8 + bar.depth * 12}" y="${y + 15}" font-size="12">${escapeHtml(truncate(label(span), 44 - bar.depth))}</text>` +
        `<rect class="extent" x="${LABEL_WIDTH + bar.x0}" y="${y + 3}" width="${Math.max(bar.x1 - bar.x0, 2)}" height="${ROW - 6}" fill="${color}" opacity="${bar.x1 - bar.x0 < 2 ? 1 : 0}"/>` +
        `${pieces}<text x="${LABEL_WIDTH + bar.x1 + 4}" y="${y + 15}" font-size="10" fill="#666">${escapeHtml(formatDuration(span.end - span.start))}</text>` +
        "</g>"
    )
  }

  // Span links (linked mode): a dashed arrow from the target's bar to the span that links to it.
  for (const span of spans) {
    const from = barOf.get(span.spanId)
    for (const link of span.links) {
      const to = barOf.get(link.spanId)
      if (from === undefined || to === undefined) continue
      const x1 = LABEL_WIDTH + to.x0
      const y1 = rowY(to) + ROW / 2
      const x2 = LABEL_WIDTH + from.x0
      const y2 = rowY(from) + ROW / 2
      parts.push(
        `<path class="link" data-from="${escapeHtml(span.spanId)}" data-to="${escapeHtml(link.spanId)}" data-role="${escapeHtml(link.role ?? "")}" d="M${x1 - 6},${y1} C${x1 - 40},${y1} ${x2 - 40},${y2} ${x2 - 2},${y2}" fill="none" stroke="#e17055" stroke-dasharray="4 3" marker-end="url(#arrow)"/>`
      )
    }
  }

  const legend = [
    ...KINDS.map((k) => `<span><i style="background:${k.color}"></i>${escapeHtml(k.text)}</span>`),
    `<span><i style="background:${ERROR_COLOR}"></i>error</span>`,
    `<span><i class="suspended"></i>operation pending while suspended</span>`,
    `<span><i class="idle"></i>idle between invocations, compressed (label: real length)</span>`,
    `<span><i class="link"></i>span link (linked mode)</span>`
  ].join("")
  const data = JSON.stringify(Object.fromEntries(spans.map((span) => [span.spanId, span]))).replace(/</g, "\\u003c")
  const summary = `${traces.length === 1 ? "One trace" : `${traces.length} traces`}${options.mode ? ` (${escapeHtml(options.mode)} mode)` : ""}, ${lambdas} invocations, ${spans.length} spans. Invocations are drawn at one scale; idle time between them is compressed and labelled with its real length. Click a bar for its tags, error and links.`
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222}
svg{font-family:ui-monospace,monospace;display:block}
.bar{cursor:pointer}.bar:hover .name,.bar.selected .name{font-weight:bold}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px;margin:8px 0 12px}
.legend i{display:inline-block;width:18px;height:10px;margin-right:5px;vertical-align:middle;border-radius:2px}
.legend i.suspended{background:repeating-linear-gradient(45deg,#00a3a3 0 2px,#fff 2px 5px);border:1px solid #00a3a3}
.legend i.idle{background:repeating-linear-gradient(-45deg,#ddd 0 3px,#f7f7f7 3px 6px)}
.legend i.link{border-top:2px dashed #e17055;height:0;border-radius:0}
#details{position:fixed;right:16px;top:16px;width:420px;max-height:90vh;overflow:auto;background:#fff;border:1px solid #ccc;border-radius:6px;padding:12px;font-size:12px;box-shadow:0 2px 8px #0002}
#details[hidden]{display:none}#details table{border-collapse:collapse;width:100%}#details td{border-top:1px solid #eee;padding:2px 4px;vertical-align:top;word-break:break-all}
#details .error{color:${ERROR_COLOR};font-weight:bold}
</style></head>
<body><h1 style="font-size:18px">${escapeHtml(title)}</h1>
<p>${summary}</p>
<div class="legend">${legend}</div>
<svg xmlns="http://www.w3.org/2000/svg" width="${svgWidth}" height="${height}">
<defs>
<pattern id="idle" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="6" height="6" fill="#f7f7f7"/><rect width="3" height="6" fill="#e4e4e4"/></pattern>
<pattern id="suspended" width="5" height="5" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="5" height="5" fill="#fff"/><rect width="2" height="5" fill="#9ad"/></pattern>
<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0L10,5L0,10z" fill="#e17055"/></marker>
</defs>
${parts.join("\n")}
</svg>
<aside id="details" hidden></aside>
<script type="application/json" id="spans">${data}</script>
<script>
const spans = JSON.parse(document.getElementById("spans").textContent)
const panel = document.getElementById("details")
const esc = (t) => String(t).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c])
const ms = (m) => (m < 1 ? m.toFixed(2) + " ms" : m < 1000 ? Math.round(m) + " ms" : (m / 1000).toFixed(1) + " s")
const t0 = Math.min(...Object.values(spans).map((s) => s.start))
const show = (id) => {
  const s = spans[id]
  if (!s) return
  document.querySelectorAll(".bar.selected").forEach((b) => b.classList.remove("selected"))
  document.querySelector('.bar[data-span-id="' + id + '"]')?.classList.add("selected")
  const error = s.error ? '<p class="error">error: ' + esc(s.tags["error.message"] ?? s.tags["otel.status_description"] ?? s.tags["error.type"] ?? "yes") + "</p>" : ""
  const links = s.links.length === 0 ? "<p>links: none</p>" : "<p>links:</p><ul>" + s.links.map((l) => '<li><a href="#" data-goto="' + esc(l.spanId) + '">' + esc(l.role ?? "link") + " → span " + esc(l.spanId) + " in trace …" + esc(l.traceId.slice(-8)) + (spans[l.spanId] ? "" : " (not in this page)") + "</a></li>").join("") + "</ul>"
  const tags = Object.keys(s.tags).sort().map((k) => "<tr><td>" + esc(k) + "</td><td>" + esc(s.tags[k]) + "</td></tr>").join("")
  panel.innerHTML = '<button id="close" style="float:right">×</button><h2 style="font-size:14px;margin:0 0 6px">' + esc(s.name) + " " + esc(s.resource) + "</h2>" +
    "<p>" + ms(s.end - s.start) + ", from +" + ms(s.start - t0) + " (" + new Date(s.start).toISOString() + ")<br>trace " + esc(s.traceId) + "<br>span " + esc(s.spanId) + ", parent " + esc(s.parentId ?? "none") + "</p>" +
    error + links + "<table>" + tags + "</table>"
  panel.hidden = false
}
document.addEventListener("click", (e) => {
  const goto = e.target.closest("[data-goto]")
  if (goto) { e.preventDefault(); show(goto.dataset.goto); return }
  if (e.target.id === "close") { panel.hidden = true; return }
  const bar = e.target.closest(".bar")
  if (bar) show(bar.dataset.spanId)
})
document.addEventListener("keydown", (e) => { if (e.key === "Enter" && e.target.closest?.(".bar")) show(e.target.closest(".bar").dataset.spanId) })
</script>
</body></html>
`
}
