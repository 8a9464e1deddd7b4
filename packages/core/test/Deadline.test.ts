import { assert, describe, it } from "@effect/vitest"
import * as Deadline from "../src/Deadline.ts"

describe("Deadline.budget", () => {
  const cases: ReadonlyArray<readonly [string, Deadline.BudgetOptions, number]> = [
    ["no deadline: the bound", { boundMillis: 1000, deadline: undefined, now: 0, marginMillis: 500 }, 1000],
    ["a far deadline: the bound", { boundMillis: 1000, deadline: 60_000, now: 0, marginMillis: 500 }, 1000],
    [
      "a near deadline: what is left minus the margin",
      { boundMillis: 1000, deadline: 800, now: 0, marginMillis: 500 },
      300
    ],
    ["past the margin: nothing", { boundMillis: 1000, deadline: 400, now: 0, marginMillis: 500 }, -100]
  ]
  for (const [label, options, expected] of cases) {
    it(label, () => assert.strictEqual(Deadline.budget(options), expected, label))
  }
})
