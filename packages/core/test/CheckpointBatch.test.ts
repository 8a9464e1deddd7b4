import { assert, describe, it } from "@effect/vitest"
import * as CheckpointBatch from "../src/CheckpointBatch.ts"
import type { CheckpointUpdate } from "../src/CheckpointStore.ts"

const OURS: CheckpointUpdate = {
  Id: "0123456789abcdef0123456789abcdef",
  Type: "STEP",
  SubType: "Step",
  Action: "SUCCEED",
  Name: "_datadog_0",
  Payload: "{}"
}
const STEP = { Id: "c4ca4238a0b92382", Type: "STEP", Action: "START", Name: "charge" }

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name })

describe("CheckpointBatch.canJoin (SPEC §4.1)", () => {
  const joins: ReadonlyArray<readonly [string, unknown, unknown]> = [
    ["the SDK's usual first batch", [STEP], "token"],
    ["an empty batch", [], "token"],
    ["no Updates at all", undefined, "token"],
    ["one below the update limit", Array.from({ length: 249 }, (_, i) => ({ ...STEP, Id: `${i}` })), "token"]
  ]
  for (const [label, updates, token] of joins) {
    it(`joins ${label}`, () => assert.isTrue(CheckpointBatch.canJoin(updates, token, OURS), label))
  }
  const big = "x".repeat(CheckpointBatch.MAX_REQUEST_BYTES)
  const bigint = { ...STEP, Payload: 1n }
  const leaves: ReadonlyArray<readonly [string, unknown, unknown]> = [
    ["a batch with an EXECUTION update (it must be the last, and ends the execution)", [{ Type: "EXECUTION" }], "t"],
    ["a batch already holding our id", [STEP, { ...OURS }], "t"],
    ["a full batch", Array.from({ length: 250 }, (_, i) => ({ ...STEP, Id: `${i}` })), "t"],
    ["a batch at the byte limit", [{ ...STEP, Payload: big }], "t"],
    ["a number token", [STEP], 12345],
    ["an object token", [STEP], { token: "t" }],
    ["a BigInt token", [STEP], 7n],
    ["updates that do not serialise", [bigint], "t"],
    ["updates that are not a list", { 0: STEP }, "t"]
  ]
  for (const [label, updates, token] of leaves) {
    it(`leaves alone ${label}`, () => assert.isFalse(CheckpointBatch.canJoin(updates, token, OURS), label))
  }
})

describe("CheckpointBatch.isRejectionOf", () => {
  const ours: ReadonlyArray<readonly [string, unknown]> = [
    ["a validation error naming our id", awsError("InvalidParameterValueException", `Operation ${OURS.Id} exists`)],
    ["a validation error naming our checkpoint", awsError("InvalidParameterValueException", "bad _datadog_0")]
  ]
  for (const [label, error] of ours) {
    it(`ours: ${label}`, () => assert.isTrue(CheckpointBatch.isRejectionOf(error, OURS), label))
  }
  const theirs: ReadonlyArray<readonly [string, unknown]> = [
    ["a validation error about something else", awsError("InvalidParameterValueException", "Invalid STEP action.")],
    ["an invalid token", awsError("InvalidParameterValueException", "Invalid Checkpoint Token")],
    ["a 500", awsError("ServiceException", `internal error ${OURS.Id}`)],
    ["throttling", awsError("TooManyRequestsException", "Rate exceeded")],
    ["a timeout", awsError("TimeoutError", "socket timed out")],
    ["a string", "InvalidParameterValueException _datadog_0"],
    [
      "an error whose getters throw",
      Object.defineProperty({}, "name", {
        get: () => {
          throw new Error("hostile")
        }
      })
    ]
  ]
  for (const [label, error] of theirs) {
    it(`the SDK's own: ${label}`, () => assert.isFalse(CheckpointBatch.isRejectionOf(error, OURS), label))
  }
})
