/**
 * The waterfall's geometry, apart from any HTML: a time axis that keeps invocations at one scale (so their widths
 * are proportional to their durations) and compresses the idle gaps between them to a width that grows with the
 * gap's length but stays small, and one bar per span, nested under its parent. Pure: spans in, numbers out.
 *
 * The axis maps time to x monotonically, so a child that starts at or after its parent is never drawn left of it;
 * a child that starts before its parent (a tracer bug) is drawn where it truly starts.
 */

/** What the layout needs of a span. Times in epoch milliseconds. */
export interface TimedSpan {
  readonly spanId: string
  readonly parentId: string | undefined
  readonly start: number
  readonly end: number
  /** An invocation (`aws.lambda`): the union of these is the busy time, the rest is idle. */
  readonly invocation: boolean
}

/** One stretch of the axis: busy (an invocation ran) or idle (between invocations). */
export interface Segment {
  readonly kind: "busy" | "idle"
  readonly start: number
  readonly end: number
  readonly x0: number
  readonly x1: number
}

/** A bar's piece over one segment of the axis. */
export interface Part {
  readonly kind: "busy" | "idle"
  readonly x0: number
  readonly x1: number
}

export interface Bar {
  readonly spanId: string
  /** The parent's id when the parent is drawn too. */
  readonly parentId: string | undefined
  readonly row: number
  readonly depth: number
  readonly x0: number
  readonly x1: number
  readonly parts: ReadonlyArray<Part>
}

export interface Layout {
  /** Pixels per millisecond of busy time, the same for every invocation. */
  readonly scale: number
  readonly width: number
  readonly segments: ReadonlyArray<Segment>
  readonly bars: ReadonlyArray<Bar>
  readonly x: (t: number) => number
}

/** The widest an idle gap of `millis` may be drawn: a few tens of pixels, growing with the log of its length. */
export const idleCap = (millis: number): number => (millis <= 0 ? 0 : 28 + 10 * Math.log10(1 + millis / 1000))

/** An idle gap's width: as at busy scale when that is narrower, else capped. Monotone in `millis`. */
export const idleWidth = (millis: number, scale: number): number => Math.min(idleCap(millis), scale * millis)

/** The union of intervals, sorted and merged. */
export const union = (
  intervals: ReadonlyArray<{ readonly start: number; readonly end: number }>
): Array<{ start: number; end: number }> => {
  const sorted = [...intervals].sort((a, b) => a.start - b.start)
  const out: Array<{ start: number; end: number }> = []
  for (const { start, end } of sorted) {
    const last = out[out.length - 1]
    if (last !== undefined && start <= last.end) last.end = Math.max(last.end, end)
    else out.push({ start, end: Math.max(start, end) })
  }
  return out
}

/** The axis over `[from, to]` with `busy` windows (merged, inside it), `width` pixels wide at most. */
export const axis = (
  busy: ReadonlyArray<{ readonly start: number; readonly end: number }>,
  from: number,
  to: number,
  width: number
): { scale: number; segments: Array<Segment> } => {
  const stretches: Array<{ kind: "busy" | "idle"; start: number; end: number }> = []
  let cursor = from
  for (const window of busy) {
    if (window.start > cursor) stretches.push({ kind: "idle", start: cursor, end: window.start })
    stretches.push({ kind: "busy", start: window.start, end: window.end })
    cursor = Math.max(cursor, window.end)
  }
  if (to > cursor) stretches.push({ kind: "idle", start: cursor, end: to })
  const busyTime = stretches.filter((s) => s.kind === "busy").reduce((sum, s) => sum + (s.end - s.start), 0)
  const capped = stretches.filter((s) => s.kind === "idle").reduce((sum, s) => sum + idleCap(s.end - s.start), 0)
  const scale = busyTime > 0 ? Math.max(width - capped, width / 4) / busyTime : 1
  let x = 0
  const segments = stretches.map((s) => {
    const w = s.kind === "busy" ? (s.end - s.start) * scale : idleWidth(s.end - s.start, scale)
    const segment = { ...s, x0: x, x1: x + w }
    x += w
    return segment
  })
  return { scale, segments }
}

/** The x of time `t` on `segments`: linear inside each segment, clamped outside the axis. */
export const position = (segments: ReadonlyArray<Segment>, t: number): number => {
  const first = segments[0]
  if (first === undefined || t <= first.start) return 0
  for (const s of segments) {
    if (t <= s.end) return s.end === s.start ? s.x1 : s.x0 + ((t - s.start) / (s.end - s.start)) * (s.x1 - s.x0)
  }
  return segments[segments.length - 1]!.x1
}

/**
 * Spans in tree order (each after its parent, siblings by start, then by id), with their depth. A span whose
 * parent is not among `spans` is a root; roots are ordered by start.
 */
export const treeOrder = <S extends TimedSpan>(spans: ReadonlyArray<S>): Array<{ span: S; depth: number }> => {
  const ids = new Set(spans.map((s) => s.spanId))
  const children = new Map<string | undefined, Array<S>>()
  for (const span of spans) {
    const parent = span.parentId !== undefined && ids.has(span.parentId) ? span.parentId : undefined
    children.set(parent, [...(children.get(parent) ?? []), span])
  }
  const byStart = (a: S, b: S) => a.start - b.start || (a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0)
  const out: Array<{ span: S; depth: number }> = []
  const seen = new Set<string>()
  const walk = (span: S, depth: number): void => {
    if (seen.has(span.spanId)) return
    seen.add(span.spanId)
    out.push({ span, depth })
    for (const kid of (children.get(span.spanId) ?? []).sort(byStart)) walk(kid, depth + 1)
  }
  for (const root of (children.get(undefined) ?? []).sort(byStart)) walk(root, 0)
  // Spans on a parent cycle (never from a sane tracer) still get a row.
  for (const span of [...spans].sort(byStart)) walk(span, 0)
  return out
}

/** The whole layout: axis, then one bar per span in tree order. */
export const layout = (spans: ReadonlyArray<TimedSpan>, width: number): Layout => {
  const from = Math.min(...spans.map((s) => s.start))
  const to = Math.max(...spans.map((s) => s.end))
  const invocations = spans.filter((s) => s.invocation)
  const busy = union(invocations.length > 0 ? invocations : [{ start: from, end: to }])
  const { scale, segments } = spans.length === 0 ? { scale: 1, segments: [] } : axis(busy, from, to, width)
  const x = (t: number) => position(segments, t)
  const ids = new Set(spans.map((s) => s.spanId))
  const bars = treeOrder(spans).map(({ span, depth }, row): Bar => {
    const x0 = x(span.start)
    const x1 = x(Math.max(span.end, span.start))
    const parts = segments
      .filter((s) => s.end > span.start && s.start < span.end)
      .map((s) => ({ kind: s.kind, x0: Math.max(x0, s.x0), x1: Math.min(x1, s.x1) }))
      .filter((p) => p.x1 > p.x0)
    return {
      spanId: span.spanId,
      parentId: span.parentId !== undefined && ids.has(span.parentId) ? span.parentId : undefined,
      row,
      depth,
      x0,
      x1,
      parts: parts.length > 0 ? parts : [{ kind: "busy", x0, x1 }]
    }
  })
  return { scale, width: segments[segments.length - 1]?.x1 ?? 0, segments, bars, x }
}
