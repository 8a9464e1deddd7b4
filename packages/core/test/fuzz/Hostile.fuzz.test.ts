/**
 * Fuzzing the total functions of core with hostile values (issue 14 item 17): the reader's generated inputs with
 * Proxies whose traps throw, revoked Proxies and throwing getters in place of some of their objects
 * (`Hostile.ts`). Oracle: every function documented as total returns (the `DurableEvent` accessors,
 * `EventCarriers`, `Headers.fromCarrier`, `Checkpoint.scan`, and `Reader.read` as the runtime runs it), and no
 * prototype is touched. A fixed sample in `pnpm test`, the long run under `pnpm fuzz`.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Option from "effect/Option"
import * as Checkpoint from "../../src/Checkpoint.ts"
import * as DurableEvent from "../../src/DurableEvent.ts"
import * as EventCarriers from "../../src/EventCarriers.ts"
import * as Headers from "../../src/Headers.ts"
import { readerInput } from "./Generate.ts"
import { hostile } from "./Hostile.ts"
import { checkPrototypes } from "./Oracle.ts"
import { budgetFrom, fuzz, read, reportLine, type Target } from "./Targets.ts"

// core compiles without Node types; the test runner has both all the same.
const host = globalThis as unknown as {
  readonly process?: { readonly env: Readonly<Record<string, string | undefined>> }
  readonly console: { readonly log: (line: string) => void }
}
const env = host.process?.env ?? {}
const budget = budgetFrom(env, 20261202)

interface HostileInput {
  readonly event: unknown
  readonly lambdaContext: unknown
}

/** Every total function of core over one input; returns the reader's source. */
const checkTotal = (input: HostileInput): string => {
  const { event, lambdaContext } = input
  DurableEvent.executionArn(event)
  DurableEvent.isDurableEvent(event)
  DurableEvent.checkpointToken(event)
  DurableEvent.initialNextMarker(event)
  DurableEvent.executionOperation(event)
  DurableEvent.inputPayload(event)
  DurableEvent.traceableInput(event)
  DurableEvent.isFirstInvocation(event)
  DurableEvent.parseExecutionArn(event as never)
  const operations = DurableEvent.initialOperations(event)
  Checkpoint.scan(operations, Option.getOrUndefined(DurableEvent.executionArn(event)))
  EventCarriers.fromEventSource(event)
  EventCarriers.fromClientContext(lambdaContext)
  EventCarriers.fromExecutionInput(event)
  Headers.fromCarrier(event)
  Headers.fromCarrier(lambdaContext)
  const result = read({ event: event as never, lambdaContext: lambdaContext as never, pages: {} })
  checkPrototypes()
  return Option.isSome(result.context) ? result.source : "none"
}

const target: Target<HostileInput> = {
  name: "core: generated events with hostile objects",
  generate: (random) => {
    const input = readerInput(random)
    return {
      event: hostile(random, input.event),
      lambdaContext: hostile(random, input.lambdaContext ?? { clientContext: { custom: { a: "b" } } })
    }
  },
  check: checkTotal
}

describe("fuzz: core over hostile objects", () => {
  it(
    target.name,
    () => {
      const report = fuzz(target, budget)
      if (env.FUZZ_REPORT === "1") host.console.log(reportLine(report))
      assert.isAtLeast(report.cases, 1)
      // Hostile values did not stop every input from being read: some still continue a trace.
      if (budget.cases !== undefined) assert.isAbove(report.cases - (report.outcomes.none ?? 0), 0)
    },
    (budget.millis ?? 0) + 30_000
  )

  it("a revoked Proxy as the event, and as every slot of a durable event", () => {
    const revoked = () => {
      const { proxy, revoke } = Proxy.revocable({}, {})
      revoke()
      return proxy
    }
    for (const event of [
      revoked(),
      { DurableExecutionArn: "arn", InitialExecutionState: revoked() },
      { DurableExecutionArn: "arn", InitialExecutionState: { Operations: revoked() } },
      { DurableExecutionArn: "arn", InitialExecutionState: { Operations: [revoked(), revoked()] } },
      { Records: revoked() },
      { multiValueHeaders: revoked() }
    ]) {
      assert.strictEqual(checkTotal({ event, lambdaContext: revoked() }), "none")
    }
  })
})
