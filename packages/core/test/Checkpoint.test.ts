import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { blake2bHex } from "../src/Blake2b.ts"
import * as Checkpoint from "../src/Checkpoint.ts"
import { md5Hex } from "../src/Md5.ts"
import { ARN, checkpointOp, ddHeaders, ddJsPayload, EXECUTE_SPAN_ID, executionOp, stepOp } from "./fixtures.ts"

describe("Checkpoint names (SPEC §2)", () => {
  const valid: ReadonlyArray<readonly [string, number]> = [
    ["_datadog_0", 0],
    ["_datadog_7", 7],
    ["_datadog_12", 12],
    ["_datadog_9007199254740991", Number.MAX_SAFE_INTEGER]
  ]
  for (const [name, n] of valid) {
    it(`accepts ${name}`, () => assert.deepStrictEqual(Checkpoint.parseCheckpointName(name), Option.some(n), name))
  }
  const invalid: ReadonlyArray<readonly [string, unknown]> = [
    ["leadingZero", "_datadog_01"],
    ["plusSign", "_datadog_+3"],
    ["minusSign", "_datadog_-1"],
    ["space", "_datadog_ 3"],
    ["exponent", "_datadog_1e3"],
    ["underscoreSuffix", "_datadog_3_0"],
    ["aboveMaxSafeInteger", "_datadog_9007199254740992"],
    ["twentyDigits", "_datadog_10000000000000000000"],
    ["empty", "_datadog_"],
    ["hex", "_datadog_0x1"],
    ["decimalPoint", "_datadog_1.0"],
    ["fullwidthDigit", "_datadog_３"],
    ["arabicIndicDigit", "_datadog_٣"],
    ["trailingNewline", "_datadog_3\n"],
    ["otherPrefix", "_dd_3"],
    ["uppercasePrefix", "_DATADOG_3"],
    ["notAString", 3],
    ["null", null]
  ]
  for (const [label, name] of invalid) {
    it(`rejects ${label}`, () => assert.isTrue(Option.isNone(Checkpoint.parseCheckpointName(name)), label))
  }
  it("formats what it parses", () => {
    for (const n of [0, 1, 42, Number.MAX_SAFE_INTEGER]) {
      assert.deepStrictEqual(Checkpoint.parseCheckpointName(Checkpoint.checkpointName(n)), Option.some(n))
    }
  })
})

describe("Checkpoint operation ids", () => {
  // Computed with Python's hashlib.blake2b(digest_size=16), as Datadog's Python writer does.
  const vectors: ReadonlyArray<readonly [string, string, string]> = [
    ["empty", "", "cae66941d9efbd404e4d88758ea67670"],
    ["abc", "abc", "cf4ab791c62b8d2b2109c90275287816"],
    ["short arn", "_datadog_12:arn:x", "523aac09670a1a17a3b76a3d8fcffa3f"],
    ["exactly one block", "y".repeat(128), "ecaaf4a7e55c8dacadb2769cf8264a31"],
    ["one block and a byte", "y".repeat(129), "1387a72eb29ba78bf6693c16ba54611b"],
    ["multi-byte UTF-8", `é€😀:${"x".repeat(300)}`, "4939aea1e572d55cea53d4682bec8c99"]
  ]
  for (const [label, input, expected] of vectors) {
    it(`blake2b-128 ${label}`, () => assert.strictEqual(blake2bHex(input, 16), expected, label))
  }
  it("is deterministic, 32 lowercase hex, distinct per name and execution", () => {
    const a = Checkpoint.checkpointOperationId("_datadog_0", ARN)
    assert.strictEqual(a, Checkpoint.checkpointOperationId("_datadog_0", ARN))
    assert.match(a, /^[0-9a-f]{32}$/)
    assert.notStrictEqual(a, Checkpoint.checkpointOperationId("_datadog_1", ARN))
    assert.notStrictEqual(a, Checkpoint.checkpointOperationId("_datadog_0", `${ARN}x`))
    assert.strictEqual(a, blake2bHex(`_datadog_0:${ARN}`, 16))
  })
})

describe("Checkpoint ids of the known writers (SPEC §2)", () => {
  const context = JSON.stringify(ddHeaders("1000"))
  // dd-trace-js's on-wire ids, computed with node:crypto: md5(blake2b512("{name}:{arn}") hex[0..64]) hex[0..16].
  const ddTraceJs: ReadonlyArray<readonly [number, string]> = [
    [0, "ae4155524443dff7"],
    [1, "654042bbac430671"],
    [7, "621cd56407f2ae69"]
  ]
  for (const [n, id] of ddTraceJs) {
    it(`computes dd-trace-js's id of _datadog_${n}`, () => {
      assert.strictEqual(Checkpoint.ddTraceJsOperationId(`_datadog_${n}`, ARN), id)
    })
  }
  const accepted: ReadonlyArray<readonly [string, string]> = [
    ["durable-trace and dd-trace-py: blake2b-128 of name:arn", Checkpoint.checkpointOperationId("_datadog_7", ARN)],
    ["dd-trace-js through the SDK: md5 of its blake2b-512 step id", "621cd56407f2ae69"]
  ]
  for (const [label, id] of accepted) {
    it(`accepts ${label}`, () => {
      const scan = Checkpoint.scan([executionOp(), stepOp("_datadog_7", context, id)], ARN)
      assert.strictEqual(Option.getOrThrow(scan.latest).n, 7, label)
    })
  }
  const foreign: ReadonlyArray<readonly [string, unknown]> = [
    ["the SDK's id of a user's step", "c4ca4238a0b92382"],
    ["another execution's id", Checkpoint.checkpointOperationId("_datadog_7", `${ARN}x`)],
    ["another N's id", Checkpoint.checkpointOperationId("_datadog_6", ARN)],
    ["dd-trace-js's id of another N", "ae4155524443dff7"],
    ["uppercase hex", Checkpoint.checkpointOperationId("_datadog_7", ARN).toUpperCase()],
    ["no id", undefined],
    ["a number", 7]
  ]
  for (const [label, id] of foreign) {
    it(`rejects a trace context under ${label}`, () => {
      const operation = { ...stepOp("_datadog_7", context), Id: id }
      const scan = Checkpoint.scan([executionOp(), operation], ARN)
      assert.isTrue(Option.isNone(scan.latest), label)
      assert.strictEqual(scan.highestN, 7, "still numbered above")
      assert.deepStrictEqual(
        scan.rejected.map((r) => r.reason),
        ["not a checkpoint id"],
        label
      )
    })
  }
})

describe("findLastCheckpoint (SPEC §3.3a)", () => {
  const anchor = "1000"
  it("takes the highest valid N, whatever the order of operations", () => {
    const scan = Checkpoint.scan(
      [
        executionOp(),
        checkpointOp(1, ddHeaders(anchor, "2")),
        stepOp("charge"),
        checkpointOp(0, ddHeaders(anchor, "1"))
      ],
      ARN
    )
    assert.strictEqual(Option.getOrThrow(scan.latest).n, 1)
    assert.strictEqual(Option.getOrThrow(scan.latest).headers["x-datadog-sampling-priority"], "2")
    assert.strictEqual(scan.highestN, 1)
    assert.deepStrictEqual(scan.rejected, [])
  })
  it("skips a corrupt latest for an older valid one and reports it", () => {
    const scan = Checkpoint.scan(
      [
        executionOp(),
        checkpointOp(0, ddHeaders(anchor)),
        checkpointOp(2, "{not json"),
        checkpointOp(1, { "x-datadog-trace-id": "123" })
      ],
      ARN
    )
    assert.strictEqual(Option.getOrThrow(scan.latest).n, 0)
    assert.strictEqual(scan.highestN, 2)
    assert.deepStrictEqual(
      scan.rejected.map((r) => [r.n, r.reason]),
      [
        [2, "no propagation headers"],
        [1, "no parent id"]
      ]
    )
  })
  it("accepts Datadog's JS writer payloads (no sampling priority) and op.Payload", () => {
    const fromResult = Checkpoint.scan([checkpointOp(0, ddJsPayload(EXECUTE_SPAN_ID))], ARN)
    assert.isTrue(Option.isSome(fromResult.latest))
    const { StepDetails: _, ...withoutDetails } = checkpointOp(0, "")
    const fromPayload = Checkpoint.scan(
      [{ ...withoutDetails, Payload: JSON.stringify(ddJsPayload(EXECUTE_SPAN_ID)) }],
      ARN
    )
    assert.isTrue(Option.isSome(fromPayload.latest))
  })
  it("accepts an already-parsed StepDetails.Result object", () => {
    const op = { ...checkpointOp(0, ""), StepDetails: { Attempt: 1, Result: ddHeaders(anchor) } }
    assert.strictEqual(Option.getOrThrow(Checkpoint.scan([op], ARN).latest).headers["x-datadog-parent-id"], anchor)
  })
  it("ignores non-canonical names and counts them nowhere", () => {
    const scan = Checkpoint.scan(
      [checkpointOp(0, ddHeaders(anchor)), stepOp("_datadog_01", JSON.stringify(ddHeaders("5")))],
      ARN
    )
    assert.strictEqual(scan.highestN, 0)
    assert.strictEqual(Option.getOrThrow(scan.latest).headers["x-datadog-parent-id"], anchor)
  })
  it("rejects a user step named _datadog_3 with a non-header result", () => {
    const scan = Checkpoint.scan([stepOp("_datadog_3", JSON.stringify({ total: 42 }))], ARN)
    assert.isTrue(Option.isNone(scan.latest))
    assert.strictEqual(scan.highestN, 3)
    assert.deepStrictEqual(
      scan.rejected.map((r) => r.reason),
      ["not a checkpoint id"]
    )
  })
  it("rejects a payload with propagation keys but no trace id", () => {
    const scan = Checkpoint.scan(
      [checkpointOp(0, { "x-datadog-sampling-priority": "1", "x-datadog-origin": "lambda" })],
      ARN
    )
    assert.deepStrictEqual(
      scan.rejected.map((r) => r.reason),
      ["no trace context"]
    )
  })
  it("is empty without checkpoints", () => {
    const scan = Checkpoint.scan([executionOp(), stepOp("a"), null, 7, "x", { Name: 3 }], ARN)
    assert.deepStrictEqual(scan, { latest: Option.none(), highestN: -1, rejected: [] })
  })
})

describe("Checkpoint id laws (SPEC §3.3a)", () => {
  const n = Arbitrary.schema(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 1_000_000 })))
  const arn = Arbitrary.schema(Schema.String)
  it.prop("both known writers' ids of a name are accepted, for any execution", { n, arn }, ({ n, arn }) => {
    const name = Checkpoint.checkpointName(n)
    assert.isTrue(Checkpoint.isCheckpointId(Checkpoint.checkpointOperationId(name, arn), name, arn))
    assert.isTrue(Checkpoint.isCheckpointId(Checkpoint.ddTraceJsOperationId(name, arn), name, arn))
  })
  it.prop("no id of another name, nor the SDK's id of a step counter, is", { n, arn, k: n }, ({ n, arn, k }) => {
    const name = Checkpoint.checkpointName(n)
    const other = Checkpoint.checkpointName(n + 1)
    assert.isFalse(Checkpoint.isCheckpointId(Checkpoint.checkpointOperationId(other, arn), name, arn))
    assert.isFalse(Checkpoint.isCheckpointId(Checkpoint.ddTraceJsOperationId(other, arn), name, arn))
    assert.isFalse(Checkpoint.isCheckpointId(md5Hex(String(k)).slice(0, 16), name, arn))
  })
  it.prop("writerOf names the writer of exactly the ids isCheckpointId accepts", { n, arn, k: n }, ({ n, arn, k }) => {
    const name = Checkpoint.checkpointName(n)
    assert.deepStrictEqual(
      Checkpoint.writerOf(Checkpoint.checkpointOperationId(name, arn), name, arn),
      Option.some("durable-trace")
    )
    assert.deepStrictEqual(
      Checkpoint.writerOf(Checkpoint.ddTraceJsOperationId(name, arn), name, arn),
      Option.some("dd-trace-js")
    )
    for (const id of [md5Hex(String(k)).slice(0, 16), Checkpoint.checkpointOperationId(name, `${arn}x`), undefined]) {
      assert.deepStrictEqual(Checkpoint.writerOf(id, name, arn), Option.none())
    }
  })
})
