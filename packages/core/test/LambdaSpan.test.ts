import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as LambdaSpan from "../src/LambdaSpan.ts"

const ARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders:$LATEST/durable-execution/order-42/0f1e2d3c"
const firstEvent = { DurableExecutionArn: ARN, InitialExecutionState: { Operations: [{ Type: "EXECUTION" }] } }
const resumedEvent = {
  DurableExecutionArn: ARN,
  InitialExecutionState: { Operations: [{ Type: "EXECUTION" }, { Type: "STEP" }] }
}
const LAMBDA_CONTEXT = {
  awsRequestId: "req-1",
  invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:Orders:live",
  functionName: "Orders"
}

describe("LambdaSpan.contextOf", () => {
  const throwing = new Proxy(
    {},
    {
      get: () => {
        throw new Error("trap")
      }
    }
  )
  const cases: ReadonlyArray<readonly [string, unknown, LambdaSpan.LambdaContext]> = [
    ["a Lambda context: its string fields", LAMBDA_CONTEXT, LAMBDA_CONTEXT],
    [
      "non-string fields: absent",
      { awsRequestId: 7, invokedFunctionArn: null, functionName: { name: "x" } },
      { awsRequestId: undefined, invokedFunctionArn: undefined, functionName: undefined }
    ],
    [
      "undefined: nothing",
      undefined,
      { awsRequestId: undefined, invokedFunctionArn: undefined, functionName: undefined }
    ],
    [
      "a throwing Proxy: nothing",
      throwing,
      { awsRequestId: undefined, invokedFunctionArn: undefined, functionName: undefined }
    ],
    [
      "inherited fields count (a class instance's getters)",
      Object.create({ functionName: "Inherited" }),
      { awsRequestId: undefined, invokedFunctionArn: undefined, functionName: "Inherited" }
    ]
  ]
  for (const [name, context, expected] of cases) {
    it(name, () => assert.deepStrictEqual(LambdaSpan.contextOf(context), expected, name))
  }
  it.prop("is total: any value gives strings or nothing", { value: Arbitrary.schema(Schema.Unknown) }, ({ value }) => {
    for (const field of Object.values(LambdaSpan.contextOf(value))) {
      assert.isTrue(field === undefined || typeof field === "string")
    }
  })
})

describe("LambdaSpan.deadline", () => {
  const cases: ReadonlyArray<readonly [string, unknown, number | undefined]> = [
    ["a number: now plus it", 2500, 12_500],
    ["zero: now", 0, 10_000],
    ["not a number: none", "2500", undefined],
    ["NaN: none", Number.NaN, undefined],
    ["Infinity: none", Number.POSITIVE_INFINITY, undefined]
  ]
  for (const [name, remaining, expected] of cases) {
    it(name, () => assert.strictEqual(LambdaSpan.deadline(remaining, 10_000), expected, name))
  }
})

describe("LambdaSpan.spanOptions", () => {
  it("tags aws.lambda with the Lambda context, the execution's identity and the read's source", () => {
    const options = LambdaSpan.spanOptions({
      event: firstEvent,
      context: LambdaSpan.contextOf(LAMBDA_CONTEXT),
      coldStart: true,
      source: "checkpoint",
      continued: true
    })
    assert.deepStrictEqual(options, {
      resource: "Orders",
      type: "serverless",
      kind: "server",
      tags: {
        "aws.durable.execution_name": "order-42",
        "aws.durable.execution_id": "0f1e2d3c",
        "aws.durable.first_invocation": true,
        cold_start: true,
        request_id: "req-1",
        function_arn: "arn:aws:lambda:eu-west-1:123456789012:function:orders",
        function_version: "live",
        functionname: "orders",
        resource_names: "Orders",
        "_dd.parent_source": "event",
        "durable_trace.context_source": "checkpoint"
      }
    })
  })

  it("a resumed invocation of an event without a Lambda context: no context tags, not the first invocation", () => {
    const { resource, tags } = LambdaSpan.spanOptions({
      event: resumedEvent,
      context: LambdaSpan.contextOf(undefined),
      coldStart: false,
      source: "none",
      continued: false
    })
    assert.isUndefined(resource)
    assert.strictEqual(tags["aws.durable.first_invocation"], false)
    assert.isUndefined(tags.request_id)
    assert.isUndefined(tags["_dd.parent_source"])
    assert.strictEqual(tags["durable_trace.context_source"], "none")
  })

  it.prop(
    "the identity an adopted outer span gets is exactly what aws.lambda gets",
    { operations: Arbitrary.schema(Schema.Array(Schema.Unknown)), name: Arbitrary.schema(Schema.String) },
    ({ operations, name }) => {
      const event = {
        DurableExecutionArn: `arn:aws:lambda:r:1:function:f/durable-execution/${name}/id`,
        InitialExecutionState: { Operations: operations }
      }
      const own = LambdaSpan.spanOptions({
        event,
        context: LambdaSpan.contextOf({}),
        coldStart: false,
        source: "checkpoint",
        continued: true
      }).tags
      const adopted = LambdaSpan.adoptedTags(event, Option.some("checkpoint"))
      for (const [key, value] of Object.entries(adopted)) assert.strictEqual(own[key], value, key)
    }
  )
})

describe("LambdaSpan.adoptedTags", () => {
  it("names the source only when durable-trace's reader chose the parent", () => {
    assert.strictEqual(
      LambdaSpan.adoptedTags(firstEvent, Option.some("input_payload"))["durable_trace.context_source"],
      "input_payload"
    )
    assert.isUndefined(LambdaSpan.adoptedTags(firstEvent, Option.none())["durable_trace.context_source"])
  })
})
