/**
 * Fuzzing the reader and `Headers.fromCarrier` (issue 8, SPEC §3, §4.6): a fixed sample in `pnpm test`, the long
 * run under `pnpm fuzz` (`FUZZ_MILLIS` per target, `FUZZ_SEED` to replay). Oracles: never a throw or a failure,
 * never a context that no valid carrier of the input held, only allowlisted, printable, size-capped headers, and
 * no polluted prototype (see `Oracle.ts`).
 */
import { assert, describe, it } from "@effect/vitest"
import { ARN, checkpointOp, ddHeaders, ddJsPayload, durableEvent, executionOp, stepOp } from "../fixtures.ts"
import {
  budgetFrom,
  carrierOverMutations,
  checkRead,
  fuzz,
  readerOverArbitraryJson,
  readerOverMutatedSeeds,
  readerOverStructuredEvents,
  reportLine,
  type TargetReport
} from "./Targets.ts"

// core compiles without Node types; the test runner has both all the same.
const host = globalThis as unknown as {
  readonly process?: { readonly env: Readonly<Record<string, string | undefined>> }
  readonly console: { readonly log: (line: string) => void }
}
const budget = budgetFrom(host.process?.env ?? {}, 20261121)
const timeout = (budget.millis ?? 0) + 30_000

/** Hand-built events in every shape the reader knows: the seeds of the mutation target. */
const SEEDS = [
  durableEvent([executionOp({ orderId: "o-1", _datadog: ddHeaders("31337") }), stepOp("reserve")]),
  durableEvent([executionOp(), checkpointOp(0, ddHeaders("1000", "1")), checkpointOp(1, ddHeaders("1000", "2"))]),
  durableEvent({ "0": executionOp(), "1": checkpointOp(0, ddJsPayload("1000")) }),
  durableEvent([executionOp(), checkpointOp(3, "not json"), checkpointOp(2, ddHeaders("77"))], "next-page"),
  { DurableExecutionArn: ARN, InitialExecutionState: { Operations: [executionOp({ headers: ddHeaders("5") })] } }
]

const RUNS: ReadonlyArray<() => TargetReport> = [
  () => fuzz(readerOverArbitraryJson(budget.seed), budget),
  () => fuzz(readerOverStructuredEvents, budget),
  () => fuzz(readerOverMutatedSeeds("reader: hand-built events, mutated", SEEDS), budget),
  () => fuzz(carrierOverMutations(budget.seed), budget)
]
const NAMES = [
  "reader: arbitrary JSON",
  "reader: generated events, mutated",
  "reader: hand-built events, mutated",
  "Headers.fromCarrier: carriers and arbitrary JSON, mutated"
]

describe("fuzz: reader and Headers.fromCarrier", () => {
  RUNS.forEach((run, index) => {
    it(
      NAMES[index]!,
      () => {
        const report = run()
        // The figures are for `pnpm fuzz` (which sets FUZZ_REPORT=1), not for the test output.
        if (host.process?.env.FUZZ_REPORT === "1") host.console.log(reportLine(report))
        assert.strictEqual(report.target, NAMES[index])
        assert.isAtLeast(report.cases, 1)
      },
      timeout
    )
  })
})

/** Minimal inputs of failures the fuzzer found, kept as named cases. */
describe("fuzz regressions", () => {
  const cases: ReadonlyArray<readonly [string, unknown]> = [
    [
      "SNS _datadog attribute whose Value is null",
      { Records: [{ Sns: { MessageAttributes: { _datadog: { Type: "String", Value: null } } } }] }
    ],
    [
      "SNS _datadog attribute whose Value is a number",
      { Records: [{ Sns: { MessageAttributes: { _datadog: { Value: 7 } } } }] }
    ]
  ]
  for (const [name, event] of cases) {
    it(name, () => {
      assert.strictEqual(checkRead({ event: event as never, lambdaContext: null, pages: {} }), "none")
    })
  }
})
