/**
 * The span rules (SPEC §5), as vector tables: names, resources, the replay and error flags, the attempt number and
 * the `aws.lambda` function tags, each against what Datadog's integration does (see the README's parity table).
 */
import { assert, describe, it } from "@effect/vitest"
import * as SpanRules from "../src/SpanRules.ts"

const step = (name?: string) => ({ type: "STEP", subType: "Step", name })
const MAP = { spanName: "aws.durable.map", subType: "Map" }
const PARALLEL = { spanName: "aws.durable.parallel", subType: "Parallel" }
const MAP_ITEM = { spanName: "aws.durable.child_context", subType: "MapIteration" }
const BRANCH = { spanName: "aws.durable.child_context", subType: "ParallelBranch" }
const CHILD = { spanName: "aws.durable.child_context", subType: "RunInChildContext" }
const EXECUTE = { spanName: SpanRules.EXECUTE_SPAN }

describe("SpanRules", () => {
  it("names every operation subtype, and an unknown one after its type", () => {
    const cases: ReadonlyArray<[string, SpanRules.Operation, string]> = [
      ["step", step("a"), "aws.durable.step"],
      ["wait", { type: "WAIT", subType: "Wait" }, "aws.durable.wait"],
      ["waitForCallback", { type: "CONTEXT", subType: "WaitForCallback" }, "aws.durable.wait_for_callback"],
      ["createCallback", { type: "CALLBACK", subType: "Callback" }, "aws.durable.create_callback"],
      ["map item", { type: "CONTEXT", subType: "MapIteration" }, "aws.durable.child_context"],
      ["invoke", { type: "CHAINED_INVOKE", subType: "ChainedInvoke" }, "aws.durable.invoke"],
      ["unknown subtype", { type: "NEW_THING", subType: "NewThing" }, "aws.durable.new_thing"],
      ["prototype key as subtype", { type: "STEP", subType: "constructor" }, "aws.durable.step"]
    ]
    for (const [name, operation, expected] of cases) assert.strictEqual(SpanRules.spanName(operation), expected, name)
  })

  it("keeps resources low-cardinality under maps and parallels, as Datadog does", () => {
    const cases: ReadonlyArray<[string, SpanRules.Operation, SpanRules.Parent | undefined, string]> = [
      ["a top-level step: its name", step("reserve"), EXECUTE, "reserve"],
      ["a step in a named child context: its name", step("inner"), CHILD, "inner"],
      ["a map item's step: the span name", step("double-7"), MAP_ITEM, "aws.durable.step"],
      ["a branch's step: the span name", step("left"), BRANCH, "aws.durable.step"],
      ["a step directly under a map: the span name", step("x"), MAP, "aws.durable.step"],
      [
        "a map item: the span name",
        { type: "CONTEXT", subType: "MapIteration", name: "map-item-3" },
        MAP,
        "aws.durable.child_context"
      ],
      [
        "a branch: the span name",
        { type: "CONTEXT", subType: "ParallelBranch", name: "b" },
        PARALLEL,
        "aws.durable.child_context"
      ],
      ["an unnamed step: its subtype", step(), EXECUTE, "Step"],
      ["no parent known: its name", step("charge"), undefined, "charge"]
    ]
    for (const [name, operation, parent, expected] of cases) {
      assert.strictEqual(SpanRules.resource(operation, parent), expected, name)
    }
  })

  it("flags replayed only the operations that had ended before the invocation started", () => {
    const cases: ReadonlyArray<[string, string | undefined, boolean]> = [
      ["new in this invocation", undefined, false],
      ["a retry attempt (the step is pending a retry)", "PENDING", false],
      ["ready to retry", "READY", false],
      ["a resumed child context or a running wait", "STARTED", false],
      ["completed before", "SUCCEEDED", true],
      ["failed before", "FAILED", true],
      ["timed out before", "TIMED_OUT", true],
      ["stopped before", "STOPPED", true],
      ["cancelled before", "CANCELLED", true]
    ]
    for (const [name, status, expected] of cases) assert.strictEqual(SpanRules.replayed(status), expected, name)
  })

  it("ends a failed attempt's span with the attempt only when the SDK retries it", () => {
    const cases: ReadonlyArray<[string, string, string | undefined, boolean]> = [
      ["failed, retry scheduled", "FAILED", "PENDING", true],
      ["failed, retry ready", "FAILED", "READY", true],
      ["failed, status unknown", "FAILED", undefined, true],
      ["failed for good: ends with the operation", "FAILED", "FAILED", false],
      ["succeeded: ends with the operation", "SUCCEEDED", "SUCCEEDED", false]
    ]
    for (const [name, outcome, status, expected] of cases) {
      assert.strictEqual(SpanRules.endsWithAttempt(outcome, status), expected, name)
    }
  })

  it("counts attempts from 0, never below", () => {
    for (let n = 1; n <= 100; n++) assert.strictEqual(SpanRules.operationAttempt(n), n - 1)
    assert.strictEqual(SpanRules.operationAttempt(0), 0)
    assert.strictEqual(SpanRules.operationAttempt(Number.NaN), 0)
  })

  it("tags operation and execute spans with Datadog's component", () => {
    assert.deepStrictEqual(SpanRules.operationTags(step("charge"), "abc", "PENDING"), {
      component: "aws-durable-execution-sdk-js",
      "aws.durable.operation_name": "charge",
      "aws.durable.operation_id": "abc",
      "aws.durable.operation_type": "STEP",
      "aws.durable.operation_subtype": "Step",
      "aws.durable.replayed": false
    })
    assert.deepStrictEqual(SpanRules.executeTags("arn", false), {
      component: "aws-durable-execution-sdk-js",
      "aws.durable.execution_arn": "arn",
      "aws.durable.replayed": true
    })
    assert.strictEqual(SpanRules.spanKind({ type: "CHAINED_INVOKE", subType: "ChainedInvoke" }), "client")
    assert.strictEqual(SpanRules.spanKind(step("a")), "internal")
  })

  it("splits the function ARN as datadog-lambda-js does", () => {
    const cases: ReadonlyArray<[string, SpanRules.LambdaInvocation, SpanRules.Tags]> = [
      [
        "unqualified: $LATEST",
        {
          invokedFunctionArn: "arn:aws:lambda:us-east-2:123456789012:function:My-Fn",
          functionName: "My-Fn",
          continued: false
        },
        {
          function_arn: "arn:aws:lambda:us-east-2:123456789012:function:my-fn",
          function_version: "$LATEST",
          functionname: "my-fn",
          resource_names: "My-Fn",
          "_dd.parent_source": undefined
        }
      ],
      [
        "a version qualifier, continued from the event",
        {
          invokedFunctionArn: "arn:aws:lambda:us-east-2:123456789012:function:fn:7",
          functionName: "fn",
          continued: true
        },
        {
          function_arn: "arn:aws:lambda:us-east-2:123456789012:function:fn",
          function_version: "7",
          functionname: "fn",
          resource_names: "fn",
          "_dd.parent_source": "event"
        }
      ],
      [
        "an alias qualifier",
        { invokedFunctionArn: "arn:aws:lambda:eu-west-1:1:function:fn:PROD", functionName: "fn", continued: false },
        {
          function_arn: "arn:aws:lambda:eu-west-1:1:function:fn",
          function_version: "prod",
          functionname: "fn",
          resource_names: "fn",
          "_dd.parent_source": undefined
        }
      ],
      [
        "no Lambda context",
        { continued: false },
        {
          function_arn: undefined,
          function_version: undefined,
          functionname: undefined,
          resource_names: undefined,
          "_dd.parent_source": undefined
        }
      ]
    ]
    for (const [name, invocation, expected] of cases) {
      assert.deepStrictEqual(SpanRules.lambdaTags(invocation), expected, name)
    }
  })
})
