/**
 * The reader is total (SPEC §3: it never throws and never fails the invocation), and it never continues a
 * context that no valid checkpoint or carrier contained.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as CheckpointLog from "../src/CheckpointLog.ts"
import * as DurableEvent from "../src/DurableEvent.ts"
import * as Headers from "../src/Headers.ts"
import * as Reader from "../src/Reader.ts"
import { ARN, checkpointOp, ddHeaders, durableEvent, executionOp, stepOp, testLayer } from "./fixtures.ts"

const readTotal = (event: unknown): Reader.ReadResult => {
  const program = Effect.gen(function* () {
    const arn = DurableEvent.executionArn(event)
    const log = Option.isSome(arn) ? yield* CheckpointLog.make(event, arn.value) : undefined
    return yield* Reader.read(event, { clientContext: event }, { log })
  }).pipe(Effect.provide(testLayer()))
  const exit = Effect.runSyncExit(program)
  if (Exit.isFailure(exit)) throw new Error(`reader failed: ${String(exit.cause)}`)
  return exit.value
}

const VALID_EVENT = durableEvent([
  executionOp({ orderId: "o-1", _datadog: ddHeaders("31337") }),
  stepOp("reserve"),
  checkpointOp(0, ddHeaders("1000", "1")),
  checkpointOp(1, ddHeaders("1000", "2"))
])

/** Every parent id that appears anywhere in the event: a continued context must be one of them. */
const parentIdsIn = (value: unknown): Set<string> => {
  const found = new Set<string>()
  const text = JSON.stringify(value) ?? ""
  for (const match of text.matchAll(/[0-9a-f]{16}|[0-9]{1,20}/g)) {
    found.add(match[0].length === 16 && /[a-f]/.test(match[0]) ? match[0] : match[0])
    if (/^[0-9]{1,20}$/.test(match[0]) && BigInt(match[0]) < 2n ** 64n) {
      found.add(BigInt(match[0]).toString(16).padStart(16, "0"))
    }
  }
  return found
}

const Mutation = Schema.Struct({
  kind: Schema.Literals(["delete", "duplicate", "replace", "flipChar", "nest", "huge"]),
  at: Schema.Int,
  value: Schema.Json
})

type Mutation = typeof Mutation.Type

/** Applies `mutation` to the `at`-th node (depth-first) of a JSON copy of `root`. */
const mutate = (root: unknown, mutation: Mutation): unknown => {
  const copy = JSON.parse(JSON.stringify(root)) as unknown
  const nodes: Array<{ parent: Record<string, unknown> | Array<unknown>; key: string | number }> = []
  const walk = (value: unknown) => {
    if (typeof value !== "object" || value === null) return
    for (const key of Object.keys(value)) {
      const k = Array.isArray(value) ? Number(key) : key
      nodes.push({ parent: value as Record<string, unknown>, key: k })
      walk((value as Record<string, unknown>)[key])
    }
  }
  walk(copy)
  if (nodes.length === 0) return copy
  const { parent, key } = nodes[Math.abs(mutation.at) % nodes.length]!
  const target = parent as Record<string | number, unknown>
  const current = target[key]
  switch (mutation.kind) {
    case "delete":
      if (Array.isArray(parent)) parent.splice(key as number, 1)
      else delete target[key]
      break
    case "duplicate":
      if (Array.isArray(parent)) parent.splice(key as number, 0, current)
      else target[`${String(key)}_copy`] = current
      break
    case "replace":
      target[key] = mutation.value
      break
    case "flipChar":
      if (typeof current === "string" && current.length > 0) {
        const i = Math.abs(mutation.at) % current.length
        target[key] = current.slice(0, i) + String.fromCharCode(current.charCodeAt(i) ^ 1) + current.slice(i + 1)
      } else if (typeof current === "number") target[key] = -current - 1
      break
    case "nest": {
      let nested: unknown = current
      for (let i = 0; i < 200; i++) nested = i % 2 === 0 ? { _datadog: nested } : [nested]
      target[key] = nested
      break
    }
    case "huge":
      target[key] = typeof current === "string" ? current.repeat(2000).slice(0, 100_000) : "x".repeat(100_000)
      break
  }
  return copy
}

describe("Reader properties", () => {
  it.prop("never fails or throws on arbitrary JSON", [Schema.Json], ([json]) => {
    readTotal(json)
    readTotal({ DurableExecutionArn: ARN, InitialExecutionState: { Operations: [json] } })
    readTotal({ DurableExecutionArn: ARN, InitialExecutionState: json })
  })

  it.prop(
    "never fails on mutations of a valid event, and continues only a context the event carried",
    [Schema.Array(Mutation)],
    ([mutations]) => {
      const event = mutations.reduce<unknown>(mutate, VALID_EVENT)
      const result = readTotal(event)
      if (Option.isSome(result.context)) {
        const headers = Option.getOrThrow(result.headers)
        assert.isTrue(Headers.isValidContext(headers))
        assert.isTrue(parentIdsIn(event).has(result.context.value.spanId), "continued span id not in the event")
      }
    }
  )

  it("the unmutated event continues its latest checkpoint", () => {
    const result = readTotal(VALID_EVENT)
    assert.strictEqual(result.source, "checkpoint")
    assert.strictEqual(Option.getOrThrow(result.checkpoint).n, 1)
  })
})
