/**
 * durable-trace's `tracestate` member (SPEC §11): `durabletrace=n:<k>;l:<trace>-<span>`, read in its first form too,
 * written only beside a `traceparent`, never touching another member or the checkpoint's anchor.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as DurableMember from "../src/DurableMember.ts"
import * as Headers from "../src/Headers.ts"
import * as Tracestate from "../src/Tracestate.ts"
import { ddHeaders, ddJsPayload, EXECUTE_SPAN_HEX, EXECUTE_SPAN_ID, TRACE_ID_HIGH } from "./fixtures.ts"

const ANCHOR = ddHeaders(EXECUTE_SPAN_ID)
const DD = `dd=t.dm:-0;t.tid:${TRACE_ID_HIGH};s:1;p:${EXECUTE_SPAN_HEX}`
const PREVIOUS: DurableMember.SpanRef = { traceId: `${TRACE_ID_HIGH}00000000000000aa`, spanId: "00000000000000bb" }
const REF = `${PREVIOUS.traceId}-${PREVIOUS.spanId}`
const withState = (tracestate: string): Headers.Headers => ({ ...ANCHOR, tracestate })

const number = Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 999_999_999_999_999 })))
const hex = (length: number) =>
  Arbitrary.schema(Schema.String.check(Schema.isPattern(new RegExp(`^[0-9a-f]{${length}}$`))))
const vendorKeys = Arbitrary.schema(
  Schema.Array(Schema.String.check(Schema.isPattern(/^[a-z][a-z0-9]{0,6}$/))).check(Schema.isMaxLength(20))
)
const vendorValue = Arbitrary.schema(Schema.String.check(Schema.isPattern(/^[a-zA-Z0-9:;.-]{1,12}$/)))
const entryKeys = Arbitrary.schema(
  Schema.Array(Schema.String.check(Schema.isPattern(/^[a-z]{1,3}$/))).check(Schema.isMaxLength(6))
)

/** Other vendors' members, distinct and none of ours or Datadog's. */
const vendors = (keys: ReadonlyArray<string>, value: string): Tracestate.Tracestate =>
  [...new Set(keys)]
    .filter((key) => key !== Tracestate.DD && key !== DurableMember.KEY)
    .map((key, i) => ({ key, value: `${value}${i}` }))

const membersOf = (headers: Headers.Headers): Tracestate.Tracestate =>
  Option.getOrElse(Tracestate.parse(headers.tracestate), (): Tracestate.Tracestate => [])

describe("DurableMember", () => {
  it("writes the invocation number after dd=, other vendors kept", () => {
    const written = DurableMember.withInvocation(ANCHOR, Option.some(3))
    assert.strictEqual(written.tracestate, `${DD},durabletrace=n:3,othervendor=keep`)
    assert.deepStrictEqual(DurableMember.invocationOf(written), Option.some(3))
    assert.deepStrictEqual(DurableMember.previousOf(written), Option.none())
    assert.isTrue(Headers.isWrittenCarrier(written), "still a valid checkpoint payload")
    assert.deepStrictEqual(Headers.fromCarrier(written), Option.some(written), "survives sanitising unchanged")
  })

  it("holds the number and the previous invocation in one member", () => {
    const both = DurableMember.withInvocation(DurableMember.withPrevious(ANCHOR, PREVIOUS), Option.some(4))
    assert.strictEqual(both.tracestate, `${DD},durabletrace=l:${REF};n:4,othervendor=keep`)
    const next = DurableMember.withInvocation(both, Option.some(5))
    assert.strictEqual(next.tracestate, `${DD},durabletrace=l:${REF};n:5,othervendor=keep`, "replaced in place")
    assert.deepStrictEqual(DurableMember.previousOf(next), Option.some(PREVIOUS))
  })

  it("reads the first form, <trace>-<span>, as the previous invocation", () => {
    const old = withState(`${DD},durabletrace=${REF}`)
    assert.deepStrictEqual(DurableMember.previousOf(old), Option.some(PREVIOUS))
    assert.deepStrictEqual(DurableMember.invocationOf(old), Option.none())
    assert.strictEqual(
      DurableMember.withInvocation(old, Option.some(2)).tracestate,
      `${DD},durabletrace=l:${REF};n:2`,
      "rewritten in the entry form"
    )
  })

  it("an unknown number removes a stale one, and the member when it is left empty", () => {
    const stale = withState(`${DD},durabletrace=n:7,othervendor=keep`)
    assert.strictEqual(DurableMember.withInvocation(stale, Option.none()).tracestate, `${DD},othervendor=keep`)
    const only = withState("durabletrace=n:7")
    assert.notProperty(DurableMember.withInvocation(only, Option.none()), "tracestate")
    assert.strictEqual(DurableMember.withInvocation(ANCHOR, Option.none()), ANCHOR, "nothing to remove: the same")
  })

  it("keeps entries it does not know", () => {
    const future = withState(`${DD},durabletrace=x:y;n:1`)
    assert.strictEqual(DurableMember.withInvocation(future, Option.some(2)).tracestate, `${DD},durabletrace=x:y;n:2`)
  })

  it("never outgrows W3C's 256-character member value: the change is not made", () => {
    const long = withState(`${DD},durabletrace=x:${"y".repeat(252)}`)
    assert.strictEqual(DurableMember.withInvocation(long, Option.some(3)), long)
    const fits = withState(`${DD},durabletrace=x:${"y".repeat(240)}`)
    assert.deepStrictEqual(
      DurableMember.invocationOf(DurableMember.withInvocation(fits, Option.some(3))),
      Option.some(3)
    )
  })

  it("removes a carried number it cannot replace within 256 characters, rather than leave it stale", () => {
    const carried = withState(`${DD},durabletrace=n:4;x:${"y".repeat(248)}`)
    const updated = DurableMember.withInvocation(carried, Option.some(123_456))
    assert.deepStrictEqual(DurableMember.invocationOf(updated), Option.none())
    assert.strictEqual(updated.tracestate, `${DD},durabletrace=x:${"y".repeat(248)}`)
  })

  it("without: no number and no previous invocation, the member gone when nothing else is in it", () => {
    const both = withState(`${DD},durabletrace=n:4;l:${"a".repeat(32)}-${"b".repeat(16)},v=1`)
    assert.strictEqual(DurableMember.without(both).tracestate, `${DD},v=1`)
    const other = withState(`${DD},durabletrace=n:4;x:y`)
    assert.strictEqual(DurableMember.without(other).tracestate, `${DD},durabletrace=x:y`)
  })

  it("reads only positive decimal numbers", () => {
    for (const value of ["0", "01", "-1", "1.5", "abc", "1e3", "1234567890123456"]) {
      assert.deepStrictEqual(DurableMember.invocationOf(withState(`durabletrace=n:${value}`)), Option.none(), value)
    }
    assert.deepStrictEqual(DurableMember.invocationOf(withState("durabletrace=n:12")), Option.some(12))
    for (const n of [0, -1, 1.5, Number.NaN, 1e15]) {
      assert.deepStrictEqual(
        DurableMember.invocationOf(DurableMember.withInvocation(ANCHOR, Option.some(n))),
        Option.none()
      )
    }
  })

  it("is not written without traceparent: Datadog headers alone carry no tracestate", () => {
    const datadogOnly = ddJsPayload(EXECUTE_SPAN_ID)
    assert.strictEqual(DurableMember.withInvocation(datadogOnly, Option.some(2)), datadogOnly)
    assert.strictEqual(DurableMember.withPrevious(datadogOnly, PREVIOUS), datadogOnly)
  })

  it("creates tracestate beside a traceparent that has none", () => {
    const { tracestate: _none, ...bare } = ANCHOR
    assert.strictEqual(DurableMember.withInvocation(bare, Option.some(1)).tracestate, "durabletrace=n:1")
  })

  it.prop("withInvocation then invocationOf gives the number back", { n: number }, ({ n }) => {
    assert.deepStrictEqual(
      DurableMember.invocationOf(DurableMember.withInvocation(ANCHOR, Option.some(n))),
      Option.some(n)
    )
  })

  it.prop(
    "number and previous are independent: setting one keeps the other",
    { n: number, t: hex(32), s: hex(16) },
    ({ n, t, s }) => {
      const ref = { traceId: t, spanId: s }
      const expected = /^0+$/.test(t) || /^0+$/.test(s) ? Option.none() : Option.some(ref)
      const a = DurableMember.withInvocation(DurableMember.withPrevious(ANCHOR, ref), Option.some(n))
      const b = DurableMember.withPrevious(DurableMember.withInvocation(ANCHOR, Option.some(n)), ref)
      for (const written of [a, b]) {
        assert.deepStrictEqual(DurableMember.invocationOf(written), Option.some(n))
        assert.deepStrictEqual(DurableMember.previousOf(written), expected)
      }
    }
  )

  it.prop("format then parse gives the entries back", { keys: entryKeys, v: vendorValue }, ({ keys, v }) => {
    const entries = [...new Set(keys)].map((key, i) => ({ key, value: `${v}${i}`.replaceAll(";", ".") }))
    assert.deepStrictEqual(DurableMember.parse(DurableMember.format(entries)), entries)
  })

  it.prop(
    "other members and dd= are untouched and in order",
    { keys: vendorKeys, v: vendorValue, n: number, t: hex(32), s: hex(16) },
    ({ keys, v, n, t, s }) => {
      const others = vendors(keys, v.replaceAll(";", "."))
      const before = withState(Tracestate.format([{ key: Tracestate.DD, value: DD.slice(3) }, ...others]))
      const written = DurableMember.withPrevious(DurableMember.withInvocation(before, Option.some(n)), {
        traceId: t,
        spanId: s
      })
      const after = membersOf(written)
      assert.deepStrictEqual(
        after.filter((member) => member.key !== DurableMember.KEY),
        membersOf(before),
        "every other member, in order"
      )
      assert.strictEqual(after[0]?.key, Tracestate.DD, "dd= stays leftmost")
      assert.strictEqual(after[1]?.key, DurableMember.KEY, "ours right after it")
      for (const key of Object.keys(before).filter((key) => key !== "tracestate")) {
        assert.strictEqual(written[key], before[key], key)
      }
    }
  )

  it.prop(
    "the number is not volatile: stable() changes exactly when it changes",
    { a: number, b: number },
    ({ a, b }) => {
      const first = Headers.anchor(DurableMember.withInvocation(ANCHOR, Option.some(a)), "00000000000000cd")
      const second = DurableMember.withInvocation(ANCHOR, Option.some(b))
      assert.strictEqual(Headers.needsCheckpointUpdate(first, second), a !== b)
      assert.strictEqual(
        JSON.stringify(Headers.stable(first)) !== JSON.stringify(Headers.stable(second)),
        a !== b,
        "the stable forms"
      )
      assert.deepStrictEqual(DurableMember.invocationOf(first), Option.some(a), "anchoring keeps the member")
    }
  )
})
