/**
 * The invocation number (SPEC §11): 1 for the invocation that starts the execution, else the latest checkpoint's
 * number plus one, unknown when that checkpoint carries none.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Checkpoint from "../src/Checkpoint.ts"
import * as DurableMember from "../src/DurableMember.ts"
import * as Headers from "../src/Headers.ts"
import * as InvocationNumber from "../src/InvocationNumber.ts"
import { ddHeaders, ddJsPayload, EXECUTE_SPAN_ID } from "./fixtures.ts"

const ANCHOR = ddHeaders(EXECUTE_SPAN_ID)
const numbered = (n: number) => DurableMember.withInvocation(ANCHOR, Option.some(n))
const bool = Arbitrary.schema(Schema.Boolean)
const resumes = Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 200 })))

describe("InvocationNumber", () => {
  it("counts from the checkpoint", () => {
    const cases: ReadonlyArray<[string, Parameters<typeof InvocationNumber.current>[0], Option.Option<number>]> = [
      ["the first invocation is 1", { first: true, prior: Option.none() }, Option.some(1)],
      [
        "the first invocation is 1 whatever it is given",
        { first: true, prior: Option.some(numbered(9)) },
        Option.some(1)
      ],
      ["the checkpoint's number plus one", { first: false, prior: Option.some(numbered(3)) }, Option.some(4)],
      ["a Datadog checkpoint carries no number", { first: false, prior: Option.some(ANCHOR) }, Option.none()],
      ["Datadog headers alone carry no number", { first: false, prior: Option.some(ddJsPayload("7")) }, Option.none()],
      ["a resume with no checkpoint", { first: false, prior: Option.none() }, Option.none()],
      [
        "a rejected checkpoint above the prior: unknown, not counted from the older one",
        { first: false, prior: Option.some(numbered(3)), shadowed: true },
        Option.none()
      ],
      [
        "the largest number has no successor",
        { first: false, prior: Option.some(numbered(999_999_999_999_999)) },
        Option.none()
      ]
    ]
    for (const [name, input, expected] of cases) assert.deepStrictEqual(InvocationNumber.current(input), expected, name)
  })

  it("reads a scan of the whole state: its latest valid checkpoint, unless a higher N was rejected", () => {
    const checkpoint = { n: 4, name: "_datadog_4", operationId: undefined, headers: numbered(5) }
    const scan = (...reasons: ReadonlyArray<Checkpoint.RejectionReason>): Checkpoint.CheckpointScan => ({
      latest: Option.some(checkpoint),
      highestN: 4 + reasons.length,
      rejected: reasons.map((reason, i) => ({ n: 4 + reasons.length - i, operationId: undefined, reason }))
    })
    assert.deepStrictEqual(InvocationNumber.ofScan(false, scan()), Option.some(6))
    // A user's step named like a checkpoint was no invocation's; a checkpoint no reader continues may have been.
    assert.deepStrictEqual(InvocationNumber.ofScan(false, scan("not a checkpoint id")), Option.some(6))
    assert.deepStrictEqual(
      InvocationNumber.ofScan(false, scan("not a checkpoint id", "no trace context")),
      Option.none()
    )
    assert.deepStrictEqual(InvocationNumber.ofScan(true, scan("no parent id")), Option.some(1))
    assert.deepStrictEqual(InvocationNumber.ofScan(false, undefined), Option.none())
    assert.deepStrictEqual(InvocationNumber.ofScan(true, undefined), Option.some(1))
  })

  it("tags only a known number", () => {
    assert.deepStrictEqual(InvocationNumber.numberTags(3), { "aws.durable.invocation_number": 3 })
    assert.deepStrictEqual(InvocationNumber.numberTags(undefined), {})
  })

  it.prop(
    "an execution of k invocations, each writing its number, ends at k",
    { k: resumes, anchored: bool },
    ({ k, anchored }) => {
      // Each invocation's save is its execute span's context with its number, anchored to the first one.
      let number = InvocationNumber.current({ first: true, prior: Option.none() })
      let checkpoint = DurableMember.withInvocation(ANCHOR, number)
      for (let i = 0; i < k; i++) {
        number = InvocationNumber.current({ first: false, prior: Option.some(checkpoint) })
        const injected = anchored ? Headers.anchor(checkpoint, "00000000000000cd") : checkpoint
        checkpoint = DurableMember.withInvocation(injected, number)
      }
      assert.deepStrictEqual(number, Option.some(k + 1))
    }
  )

  it.prop("unknown stays unknown: a checkpoint written with no number gives none", { k: resumes }, ({ k }) => {
    let checkpoint = DurableMember.withInvocation(numbered(k + 1), Option.none())
    const number = InvocationNumber.current({ first: false, prior: Option.some(checkpoint) })
    checkpoint = DurableMember.withInvocation(checkpoint, number)
    assert.deepStrictEqual(InvocationNumber.current({ first: false, prior: Option.some(checkpoint) }), Option.none())
  })
})
