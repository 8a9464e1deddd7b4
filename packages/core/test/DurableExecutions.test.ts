/**
 * The paging policy of the live-inspect port (bounded pages, a repeating marker refused, a limit) and the ARN
 * parsers that make a malformed ARN a usage error.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as DurableExecutions from "../src/DurableExecutions.ts"

const CONTEXT = { action: DurableExecutions.ACTIONS.history, resource: "arn" }

/** Pages of `size` items over 0..total-1, marked by the next index; records the markers asked for. */
const pages = (total: number, size: number) => {
  const asked: Array<string | undefined> = []
  const fetch = (marker: Option.Option<string>) =>
    Effect.sync(() => {
      asked.push(Option.getOrUndefined(marker))
      const from = Option.match(marker, { onNone: () => 0, onSome: Number })
      const items = Array.from({ length: Math.max(0, Math.min(size, total - from)) }, (_, i) => from + i)
      return { items, nextMarker: from + size < total ? Option.some(String(from + size)) : Option.none() }
    })
  return { fetch, asked }
}

describe("DurableExecutions.allPages", () => {
  it.effect("reads every page in order", () =>
    Effect.gen(function* () {
      const { fetch, asked } = pages(10, 3)
      const items = yield* DurableExecutions.allPages(fetch, CONTEXT)
      assert.deepStrictEqual(items, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      assert.deepStrictEqual(asked, [undefined, "3", "6", "9"])
    })
  )

  it.effect("stops at the limit without asking for more pages", () =>
    Effect.gen(function* () {
      const { fetch, asked } = pages(10, 3)
      assert.deepStrictEqual(yield* DurableExecutions.allPages(fetch, CONTEXT, { limit: 4 }), [0, 1, 2, 3])
      assert.deepStrictEqual(asked, [undefined, "3"])
    })
  )

  it.effect("a marker that repeats fails with repeating_marker after two requests", () =>
    Effect.gen(function* () {
      let requests = 0
      const fetch = () => Effect.sync(() => ({ items: [requests++], nextMarker: Option.some("again") }))
      const result = yield* Effect.result(DurableExecutions.allPages(fetch, CONTEXT))
      assert.isTrue(Result.isFailure(result))
      if (Result.isFailure(result)) assert.strictEqual(result.failure.reason, "repeating_marker")
      assert.strictEqual(requests, 2)
    })
  )

  it.effect("fresh markers forever stop at maxPages with too_many_pages", () =>
    Effect.gen(function* () {
      let requests = 0
      const fetch = () => Effect.sync(() => ({ items: [], nextMarker: Option.some(`m${requests++}`) }))
      const result = yield* Effect.result(DurableExecutions.allPages(fetch, CONTEXT, { maxPages: 5 }))
      assert.isTrue(Result.isFailure(result) && result.failure.reason === "too_many_pages")
      assert.strictEqual(requests, 5)
    })
  )
})

describe("DurableExecutions errors", () => {
  it("access denied names the IAM action", () => {
    const error = new DurableExecutions.DurableExecutionsError({
      ...CONTEXT,
      reason: "access_denied",
      detail: "AccessDeniedException: no"
    })
    assert.include(error.message, "lambda:GetDurableExecutionHistory")
  })
})

describe("DurableExecutions.parseExecutionArn", () => {
  const valid = "arn:aws:lambda:eu-west-1:123456789012:function:orders:$LATEST/durable-execution/order-1/3f1c9a"
  it("parses the region, function and execution", () => {
    assert.deepStrictEqual(
      DurableExecutions.parseExecutionArn(valid),
      Option.some({
        region: "eu-west-1",
        account: "123456789012",
        functionName: "orders",
        qualifier: "$LATEST",
        execution: "order-1",
        id: "3f1c9a"
      })
    )
  })
  const invalid: ReadonlyArray<readonly [string, string]> = [
    ["functionArnOnly", "arn:aws:lambda:eu-west-1:123456789012:function:orders"],
    ["notLambda", "arn:aws:states:eu-west-1:123456789012:execution:orders:1"],
    ["shortAccount", "arn:aws:lambda:eu-west-1:1234:function:orders/durable-execution/a/b"],
    ["missingId", "arn:aws:lambda:eu-west-1:123456789012:function:orders/durable-execution/a"],
    ["uuidOnly", "81a5c070-451a-4104-a76d-acbc7ac6995d"],
    ["empty", ""]
  ]
  for (const [name, arn] of invalid) {
    it(`rejects ${name}`, () => assert.isTrue(Option.isNone(DurableExecutions.parseExecutionArn(arn)), name))
  }
})

describe("DurableExecutions.parseFunction", () => {
  it("a name, a qualified name, an ARN (with its region)", () => {
    assert.deepStrictEqual(
      DurableExecutions.parseFunction("orders"),
      Option.some({ functionName: "orders", region: undefined })
    )
    assert.isTrue(Option.isSome(DurableExecutions.parseFunction("orders:live")))
    assert.deepStrictEqual(
      DurableExecutions.parseFunction("arn:aws:lambda:eu-west-1:123456789012:function:orders"),
      Option.some({ functionName: "arn:aws:lambda:eu-west-1:123456789012:function:orders", region: "eu-west-1" })
    )
  })
  it("rejects what is neither", () => {
    for (const name of ["", "no/such", "a b", "arn:aws:lambda:eu-west-1:123456789012:layer:x"]) {
      assert.isTrue(Option.isNone(DurableExecutions.parseFunction(name)), name)
    }
  })
})
