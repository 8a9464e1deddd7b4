/** The attribute table (SPEC §5.1): one meaning, a Datadog tag and an OpenTelemetry name each. */
import { assert, describe, it } from "@effect/vitest"
import * as SemanticAttributes from "../src/SemanticAttributes.ts"
import * as SpanRules from "../src/SpanRules.ts"

describe("SemanticAttributes", () => {
  it("adds the OpenTelemetry names of an invocation span, with the cloud constants", () => {
    const attributes = SemanticAttributes.toOpenTelemetry(SpanRules.LAMBDA_SPAN, {
      request_id: "req-1",
      cold_start: "true",
      functionname: "orders",
      function_arn: "arn:aws:lambda:us-east-1:123456789012:function:orders",
      other: 1
    })
    assert.deepStrictEqual(attributes, {
      request_id: "req-1",
      cold_start: "true",
      functionname: "orders",
      function_arn: "arn:aws:lambda:us-east-1:123456789012:function:orders",
      other: 1,
      "faas.invocation_id": "req-1",
      "faas.coldstart": true,
      "faas.name": "orders",
      "cloud.resource_id": "arn:aws:lambda:us-east-1:123456789012:function:orders",
      "cloud.provider": "aws",
      "cloud.platform": "aws_lambda"
    })
  })

  it("adds AWS's plugin names to an operation span, and no cloud constants", () => {
    const tags = { ...SpanRules.operationTags({ type: "STEP", subType: "Step", name: "charge" }, "ab12", undefined) }
    const attributes = SemanticAttributes.toOpenTelemetry("aws.durable.step", {
      ...(tags as Record<string, string | boolean>),
      "aws.durable.operation_attempt": 1
    })
    assert.strictEqual(attributes["durable.operation.name"], "charge")
    assert.strictEqual(attributes["durable.operation.id"], "ab12")
    assert.strictEqual(attributes["durable.operation.type"], "STEP")
    assert.strictEqual(attributes["durable.operation.subtype"], "Step")
    assert.strictEqual(attributes["durable.operation.attempt"], 2, "Datadog's second attempt (1) is the SDK's 2")
    assert.isUndefined(attributes["cloud.provider"])
  })

  it("names the invocation number and the count as OpenTelemetry attributes", () => {
    const lambda = SemanticAttributes.toOpenTelemetry(SpanRules.LAMBDA_SPAN, { "aws.durable.invocation_number": 3 })
    assert.strictEqual(lambda["durable.invocation.number"], 3)
    const execution = SemanticAttributes.toOpenTelemetry("aws.durable.execution", { "aws.durable.invocation_count": 4 })
    assert.strictEqual(execution["durable.execution.invocation_count"], 4)
    assert.isUndefined(execution["cloud.provider"])
  })

  it("names every attribute uniquely in both conventions", () => {
    const all = Object.values(SemanticAttributes.ATTRIBUTES)
    assert.strictEqual(new Set(all.map((a) => a.datadog)).size, all.length)
    assert.strictEqual(new Set(all.map((a) => a.openTelemetry)).size, all.length)
  })
})
