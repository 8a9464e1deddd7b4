import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as DatadogHeaders from "../src/DatadogHeaders.ts"
import * as Headers from "../src/Headers.ts"
import * as Traceparent from "../src/Traceparent.ts"
import * as Tracestate from "../src/Tracestate.ts"
import { bool, int, optional, pattern } from "./fixtures.ts"

// A generated header set is described by independent components, each owning the non-volatile content of one
// header, plus the volatile parent ids. `render(spec, true)` gives the canonical headers; `render(spec, false)` is
// the oracle for `stable`, written without the module's code.

interface Entry {
  readonly key: string
  readonly value: string
}

interface Spec {
  readonly datadog: { readonly traceId: string; readonly parentId: string } | undefined
  readonly priority: string | undefined
  readonly origin: string | undefined
  readonly tags: ReadonlyArray<Entry>
  readonly w3c:
    | { readonly version: string; readonly traceId: string; readonly parentId: string; readonly flags: string }
    | undefined
  readonly tracestate: {
    readonly vendors: ReadonlyArray<Entry>
    readonly dd: { readonly entries: ReadonlyArray<Entry>; readonly at: number } | undefined
    readonly ddParent: { readonly parentId: string; readonly at: number } | undefined
  }
}

const COMPONENTS = ["datadog", "priority", "origin", "tags", "w3c", "tracestate"] as const

const uniqueKeys = (entries: ReadonlyArray<Entry>): ReadonlyArray<Entry> =>
  entries.filter((entry, index) => entries.findIndex((other) => other.key === entry.key) === index)
const entries = (key: Arbitrary.Arbitrary<string>, value: Arbitrary.Arbitrary<string>, maxLength: number) =>
  Arbitrary.map(Arbitrary.array(Arbitrary.all({ key, value }), { maxLength }), uniqueKeys)

const hex = (length: number) =>
  Arbitrary.filter(pattern(new RegExp(`^[0-9a-f]{${length}}$`)), (value) => /[1-9a-f]/.test(value))
const hex16 = hex(16)
const decimalId = Arbitrary.map(
  Arbitrary.schema(Schema.BigInt.check(Schema.isBetweenBigInt({ minimum: 1n, maximum: 0xffffffffffffffffn }))),
  (id) => id.toString()
)
const origin = pattern(/^[\x21-\x2b\x2d-\x7e](?:[\x20-\x2b\x2d-\x7e]{0,10}[\x21-\x2b\x2d-\x7e])?$/)
const tags = Arbitrary.map(
  Arbitrary.all([
    optional(hex16),
    entries(
      Arbitrary.filter(pattern(/^_dd\.p\.[a-z0-9_.]{1,8}$/), (key) => key !== DatadogHeaders.TAG_TID),
      pattern(/^[\x20-\x2b\x2d-\x7e]{1,12}$/),
      3
    )
  ]),
  ([tid, rest]) => (tid === undefined ? rest : [{ key: DatadogHeaders.TAG_TID, value: tid }, ...rest])
)
const vendorKey = pattern(/^(?:[a-z][a-z0-9_\-*/]{0,11}|[a-z0-9][a-z0-9_\-*/]{0,5}@[a-z][a-z0-9_\-*/]{0,5})$/)
const tracestate = Arbitrary.all({
  vendors: entries(
    Arbitrary.filter(vendorKey, (key) => key !== Tracestate.DD),
    pattern(/^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,15}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/),
    3
  ),
  dd: optional(
    Arbitrary.all({
      entries: entries(
        Arbitrary.filter(pattern(/^[\x21-\x2b\x2d-\x39\x3c\x3e-\x7e]{1,6}$/), (key) => key !== Tracestate.DD_PARENT_ID),
        pattern(
          /^[\x21-\x2b\x2d-\x3a\x3c\x3e-\x7e](?:[\x20-\x2b\x2d-\x3a\x3c\x3e-\x7e]{0,10}[\x21-\x2b\x2d-\x3a\x3c\x3e-\x7e])?$/
        ),
        3
      ),
      at: int(0, 3)
    })
  ),
  ddParent: optional(Arbitrary.all({ parentId: hex16, at: int(0, 3) }))
})

const spec: Arbitrary.Arbitrary<Spec> = Arbitrary.filter(
  Arbitrary.all({
    datadog: optional(Arbitrary.all({ traceId: decimalId, parentId: hex16 })),
    priority: optional(Arbitrary.map(int(-9, 99), (n) => String(n + 0))),
    origin: optional(origin),
    tags,
    w3c: optional(
      Arbitrary.all({
        // Mostly version 00; sometimes a future version.
        version: Arbitrary.map(
          Arbitrary.all([bool, bool, Arbitrary.filter(pattern(/^[0-9a-f]{2}$/), (v) => v !== "ff")]),
          ([a, b, future]) => (a || b ? "00" : future)
        ),
        traceId: hex(32),
        parentId: hex16,
        flags: pattern(/^[0-9a-f]{2}$/)
      })
    ),
    tracestate
  }),
  (s) => s.datadog !== undefined || s.w3c !== undefined
)

// New volatile fields: the three parent ids, and whether dd= carries one at all.
const volatile = Arbitrary.all({ datadog: hex16, w3c: hex16, ddParent: optional(hex16) })

const withVolatile = (s: Spec, v: { datadog: string; w3c: string; ddParent: string | undefined }): Spec => ({
  ...s,
  datadog: s.datadog && { ...s.datadog, parentId: v.datadog },
  w3c: s.w3c && { ...s.w3c, parentId: v.w3c },
  tracestate: {
    ...s.tracestate,
    ddParent: v.ddParent === undefined ? undefined : { parentId: v.ddParent, at: s.tracestate.ddParent?.at ?? 0 }
  }
})

const insertAt = <A>(list: ReadonlyArray<A>, at: number, item: A): ReadonlyArray<A> => [
  ...list.slice(0, at),
  item,
  ...list.slice(at)
]
const join = (list: ReadonlyArray<Entry>, pair: string, separator: string): string =>
  list.map((entry) => `${entry.key}${pair}${entry.value}`).join(separator)

const renderTracestate = (ts: Spec["tracestate"], volatileToo: boolean): string => {
  const ddEntries = ts.dd?.entries ?? []
  const dd =
    volatileToo && ts.ddParent !== undefined
      ? insertAt(ddEntries, ts.ddParent.at, { key: "p", value: ts.ddParent.parentId })
      : ddEntries
  const hasDd = dd.length > 0 && (ts.dd !== undefined || volatileToo)
  const members = hasDd ? insertAt(ts.vendors, ts.dd?.at ?? 0, { key: "dd", value: join(dd, ":", ";") }) : ts.vendors
  return join(members, "=", ",")
}

/** The canonical headers of a spec; without the volatile fields, what `stable` must return. */
const render = (s: Spec, volatileToo: boolean): Record<string, string> => {
  const headers: Record<string, string> = {}
  if (s.datadog !== undefined) {
    headers["x-datadog-trace-id"] = s.datadog.traceId
    if (volatileToo) headers["x-datadog-parent-id"] = BigInt(`0x${s.datadog.parentId}`).toString()
  }
  if (s.priority !== undefined) headers["x-datadog-sampling-priority"] = s.priority
  if (s.origin !== undefined) headers["x-datadog-origin"] = s.origin
  if (s.tags.length > 0) headers["x-datadog-tags"] = join(s.tags, "=", ",")
  if (s.w3c !== undefined) {
    const { version, traceId, parentId, flags } = s.w3c
    headers.traceparent = volatileToo ? `${version}-${traceId}-${parentId}-${flags}` : `${version}-${traceId}-${flags}`
  }
  const ts = renderTracestate(s.tracestate, volatileToo)
  if (ts !== "") headers.tracestate = ts
  return headers
}
const headersOf = (s: Spec) => render(s, true)

const sameHeaders = (a: Headers.Headers, b: Headers.Headers): boolean => {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && a[key] === b[key])
}

describe("Headers laws (SPEC §4.3, §4.4)", () => {
  it.prop("generated header sets are valid contexts", { s: spec }, ({ s }) => {
    assert.isTrue(Headers.isValidContext(headersOf(s)))
  })

  describe("stable", () => {
    it.prop("removes exactly the volatile fields (oracle)", { s: spec }, ({ s }) => {
      assert.deepStrictEqual(Headers.stable(headersOf(s)), render(s, false))
    })

    it.prop("is idempotent", { s: spec }, ({ s }) => {
      const once = Headers.stable(headersOf(s))
      assert.deepStrictEqual(Headers.stable(once), once)
    })

    it.prop("changing only volatile fields never changes it", { s: spec, v: volatile }, ({ s, v }) => {
      const before = headersOf(s)
      const after = headersOf(withVolatile(s, v))
      assert.deepStrictEqual(Headers.stable(after), Headers.stable(before))
      assert.isFalse(Headers.needsCheckpointUpdate(before, after))
    })

    it.prop(
      "changing, adding or removing any one component changes it iff that component's stable content changed",
      { a: spec, b: spec, component: Arbitrary.schema(Schema.Literals(COMPONENTS)) },
      ({ a, b, component }) => {
        const c: Spec = { ...a, [component]: b[component] }
        const changed = !sameHeaders(render(a, false), render(c, false))
        assert.strictEqual(Headers.needsCheckpointUpdate(headersOf(a), headersOf(c)), changed)
        assert.strictEqual(Headers.needsCheckpointUpdate(headersOf(c), headersOf(a)), changed)
      }
    )

    it.prop(
      "adding any other key changes it",
      {
        s: spec,
        key: Arbitrary.filter(
          pattern(/^[a-z][a-z0-9-]{0,15}$/),
          (key) => !(Headers.PAYLOAD_KEYS as ReadonlyArray<string>).includes(key)
        ),
        value: Arbitrary.schema(Schema.String)
      },
      ({ s, key, value }) => {
        const headers = headersOf(s)
        assert.isTrue(Headers.needsCheckpointUpdate(headers, { ...headers, [key]: value }))
        assert.isTrue(Headers.needsCheckpointUpdate({ ...headers, [key]: value }, headers))
      }
    )

    it.prop("removing any stable key changes it, on either side", { s: spec, pick: int(0, 6) }, ({ s, pick }) => {
      const headers = headersOf(s)
      const keys = Object.keys(Headers.stable(headers))
      const removed = keys[pick % keys.length]!
      const without = Object.fromEntries(Object.entries(headers).filter(([key]) => key !== removed))
      assert.isTrue(Headers.needsCheckpointUpdate(headers, without), removed)
      assert.isTrue(Headers.needsCheckpointUpdate(without, headers), removed)
    })
  })

  describe("needsCheckpointUpdate", () => {
    it.prop(
      "is symmetric",
      { a: spec, b: spec, v: volatile, component: Arbitrary.schema(Schema.Literals(COMPONENTS)) },
      ({ a, b, v, component }) => {
        // Unrelated sets, a volatile-only change, and a one-component change (often a key on one side only).
        for (const [x, y] of [
          [headersOf(a), headersOf(b)],
          [headersOf(a), headersOf(withVolatile(a, v))],
          [headersOf(a), headersOf({ ...a, [component]: b[component] })]
        ] as const) {
          assert.strictEqual(Headers.needsCheckpointUpdate(x, y), Headers.needsCheckpointUpdate(y, x))
        }
      }
    )

    it.prop("is always true without a prior", { s: spec }, ({ s }) => {
      assert.isTrue(Headers.needsCheckpointUpdate(undefined, headersOf(s)))
    })
  })

  describe("anchor", () => {
    it.prop("sets every present carrier to the one anchor", { s: spec, p: hex16 }, ({ s, p }) => {
      const headers = headersOf(s)
      const anchored = Headers.anchor(headers, p)
      assert.deepStrictEqual(Headers.parentId(anchored), Option.some(p))
      assert.deepStrictEqual(Object.keys(anchored).sort(), Object.keys(headers).sort())
      if (headers["x-datadog-parent-id"] !== undefined) {
        assert.strictEqual(anchored["x-datadog-parent-id"], BigInt(`0x${p}`).toString())
        assert.deepStrictEqual(DatadogHeaders.decimalToHex16(anchored["x-datadog-parent-id"]), Option.some(p))
      }
      if (headers.traceparent !== undefined) {
        assert.deepStrictEqual(
          Option.map(Traceparent.parse(anchored.traceparent), (tp) => tp.parentId),
          Option.some(p)
        )
      }
      const hasDd = Option.exists(Tracestate.parse(headers.tracestate), (ts) => ts.some((m) => m.key === "dd"))
      assert.deepStrictEqual(
        Option.flatMap(Tracestate.parse(anchored.tracestate), Tracestate.ddParentId),
        hasDd ? Option.some(p) : Option.none()
      )
    })

    it.prop("never changes the stable form", { s: spec, p: hex16 }, ({ s, p }) => {
      const headers = headersOf(s)
      assert.deepStrictEqual(Headers.stable(Headers.anchor(headers, p)), Headers.stable(headers))
      assert.isFalse(Headers.needsCheckpointUpdate(headers, Headers.anchor(headers, p)))
    })

    it.prop("the last anchor wins", { s: spec, p: hex16, q: hex16 }, ({ s, p, q }) => {
      const headers = headersOf(s)
      assert.deepStrictEqual(Headers.anchor(Headers.anchor(headers, p), q), Headers.anchor(headers, q))
    })
  })

  describe("round trips on canonical input", () => {
    it.prop("fromCarrier is the identity on a canonical header set, object or JSON", { s: spec }, ({ s }) => {
      const headers = headersOf(s)
      assert.deepStrictEqual(Headers.fromCarrier(headers), Option.some(headers))
      assert.deepStrictEqual(Headers.fromCarrier(JSON.stringify(headers)), Option.some(headers))
    })

    it.prop("each format: parse then format", { s: spec }, ({ s }) => {
      const headers = headersOf(s)
      if (headers.traceparent !== undefined) {
        assert.deepStrictEqual(
          Option.map(Traceparent.parse(headers.traceparent), Traceparent.format),
          Option.some(headers.traceparent)
        )
      }
      if (headers.tracestate !== undefined) {
        assert.deepStrictEqual(
          Option.map(Tracestate.parse(headers.tracestate), Tracestate.format),
          Option.some(headers.tracestate)
        )
      }
      const dd = Option.flatMap(Tracestate.parse(headers.tracestate), (ts) =>
        Option.fromNullishOr(ts.find((m) => m.key === "dd"))
      )
      if (Option.isSome(dd)) {
        assert.deepStrictEqual(
          Option.map(Tracestate.parseDd(dd.value.value), Tracestate.formatDd),
          Option.some(dd.value.value)
        )
      }
      if (headers["x-datadog-tags"] !== undefined) {
        assert.deepStrictEqual(
          Option.map(DatadogHeaders.parseTags(headers["x-datadog-tags"]), DatadogHeaders.formatTags),
          Option.some(headers["x-datadog-tags"])
        )
      }
    })

    it.prop("datadog ids: decimal <-> hex16", { id: decimalId, h: hex16 }, ({ id, h }) => {
      assert.deepStrictEqual(DatadogHeaders.parseId(id), Option.some(id))
      assert.deepStrictEqual(
        Option.flatMap(DatadogHeaders.decimalToHex16(id), DatadogHeaders.hex16ToDecimal),
        Option.some(id)
      )
      assert.deepStrictEqual(
        Option.flatMap(DatadogHeaders.hex16ToDecimal(h), DatadogHeaders.decimalToHex16),
        Option.some(h)
      )
    })
  })

  describe("hostile input", () => {
    const anyValue = Arbitrary.schema(Schema.Union([Schema.String, Schema.Number, Schema.Boolean, Schema.Null]))
    const anyKey = Arbitrary.schema(
      Schema.Literals([...Headers.PAYLOAD_KEYS, "TraceParent", "__proto__", "constructor", "x"])
    )

    it.prop(
      "fromCarrier never throws, and its output is a fixed point",
      {
        pairs: Arbitrary.array(Arbitrary.all([anyKey, anyValue]), { maxLength: 8 }),
        text: Arbitrary.schema(Schema.String)
      },
      ({ pairs, text }) => {
        const carrier: Record<string, unknown> = Object.create(null)
        for (const [key, value] of pairs) carrier[key] = value
        for (const input of [carrier, text, JSON.stringify(carrier)]) {
          const headers = Headers.fromCarrier(input)
          if (Option.isSome(headers)) assert.deepStrictEqual(Headers.fromCarrier(headers.value), headers)
        }
        assert.isUndefined(({} as Record<string, unknown>).polluted)
      }
    )

    it.prop("parsers never throw on arbitrary strings", { text: Arbitrary.schema(Schema.String) }, ({ text }) => {
      Traceparent.parse(text)
      Option.map(Tracestate.parse(text), (ts) =>
        Tracestate.stripDdParent(Tracestate.setDdParent(ts, "00f067aa0ba902b7"))
      )
      Tracestate.parseDd(text)
      DatadogHeaders.parseId(text)
      DatadogHeaders.parseTags(text)
      DatadogHeaders.parseOrigin(text)
      DatadogHeaders.parseSamplingPriority(text)
      const headers = { traceparent: text, tracestate: text, "x-datadog-parent-id": text }
      Headers.stable(headers)
      Headers.anchor(headers, "00f067aa0ba902b7")
      Headers.parentId(headers)
      Headers.isValidContext(headers)
    })
  })
})
