/**
 * The tracked client (issue 14, items 1 and 10) against a service that enforces what the real one does and the
 * local runner does not: each checkpoint token is good for one request, and each response hands out the next.
 * Two overlapping invocations of one execution (a retry racing a slow one) each write with their own token, and
 * the early checkpoint never changes how the SDK's own request ends.
 */
import type {
  CheckpointDurableExecutionRequest,
  CheckpointDurableExecutionResponse,
  DurableExecutionClient,
  OperationUpdate
} from "@aws/durable-execution-sdk-js"
import type { CheckpointStore } from "@durable-trace/core/CheckpointStore"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as DurableClient from "../src/DurableClient.ts"

const ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/order-1/3f1c9a"

const invalidToken = () =>
  Object.assign(new Error("Invalid Checkpoint Token: already used"), {
    name: "InvalidParameterValueException",
    $metadata: { httpStatusCode: 400 }
  })

/** A checkpoint service whose tokens are single use, per invocation, as the service's are. */
const strictService = () => {
  const live = new Set<string>()
  const requests: Array<CheckpointDurableExecutionRequest> = []
  let issued = 0
  let failNext: unknown
  const issue = (invocation: string): string => {
    const token = `${invocation}:${issued++}`
    live.add(token)
    return token
  }
  const client: DurableExecutionClient = {
    checkpoint: async (request): Promise<CheckpointDurableExecutionResponse> => {
      requests.push(request)
      if (failNext !== undefined) {
        const error = failNext
        failNext = undefined
        throw error
      }
      const token = request.CheckpointToken
      if (typeof token !== "string" || !live.delete(token)) throw invalidToken()
      return { CheckpointToken: issue(token.split(":")[0]!), NewExecutionState: { Operations: [] } }
    },
    getExecutionState: async () => ({ Operations: [] })
  }
  return {
    client,
    requests,
    /** The event token of a new invocation. */
    invoke: (invocation: string) => issue(invocation),
    failNextWith: (error: unknown) => {
      failNext = error
    }
  }
}

const step = (id: string): OperationUpdate => ({ Id: id, Type: "STEP", Action: "START", Name: id }) as OperationUpdate

const OURS = {
  Id: "0123456789abcdef0123456789abcdef",
  Type: "STEP",
  SubType: "Step",
  Action: "SUCCEED",
  Name: "_datadog_0",
  Payload: '{"traceparent":"00-6760a5b1000000004000000000000000-1234567890abcdef-01"}'
} as const

const writeWith = (store: CheckpointStore["Service"]) => Effect.runPromise(Effect.result(store.write(OURS)))

describe("DurableClient: overlapping invocations of one execution (issue 14, item 10)", () => {
  it("each invocation writes with its own newest token, and neither breaks the other", async () => {
    const service = strictService()
    const tracked = DurableClient.track(service.client)
    const a = tracked.seed(ARN, service.invoke("A"))
    const b = tracked.seed(ARN, service.invoke("B"))
    assert.isFalse(a.overlapping)
    assert.isTrue(b.overlapping, "the second invocation knows it overlaps")
    // Each SDK checkpoints once, A first, B last: B's token is the newest the client has seen.
    await tracked.client.checkpoint({ DurableExecutionArn: ARN, CheckpointToken: a.token(), Updates: [step("a1")] })
    await tracked.client.checkpoint({ DurableExecutionArn: ARN, CheckpointToken: b.token(), Updates: [step("b1")] })
    const written = await writeWith(DurableClient.checkpointStore(tracked, ARN, a))
    assert.strictEqual(written._tag, "Success", "A's write used A's token")
    assert.isTrue(String(service.requests.at(-1)?.CheckpointToken).startsWith("A:"))
    // B's SDK carries on with its own token: our write did not consume it.
    await tracked.client.checkpoint({ DurableExecutionArn: ARN, CheckpointToken: b.token(), Updates: [step("b2")] })
    a.forget()
    const c = tracked.seed(ARN, service.invoke("C"))
    assert.isTrue(c.overlapping, "B is still in flight")
    b.forget()
    c.forget()
    assert.isFalse(tracked.seed(ARN, service.invoke("D")).overlapping, "forgotten once ended")
  })
})

describe("DurableClient: the early checkpoint and the SDK's own request (issue 14, item 1)", () => {
  const piggyback =
    (outcome: { committed: number; abandoned: number; declined?: number }): DurableClient.PiggybackSource =>
    async () => ({
      update: OURS,
      committed: () => {
        outcome.committed++
      },
      abandoned: () => {
        outcome.abandoned++
      },
      declined: () => {
        outcome.declined = (outcome.declined ?? 0) + 1
      }
    })

  it("rides along when it can, committed once the batch succeeds", async () => {
    const service = strictService()
    const outcome = { committed: 0, abandoned: 0 }
    const tracked = DurableClient.track(service.client, piggyback(outcome))
    const chain = tracked.seed(ARN, service.invoke("A"))
    await tracked.client.checkpoint({ DurableExecutionArn: ARN, CheckpointToken: chain.token(), Updates: [step("s")] })
    assert.deepStrictEqual(
      service.requests.map((r) => r.Updates?.map((u) => u.Id)),
      [["s", OURS.Id]]
    )
    assert.deepStrictEqual(outcome, { committed: 1, abandoned: 0 })
  })

  const theirs: ReadonlyArray<readonly [string, unknown]> = [
    ["a throttle", Object.assign(new Error("Rate exceeded"), { name: "TooManyRequestsException" })],
    ["a 500", Object.assign(new Error("internal"), { name: "ServiceException" })],
    [
      "a validation error about the SDK's update",
      Object.assign(new Error("Invalid STEP action."), {
        name: "InvalidParameterValueException"
      })
    ]
  ]
  for (const [label, error] of theirs) {
    it(`${label}: the SDK's request fails with it, after one request`, async () => {
      const service = strictService()
      const outcome = { committed: 0, abandoned: 0 }
      const tracked = DurableClient.track(service.client, piggyback(outcome))
      const chain = tracked.seed(ARN, service.invoke("A"))
      service.failNextWith(error)
      const request = { DurableExecutionArn: ARN, CheckpointToken: chain.token(), Updates: [step("s")] }
      const thrown = await tracked.client.checkpoint(request).then(
        () => undefined,
        (cause: unknown) => cause
      )
      assert.strictEqual(thrown, error)
      assert.strictEqual(service.requests.length, 1)
      assert.deepStrictEqual(outcome, { committed: 0, abandoned: 1 })
    })
  }

  it("a rejection that names our update: the SDK's request is sent again alone", async () => {
    const service = strictService()
    const outcome = { committed: 0, abandoned: 0 }
    const tracked = DurableClient.track(service.client, piggyback(outcome))
    const chain = tracked.seed(ARN, service.invoke("A"))
    service.failNextWith(
      Object.assign(new Error(`Operation ${OURS.Id} already exists`), { name: "InvalidParameterValueException" })
    )
    await tracked.client.checkpoint({ DurableExecutionArn: ARN, CheckpointToken: chain.token(), Updates: [step("s")] })
    assert.deepStrictEqual(
      service.requests.map((r) => r.Updates?.map((u) => u.Id)),
      [["s", OURS.Id], ["s"]]
    )
    assert.deepStrictEqual(outcome, { committed: 0, abandoned: 1 })
  })

  it("a batch it cannot join (an EXECUTION update, a token that is not a string) goes out as the SDK built it, the update declined, not failed", async () => {
    const service = strictService()
    const outcome = { committed: 0, abandoned: 0, declined: 0 }
    const tracked = DurableClient.track(service.client, piggyback(outcome))
    const chain = tracked.seed(ARN, service.invoke("A"))
    const execution = { Id: "e", Type: "EXECUTION", Action: "SUCCEED" } as OperationUpdate
    await tracked.client.checkpoint({ DurableExecutionArn: ARN, CheckpointToken: chain.token(), Updates: [execution] })
    const numeric = { DurableExecutionArn: ARN, CheckpointToken: 42 as unknown as string, Updates: [step("s")] }
    await tracked.client.checkpoint(numeric).catch(() => undefined)
    assert.deepStrictEqual(
      service.requests.map((r) => [r.CheckpointToken === numeric.CheckpointToken, r.Updates?.map((u) => u.Id)]),
      [
        [false, ["e"]],
        [true, ["s"]]
      ]
    )
    assert.deepStrictEqual(outcome, { committed: 0, abandoned: 0, declined: 2 })
  })
})
