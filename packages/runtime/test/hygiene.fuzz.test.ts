/**
 * Fuzzing over real events (issue 8): every end-to-end workflow runs once on the local runner with tracing, and
 * each invocation's event is captured as the SDK received it (`_datadog_*` checkpoints included). The reader
 * and the inspect CLI's parser then run over random mutations of those events, and the parser also over
 * arbitrary JSON and over damaged JSON text. Same oracles as the core fuzz targets (`core/test/fuzz/Oracle.ts`);
 * a fixed sample in `pnpm test`, the long run under `pnpm fuzz`.
 */

import * as InMemory from "@durable-trace/adapters/InMemory"
import * as Inspection from "@durable-trace/core/Inspection"
import { assert, beforeAll, describe, it } from "@effect/vitest"
import * as Result from "effect/Result"
// Core's fuzz library is test code of another TypeScript project: a `.ts` path to it cannot be rewritten (TS2878),
// a `.js` one resolves to the same source for the type checker and for vitest.
import { copy, type Json, mutate, type Random, stringify } from "../../core/test/fuzz/Generate.js"
import { carriedBy, check, checkPrototypes, checkSanitised, validCarriers } from "../../core/test/fuzz/Oracle.js"
import {
  budgetFrom,
  fuzz,
  readerOverArbitraryJson,
  readerOverMutatedSeeds,
  reportLine,
  type Target,
  type TargetReport
} from "../../core/test/fuzz/Targets.js"
import * as Inspect from "../src/Inspect.ts"
import { beforeEach, runOnLocalRunner, traced } from "./faults.harness.ts"
import { WORKFLOWS } from "./workflows.ts"

const budget = budgetFrom(process.env, 20261122)
const timeout = (budget.millis ?? 0) + 60_000

/** Every event each workflow's invocations received, without the runner's client. */
const captureRealEvents = async (): Promise<Array<unknown>> => {
  const events: Array<unknown> = []
  for (const workflow of WORKFLOWS) {
    const { handler } = traced(workflow, InMemory.layer())
    await runOnLocalRunner(
      beforeEach(handler, (event) => {
        events.push(structuredClone({ ...event, durableExecutionClient: undefined }))
      }),
      workflow
    )
  }
  return events
}

/** The parser's oracles: never throws; a report only holds sanitised headers and a context the input carried. */
const checkInspect = (input: { readonly value: unknown; readonly text?: string | undefined }): string => {
  const result = input.text === undefined ? Inspection.inspect(input.value) : Inspect.inspectText(input.text)
  checkPrototypes()
  if (Result.isFailure(result)) return `unreadable: ${result.failure.reason}`
  const report = result.success
  JSON.parse(Inspect.toJson(report))
  check(typeof Inspect.format(report) === "string", "format gave no text")
  for (const checkpoint of report.checkpoints) {
    if (checkpoint.headers !== undefined) checkSanitised(checkpoint.headers, `checkpoint ${checkpoint.name}`)
  }
  const { traceId, parentId } = report.next
  if (traceId === undefined || parentId === undefined) return "no context"
  // The text as the CLI decodes it (it drops a BOM, for one).
  const parsed = input.text === undefined ? input.value : Result.getOrThrow(Inspect.decode(input.text))
  check(
    carriedBy({ traceId, spanId: parentId }, validCarriers(parsed)),
    `reported ${traceId}/${parentId} as the next context, which no valid carrier of the input holds`
  )
  return `context from ${report.next.source}`
}

/** Damage to JSON text itself: truncation, a flipped byte, a BOM, stray bytes. */
const damageText = (random: Random, text: string): string =>
  random.pick([
    () => text.slice(0, random.int(text.length)),
    () => {
      const i = random.int(text.length)
      return text.slice(0, i) + String.fromCharCode(text.charCodeAt(i) ^ (1 << random.int(7))) + text.slice(i + 1)
    },
    () => `\ufeff${text}`,
    () => `${text}\u0000`,
    () => text
  ])()

const inspectOverRealEvents = (seeds: ReadonlyArray<unknown>): Target<{ value: unknown; text?: string }> => ({
  name: "inspect: real events, mutated (objects and damaged text)",
  generate: (random) => {
    const value: { event: unknown } = { event: copy(random.pick(seeds)) }
    const n = random.int(6)
    for (let i = 0; i < n; i++) mutate(random, value)
    return random.chance(0.3)
      ? { value: value.event, text: damageText(random, stringify(value.event)) }
      : { value: value.event }
  },
  check: checkInspect
})

const inspectOverArbitraryJson = (seed: number): Target<{ value: unknown }> => {
  const reader = readerOverArbitraryJson(seed)
  return {
    name: "inspect: arbitrary JSON",
    generate: (random, index) => ({ value: reader.generate(random, index).event as Json }),
    check: checkInspect
  }
}

describe("fuzz over real events from the local runner", () => {
  let seeds: Array<unknown> = []
  beforeAll(async () => {
    seeds = await captureRealEvents()
  }, 60_000)

  it("captured every invocation's event, checkpoints included", () => {
    assert.isAtLeast(seeds.length, WORKFLOWS.length)
    assert.isTrue(stringify(seeds).includes("_datadog_0"), "some event carries a checkpoint")
  })

  // Built when run: the seeds are captured first.
  const runs: ReadonlyArray<readonly [string, () => TargetReport]> = [
    ["reader: real events, mutated", () => fuzz(readerOverMutatedSeeds("reader: real events, mutated", seeds), budget)],
    ["inspect: real events, mutated (objects and damaged text)", () => fuzz(inspectOverRealEvents(seeds), budget)],
    ["inspect: arbitrary JSON", () => fuzz(inspectOverArbitraryJson(budget.seed), budget)]
  ]
  for (const [name, run] of runs) {
    it(
      name,
      () => {
        const report = run()
        // The figures are for `pnpm fuzz` (which sets FUZZ_REPORT=1), not for the test output.
        if (process.env.FUZZ_REPORT === "1") console.log(reportLine(report))
        assert.isAtLeast(report.cases, 1)
      },
      timeout
    )
  }
})
