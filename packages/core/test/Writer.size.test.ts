/**
 * A checkpoint the writer sends is one every reader accepts (SPEC §4.6), its size limit included, also once
 * durabletrace's member carries the invocation number (SPEC §11): the member is what gives way.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as CheckpointLog from "../src/CheckpointLog.ts"
import * as DurableMember from "../src/DurableMember.ts"
import { DurableTraceError } from "../src/Errors.ts"
import * as Headers from "../src/Headers.ts"
import { TracePropagation, testSpan } from "../src/TracePropagation.ts"
import * as Writer from "../src/Writer.ts"
import { ARN, ddHeaders, durableEvent, executionOp, int } from "./fixtures.ts"

const propagation = Effect.runSync(Effect.service(TracePropagation).pipe(Effect.provide(TracePropagation.layerTest())))

// The fixture's context with vendor members of `pad` characters in all (each short enough to be kept): from small
// up to past the size limit.
const injected = (pad: number): Headers.Headers => {
  const base = ddHeaders("3000", "1")
  const members = [base.tracestate]
  for (let i = 0, left = pad; left > 0; i++, left -= 100) members.push(`v${i}=${"a".repeat(Math.min(left, 100))}`)
  return { ...base, tracestate: members.join(",") }
}

const firstSave = (headers: Headers.Headers, invocation: number) =>
  Writer.prepareSettled(
    { log: CheckpointLog.settled(durableEvent([executionOp()]), ARN)!, executeSpan: testSpan(headers), invocation },
    propagation
  )

// The payload as a reader that never saw it parses it: from its JSON, no memo.
const readBack = (prepared: Writer.PreparedCheckpoint) =>
  Headers.parseCarrier(JSON.parse(prepared.update.Payload as string) as unknown)

describe("Writer: the checkpoint's size (SPEC §4.6, §11)", () => {
  it.prop(
    "every checkpoint written reads back, and carries the number whenever the number fits",
    { pad: int(0, 720), invocation: int(1, 999_999) },
    ({ pad, invocation }) => {
      const headers = injected(pad)
      // Only contexts the reader accepts are injected: a tracer never produces more than the payload limit.
      if (Option.isNone(Headers.fromCarrier(headers))) return
      const prepared = firstSave(headers, invocation)
      assert.isFalse(prepared === undefined || prepared instanceof DurableTraceError || "_tag" in prepared)
      const checkpoint = prepared as Writer.PreparedCheckpoint
      const read = readBack(checkpoint)
      assert.isTrue(Result.isSuccess(read), `rejected: ${Result.isFailure(read) ? read.failure : ""}`)
      const fits = Option.isSome(Headers.fromCarrier(DurableMember.withInvocation(headers, Option.some(invocation))))
      assert.deepStrictEqual(
        DurableMember.invocationOf(checkpoint.payload),
        fits ? Option.some(invocation) : Option.none()
      )
    }
  )

  it("gives up the number, not the checkpoint, at the limit", () => {
    let pad = 0
    while (Option.isSome(Headers.fromCarrier(DurableMember.withInvocation(injected(pad + 1), Option.some(7))))) pad++
    // One more character and the number no longer fits, though the context alone does.
    const tight = injected(pad + 1)
    assert.isTrue(Option.isSome(Headers.fromCarrier(tight)))
    const prepared = firstSave(tight, 7) as Writer.PreparedCheckpoint
    assert.isTrue(Result.isSuccess(readBack(prepared)))
    assert.deepStrictEqual(DurableMember.invocationOf(prepared.payload), Option.none())
    const roomy = firstSave(injected(pad), 7) as Writer.PreparedCheckpoint
    assert.deepStrictEqual(DurableMember.invocationOf(roomy.payload), Option.some(7))
  })
})
