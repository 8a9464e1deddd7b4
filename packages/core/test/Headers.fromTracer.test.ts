/**
 * The writer's trusted path (issue 12 item 7): `Headers.fromTracer` must equal `fromCarrier` on every carrier,
 * and its trusted half (`canonicalOf`) must vouch for what tracers inject, other vendors' `tracestate` members
 * included, and for nothing that `fromCarrier` would change. Tracer output is generated with `InjectHeaders`
 * (dd-trace's default injection, both styles) and as OpenTelemetry writes it (W3C only), then perturbed the ways
 * a carrier can stray from canonical form. Also: `needsCheckpointUpdate`'s canonical fast path agrees with its
 * general path.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as DatadogHeaders from "../src/DatadogHeaders.ts"
import * as Headers from "../src/Headers.ts"
import * as InjectHeaders from "../src/InjectHeaders.ts"
import * as Tracestate from "../src/Tracestate.ts"
import { bool, int, optional, pattern } from "./fixtures.ts"

const unique = <A extends { readonly key: string }>(items: ReadonlyArray<A>): Array<A> =>
  items.filter((item, index) => items.findIndex((other) => other.key === item.key) === index)

const hex = (length: number) =>
  Arbitrary.filter(pattern(new RegExp(`^[0-9a-f]{${length}}$`)), (value) => /[1-9a-f]/.test(value))

// Other vendors' members as W3C allows them: simple and multi-tenant keys, values with inner spaces.
const vendorKey = pattern(/^(?:[a-z][a-z0-9_\-*/]{0,11}|[a-z0-9][a-z0-9_\-*/]{0,5}@[a-z][a-z0-9_\-*/]{0,5})$/)
const vendors = Arbitrary.map(
  Arbitrary.array(
    Arbitrary.all({
      key: Arbitrary.filter(vendorKey, (key) => key !== Tracestate.DD),
      value: pattern(/^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,15}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/)
    }),
    { maxLength: 4 }
  ),
  unique
)
const propagatedTags = Arbitrary.map(
  Arbitrary.array(
    Arbitrary.all({
      key: Arbitrary.filter(pattern(/^_dd\.p\.[a-z0-9_.]{1,8}$/), (key) => key !== DatadogHeaders.TAG_TID),
      value: pattern(/^[\x21-\x2b\x2d-\x7e]{1,12}$/)
    }),
    { maxLength: 3 }
  ),
  unique
)

const propagated: Arbitrary.Arbitrary<InjectHeaders.Propagated> = Arbitrary.all({
  traceId: Arbitrary.map(Arbitrary.all([bool, hex(16), hex(16)]), ([wide, high, low]) =>
    wide ? `${high}${low}` : `0000000000000000${low}`
  ),
  spanId: hex(16),
  samplingPriority: int(-1, 2),
  origin: optional(pattern(/^[\x21-\x2b\x2d-\x7e](?:[\x20-\x2b\x2d-\x7e]{0,10}[\x21-\x2b\x2d-\x7e])?$/)),
  tags: propagatedTags,
  vendors
})

/** Styles a tracer injects: dd-trace's default (both), Datadog only, W3C only (OpenTelemetry's default). */
const STYLES = ["both", "datadog", "w3c"] as const
const W3C_KEYS: ReadonlyArray<string> = ["traceparent", "tracestate"]

const injected = (context: InjectHeaders.Propagated, style: (typeof STYLES)[number]): Record<string, unknown> => {
  const all = InjectHeaders.inject(context)
  const carrier: Record<string, unknown> = {}
  for (const key of Object.keys(all)) {
    if (style === "both" || (style === "w3c") === W3C_KEYS.includes(key)) carrier[key] = all[key]
  }
  return carrier
}

/** What a tracer or a caller may add or change: each one keeps or breaks canonical form. */
const PERTURBATIONS = {
  none: (c: Record<string, unknown>) => c,
  baggage: (c: Record<string, unknown>) => ({ ...c, baggage: "user=alice", "ot-baggage-k": "v" }),
  leadingZeroId: (c: Record<string, unknown>) =>
    c["x-datadog-trace-id"] === undefined ? c : { ...c, "x-datadog-trace-id": `0${c["x-datadog-trace-id"]}` },
  idAboveUint64: (c: Record<string, unknown>) => ({ ...c, "x-datadog-parent-id": "18446744073709551616" }),
  idMaxUint64: (c: Record<string, unknown>) => ({ ...c, "x-datadog-parent-id": "18446744073709551615" }),
  zeroId: (c: Record<string, unknown>) => ({ ...c, "x-datadog-trace-id": "0" }),
  minusZeroPriority: (c: Record<string, unknown>) => ({ ...c, "x-datadog-sampling-priority": "-0" }),
  paddedPriority: (c: Record<string, unknown>) => ({ ...c, "x-datadog-sampling-priority": "01" }),
  upperCaseKey: (c: Record<string, unknown>) => {
    const { traceparent, ...rest } = c
    return traceparent === undefined ? c : { ...rest, TraceParent: traceparent }
  },
  caseTwin: (c: Record<string, unknown>) => ({
    ...c,
    "X-Datadog-Trace-Id": "1234"
  }),
  futureTraceparent: (c: Record<string, unknown>) =>
    typeof c.traceparent === "string" ? { ...c, traceparent: `01${c.traceparent.slice(2)}-extra` } : c,
  futureTraceparentFourParts: (c: Record<string, unknown>) =>
    typeof c.traceparent === "string" ? { ...c, traceparent: `cc${c.traceparent.slice(2)}` } : c,
  upperHexTraceparent: (c: Record<string, unknown>) =>
    typeof c.traceparent === "string" ? { ...c, traceparent: c.traceparent.toUpperCase() } : c,
  tracestateSpaces: (c: Record<string, unknown>) => ({
    ...c,
    tracestate: `${typeof c.tracestate === "string" ? c.tracestate : "a=b"} , x=y `
  }),
  tracestateEmptyMember: (c: Record<string, unknown>) => ({
    ...c,
    tracestate: `${typeof c.tracestate === "string" ? c.tracestate : "a=b"},,x=y`
  }),
  tracestateDuplicate: (c: Record<string, unknown>) => ({
    ...c,
    tracestate: `${typeof c.tracestate === "string" ? c.tracestate : "a=b"},a=c,a=d`
  }),
  tracestateInvalidMember: (c: Record<string, unknown>) => ({
    ...c,
    tracestate: `${typeof c.tracestate === "string" ? c.tracestate : "a=b"},Upper=x,k=`
  }),
  tracestateTooMany: (c: Record<string, unknown>) => ({
    ...c,
    tracestate: Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(",")
  }),
  tracestateThirtyTwo: (c: Record<string, unknown>) => ({
    ...c,
    tracestate: Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(",")
  }),
  tagsNotCanonical: (c: Record<string, unknown>) => ({ ...c, "x-datadog-tags": "_dd.p.dm=-0,,_dd.p.dm=-1,bad" }),
  tagsOverCap: (c: Record<string, unknown>) => ({
    ...c,
    "x-datadog-tags": Array.from({ length: 60 }, (_, i) => `_dd.p.k${i}=value`).join(",")
  }),
  overSize: (c: Record<string, unknown>) => ({
    ...c,
    "x-datadog-origin": "o".repeat(256),
    tracestate: Array.from({ length: 8 }, (_, i) => `k${i}=${"v".repeat(100)}`).join(",")
  }),
  originSpace: (c: Record<string, unknown>) => ({ ...c, "x-datadog-origin": " rum" }),
  notAString: (c: Record<string, unknown>) => ({ ...c, "x-datadog-sampling-priority": 1 }),
  throwingGetter: (c: Record<string, unknown>) =>
    Object.defineProperty({ ...c }, "traceparent", {
      enumerable: true,
      get: () => {
        throw new Error("hostile")
      }
    }),
  inheritedOnly: (c: Record<string, unknown>) => Object.create(c)
} as const

type Perturbation = keyof typeof PERTURBATIONS
/** The perturbations that leave a tracer's carrier canonical: the trusted path must vouch for those. */
const CANONICAL_PERTURBATIONS: ReadonlyArray<Perturbation> = [
  "none",
  "baggage",
  "idMaxUint64",
  "tracestateThirtyTwo",
  "futureTraceparentFourParts"
]

const carrier = Arbitrary.all({
  context: propagated,
  style: Arbitrary.schema(Schema.Literals(STYLES)),
  perturbation: Arbitrary.schema(Schema.Literals(Object.keys(PERTURBATIONS) as Array<Perturbation>))
})

const entries = (headers: Option.Option<Headers.Headers>) =>
  Option.map(headers, (h) => Object.keys(h).map((key) => [key, h[key]]))

describe("Headers.fromTracer", () => {
  it.prop("equals fromCarrier on every carrier, tracers' or perturbed", { c: carrier }, ({ c }) => {
    const input = PERTURBATIONS[c.perturbation](injected(c.context, c.style))
    assert.deepStrictEqual(entries(Headers.fromTracer(input)), entries(Headers.fromCarrier(input)), c.perturbation)
  })

  it.prop("its trusted half vouches only for what fromCarrier returns unchanged", { c: carrier }, ({ c }) => {
    const input = PERTURBATIONS[c.perturbation](injected(c.context, c.style))
    const trusted = Headers.canonicalOf(input)
    if (trusted !== undefined) {
      assert.deepStrictEqual(entries(Option.some(trusted)), entries(Headers.fromCarrier(input)), c.perturbation)
    }
  })

  it.prop(
    "its trusted half vouches for what tracers inject, other vendors' tracestate members included",
    { context: propagated, style: Arbitrary.schema(Schema.Literals(STYLES)), pick: int(0, 4) },
    ({ context, style, pick }) => {
      const perturbation = CANONICAL_PERTURBATIONS[pick]!
      const input = PERTURBATIONS[perturbation](injected(context, style))
      const trusted = Headers.canonicalOf(input)
      assert.isDefined(trusted, perturbation)
      // And what it returns is canonical: the writer's re-check is free.
      assert.strictEqual(Option.getOrUndefined(Headers.fromCarrier(trusted)), trusted)
    }
  )

  it("falls back on a carrier it cannot vouch for (named cases)", () => {
    const base = injected(
      {
        traceId: "4bf92f3577b34da6a3ce929d0e0e4736",
        spanId: "00f067aa0ba902b7",
        samplingPriority: 1,
        origin: undefined,
        tags: [],
        vendors: [{ key: "rojo", value: "00f067aa0ba902b7" }]
      },
      "both"
    )
    for (const name of Object.keys(PERTURBATIONS) as Array<Perturbation>) {
      const input = PERTURBATIONS[name](base)
      const trusted = Headers.canonicalOf(input)
      assert.strictEqual(trusted !== undefined, CANONICAL_PERTURBATIONS.includes(name), name)
      assert.deepStrictEqual(entries(Headers.fromTracer(input)), entries(Headers.fromCarrier(input)), name)
    }
  })
})

/** dd= values as another writer may leave them: canonical, or with duplicates, spaces, empty or broken entries. */
const DD_NOISE: ReadonlyArray<(dd: string) => string> = [
  (dd) => dd,
  (dd) => `${dd};s:9`,
  (dd) => dd.replaceAll(";", " ; "),
  (dd) => `;${dd};;junk`,
  (dd) => `p:zz;${dd}`,
  (dd) => `${dd};p:0123456789abcdef`,
  // Close to W3C's 256 characters: a p: entry appended would outgrow it.
  (dd) => `${dd};t.pad:${"x".repeat(Math.max(1, 250 - dd.length - 7))}`
]

describe("needsCheckpointUpdate on canonical headers", () => {
  // Two injections of one trace: independent volatile ids, and each other component either shared or not.
  const pair = Arbitrary.all({
    a: propagated,
    b: propagated,
    share: Arbitrary.all({
      traceId: bool,
      samplingPriority: bool,
      origin: bool,
      tags: bool,
      vendors: bool
    }),
    style: Arbitrary.schema(Schema.Literals(STYLES)),
    ddParentless: bool,
    noise: Arbitrary.all([int(0, DD_NOISE.length - 1), int(0, DD_NOISE.length - 1)])
  })

  it.prop("agrees with the general path", { p: pair }, ({ p }) => {
    const b: InjectHeaders.Propagated = {
      traceId: p.share.traceId ? p.a.traceId : p.b.traceId,
      spanId: p.b.spanId,
      samplingPriority: p.share.samplingPriority ? p.a.samplingPriority : p.b.samplingPriority,
      origin: p.share.origin ? p.a.origin : p.b.origin,
      tags: p.share.tags ? p.a.tags : p.b.tags,
      vendors: p.share.vendors ? p.a.vendors : p.b.vendors
    }
    const canonical = (context: InjectHeaders.Propagated, noise: number): Headers.Headers => {
      const headers = Option.getOrThrow(Headers.fromCarrier(injected(context, p.style)))
      if (headers.tracestate === undefined) return headers
      // A checkpoint whose dd= member has no p: entry (Datadog's JS writer), or only p: (dropped when stripped).
      const stripped = p.ddParentless
        ? headers.tracestate.replace(/p:[0-9a-f]{16};?/, "").replace(/;,|;$/, (m) => m.slice(1))
        : headers.tracestate
      // tracestate's canonical form leaves the dd= value as written: it may still need parsing.
      const noisy = stripped.replace(/^dd=([^,]*)/, (_, dd: string) => `dd=${DD_NOISE[noise]!(dd)}`)
      return Option.getOrThrow(Headers.fromCarrier({ ...headers, tracestate: noisy }))
    }
    const [before, after] = [canonical(p.a, p.noise[0]), canonical(b, p.noise[1])]
    // Spread copies hold the same values but are not canonical: they take the general path.
    const general = Headers.needsCheckpointUpdate({ ...before }, { ...after })
    assert.strictEqual(Headers.needsCheckpointUpdate(before, after), general)
    assert.strictEqual(Headers.needsCheckpointUpdate(after, before), general)
  })

  it("vectors: the dd= member and the traceparent parts", () => {
    const only = (tracestate: string) =>
      Option.getOrThrow(
        Headers.fromCarrier({ traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", tracestate })
      )
    assert.isFalse(Headers.needsCheckpointUpdate(only("dd=p:00f067aa0ba902b7,rojo=1"), only("rojo=1")))
    assert.isFalse(
      Headers.needsCheckpointUpdate(only("rojo=1,dd=p:00f067aa0ba902b7"), only("rojo=1,dd=p:1111111111111111"))
    )
    assert.isTrue(Headers.needsCheckpointUpdate(only("rojo=1,dd=s:1;p:00f067aa0ba902b7"), only("rojo=1,dd=s:2")))
    assert.isTrue(Headers.needsCheckpointUpdate(only("dd=s:1,rojo=1"), only("rojo=1,dd=s:1")))
    const w3c = (traceparent: string) => Option.getOrThrow(Headers.fromCarrier({ traceparent }))
    const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
    assert.isFalse(
      Headers.needsCheckpointUpdate(w3c(`00-${TRACE}-00f067aa0ba902b7-01`), w3c(`00-${TRACE}-1111111111111111-01`))
    )
    assert.isTrue(
      Headers.needsCheckpointUpdate(w3c(`00-${TRACE}-00f067aa0ba902b7-01`), w3c(`00-${TRACE}-00f067aa0ba902b7-00`))
    )
    assert.isTrue(
      Headers.needsCheckpointUpdate(w3c(`00-${TRACE}-00f067aa0ba902b7-01`), w3c(`cc-${TRACE}-00f067aa0ba902b7-01`))
    )
  })
})

describe("anchor on canonical headers", () => {
  it.prop(
    "agrees with the general path, and stays canonical",
    {
      context: propagated,
      style: Arbitrary.schema(Schema.Literals(STYLES)),
      anchor: hex(16),
      ddParentless: bool,
      noise: int(0, DD_NOISE.length - 1)
    },
    ({ context, style, anchor, ddParentless, noise }) => {
      const injectedHeaders = Option.getOrThrow(Headers.fromCarrier(injected(context, style)))
      const tracestate = injectedHeaders.tracestate
      const headers =
        tracestate === undefined
          ? injectedHeaders
          : Option.getOrThrow(
              Headers.fromCarrier({
                ...injectedHeaders,
                tracestate: (ddParentless ? tracestate.replace(/;?p:[0-9a-f]{16}/, "") : tracestate).replace(
                  /^dd=([^,]*)/,
                  (_, dd: string) => `dd=${DD_NOISE[noise]!(dd)}`
                )
              })
            )
      const anchored = Headers.anchor(headers, anchor)
      assert.deepStrictEqual(
        entries(Option.some(anchored)),
        entries(Option.some(Headers.anchor({ ...headers }, anchor)))
      )
      // Canonical in, canonical out: reading it back is free, and what it holds is what sanitising gives.
      assert.strictEqual(Option.getOrThrow(Headers.fromCarrier(anchored)), anchored)
      assert.deepStrictEqual(entries(Headers.fromCarrier({ ...anchored })), entries(Option.some(anchored)))
    }
  )
})

describe("traceIdHex on canonical headers", () => {
  it.prop(
    "agrees with the general path",
    { context: propagated, style: Arbitrary.schema(Schema.Literals(STYLES)), extraTags: propagatedTags },
    ({ context, style, extraTags }) => {
      const headers = Option.getOrThrow(Headers.fromCarrier(injected(context, style)))
      // The high half is found wherever `_dd.p.tid` sits among the tags.
      const reordered =
        headers["x-datadog-tags"] === undefined || extraTags.length === 0
          ? headers
          : Option.getOrThrow(
              Headers.fromCarrier({
                ...headers,
                "x-datadog-tags": `${DatadogHeaders.formatTags(extraTags)},${headers["x-datadog-tags"]}`
              })
            )
      assert.deepStrictEqual(Headers.traceIdHex(reordered), Headers.traceIdHex({ ...reordered }))
      // Both styles carry the full id: the Datadog one as `_dd.p.tid` plus the low half, zeros when the high is zero.
      assert.deepStrictEqual(Headers.traceIdHex(reordered), Option.some(context.traceId))
    }
  )
})
