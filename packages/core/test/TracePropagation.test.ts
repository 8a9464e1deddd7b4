import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as TracePropagation from "../src/TracePropagation.ts"

const anyValue = Arbitrary.schema(Schema.Unknown)

describe("TracePropagation: opaque spans and the tagged parent", () => {
  const native = TracePropagation.natives<unknown, unknown>()

  it.prop("a vendor's span and context come back as they went in", { value: anyValue }, ({ value }) => {
    assert.strictEqual(native.fromSpan(native.toSpan(value)), value)
    assert.strictEqual(native.fromRemote(native.toRemote(value)), value)
  })

  it.prop(
    "a read's context is a remote parent of its native context; no context, no parent",
    { value: anyValue },
    ({ value }) => {
      const context = { traceId: "a".repeat(32), spanId: "b".repeat(16), native: native.toRemote(value) }
      assert.deepStrictEqual(
        TracePropagation.parentOf(Option.some(context)),
        Option.some({ _tag: "Remote", context: context.native })
      )
      assert.isTrue(Option.isNone(TracePropagation.parentOf(Option.none())))
    }
  )

  it("the three parents are told apart by their tag", () => {
    const span = native.toSpan({})
    const cases: ReadonlyArray<readonly [string, TracePropagation.Parent, string]> = [
      ["a span", TracePropagation.parentSpan(span), "Span"],
      ["an extracted context", TracePropagation.parentRemote(native.toRemote({})), "Remote"],
      ["the root", TracePropagation.ROOT, "Root"]
    ]
    for (const [name, parent, tag] of cases) assert.strictEqual(parent._tag, tag, name)
  })
})
