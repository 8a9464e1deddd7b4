import { assert, describe, it } from "@effect/vitest"
import * as Budget from "../src/Budget.ts"

describe("Budget.millisLeft", () => {
  const cases: ReadonlyArray<readonly [string, Budget.BudgetInput, number]> = [
    ["no deadline: the bound", { boundMillis: 1000, deadline: undefined, nowMillis: 0, marginMillis: 500 }, 1000],
    ["a far deadline: the bound", { boundMillis: 1000, deadline: 60_000, nowMillis: 0, marginMillis: 500 }, 1000],
    [
      "a near deadline: what is left minus the margin",
      { boundMillis: 1000, deadline: 800, nowMillis: 0, marginMillis: 500 },
      300
    ],
    ["past the margin: nothing", { boundMillis: 1000, deadline: 400, nowMillis: 0, marginMillis: 500 }, -100]
  ]
  for (const [label, options, expected] of cases) {
    it(label, () => assert.strictEqual(Budget.millisLeft(options), expected, label))
  }
})
