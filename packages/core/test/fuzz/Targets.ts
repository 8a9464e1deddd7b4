/**
 * Fuzz targets and their runner (issue 8). A target turns a seeded PRNG into an input and checks the oracles on
 * it; `fuzz` runs one for a number of cases or a time budget and reports the count, so `pnpm test` runs a fixed
 * sample and `pnpm fuzz` the long run with the same code. Case `i` of seed `s` is generated from seed `s + i`
 * alone: a failure message names it, and `FUZZ_SEED` replays it.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as CheckpointLog from "../../src/CheckpointLog.ts"
import { CheckpointStore } from "../../src/CheckpointStore.ts"
import * as DurableEvent from "../../src/DurableEvent.ts"
import { DurableTraceError } from "../../src/Errors.ts"
import * as Headers from "../../src/Headers.ts"
import * as Reader from "../../src/Reader.ts"
import { Telemetry } from "../../src/Telemetry.ts"
import { TracePropagation } from "../../src/TracePropagation.ts"
import {
  ARN,
  arbitraryJson,
  carrier,
  copy,
  type Json,
  mutate,
  Random,
  type ReaderInput,
  readerInput,
  stringify
} from "./Generate.ts"
import { carriedBy, check, checkPrototypes, checkSanitised, Violation, validCarriers } from "./Oracle.ts"

/** How long or how much to fuzz: `cases` wins when both are given. */
export interface Budget {
  readonly seed: number
  readonly cases?: number | undefined
  readonly millis?: number | undefined
}

/** What a run did. */
export interface TargetReport {
  readonly target: string
  readonly cases: number
  readonly seed: number
  readonly millis: number
  /** The slowest single case, ms: a super-linear path would show here. */
  readonly slowestCaseMillis: number
  /** Outcome counts (reader sources, `some`/`none`), to show the fuzzer reaches every path. */
  readonly outcomes: Readonly<Record<string, number>>
}

/** A fuzz target: an input from a PRNG, and the oracles; `check` returns an outcome label. */
export interface Target<A> {
  readonly name: string
  readonly generate: (random: Random, index: number) => A
  readonly check: (input: A) => string
}

const preview = (input: unknown): string => {
  try {
    const text = JSON.stringify(input) ?? String(input)
    return text.length > 2000 ? `${text.slice(0, 2000)}... (${text.length} chars)` : text
  } catch {
    return "<unprintable>"
  }
}

/** Runs `target` within `budget`; throws a `Violation` naming the failing case. */
export const fuzz = <A>(target: Target<A>, budget: Budget): TargetReport => {
  const start = Date.now()
  const outcomes: Record<string, number> = {}
  let slowest = 0
  let cases = 0
  const more = () => (budget.cases !== undefined ? cases < budget.cases : Date.now() - start < (budget.millis ?? 1000))
  while (more()) {
    const caseSeed = (budget.seed + cases) >>> 0
    const input = target.generate(new Random(caseSeed), cases)
    const caseStart = Date.now()
    let outcome: string
    try {
      outcome = target.check(input)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      throw new Violation(
        `${target.name}: case ${cases} (seed ${budget.seed}, case seed ${caseSeed}) broke an oracle: ${message}\n` +
          `replay: FUZZ_SEED=${caseSeed} makes it case 0 (targets that do not draw from the arbitrary JSON pool)\n` +
          `input: ${preview(input)}`
      )
    }
    slowest = Math.max(slowest, Date.now() - caseStart)
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
    cases++
  }
  return {
    target: target.name,
    cases,
    seed: budget.seed,
    millis: Date.now() - start,
    slowestCaseMillis: slowest,
    outcomes
  }
}

// The in-memory propagation of core: extracts any valid context from the sanitised headers it is given.
const propagation = Effect.runSync(Effect.service(TracePropagation).pipe(Effect.provide(TracePropagation.layerTest())))
const telemetry = Telemetry.of({ failure: () => Effect.void })

// A mutated input can hold anything where the pages were.
const storeOf = (pages: ReaderInput["pages"]): CheckpointStore["Service"] =>
  CheckpointStore.of({
    page: (marker) =>
      typeof pages === "object" && pages !== null && Object.hasOwn(pages, marker)
        ? Effect.succeed({
            operations: DurableEvent.operationsOf(pages[marker]),
            nextMarker: DurableEvent.nextMarkerOf(pages[marker])
          })
        : Effect.fail(new DurableTraceError({ location: "page_state", reason: "unknown marker" })),
    write: () => Effect.fail(new DurableTraceError({ location: "write_checkpoint", reason: "read only" }))
  })

/** `Reader.read` as the Lambda binding runs it, with the in-memory ports; throws if it fails or is not total. */
export const read = (input: ReaderInput): Reader.ReadResult => {
  const program = Effect.gen(function* () {
    const arn = DurableEvent.executionArn(input.event)
    const log = Option.isSome(arn) ? yield* CheckpointLog.make(input.event, arn.value) : undefined
    return yield* Reader.read(input.event, input.lambdaContext, { log })
  }).pipe(
    Effect.provideService(CheckpointStore, storeOf(input.pages)),
    Effect.provideService(TracePropagation, propagation),
    Effect.provideService(Telemetry, telemetry)
  )
  const exit = Effect.runSyncExit(program)
  if (Exit.isFailure(exit)) throw new Violation(`the reader failed: ${Cause.pretty(exit.cause)}`)
  return exit.value
}

/** The reader's oracles: total, and only ever a context some valid carrier of the input held. */
export const checkRead = (input: ReaderInput): string => {
  const result = read(input)
  checkPrototypes()
  if (Option.isNone(result.context)) {
    check(result.source === "none", `source ${result.source} without a context`)
    return "none"
  }
  const headers = Option.getOrUndefined(result.headers)
  check(headers !== undefined, "a context without the headers it came from")
  checkSanitised(headers!, "continued headers")
  const context = result.context.value
  check(
    carriedBy(context, validCarriers(input.event, input.lambdaContext, input.pages)),
    `continued ${context.traceId}/${context.spanId}, which no valid carrier of the input holds`
  )
  if (result.source === "checkpoint") {
    const checkpoint = Option.getOrUndefined(result.checkpoint)
    check(checkpoint?.name === `_datadog_${checkpoint?.n}`, "continued a checkpoint with a non-canonical name")
  }
  return result.source
}

/** `Headers.fromCarrier`'s oracles: never throws, only sanitised output, canonical (a fixed point). */
export const checkCarrier = (input: unknown): string => {
  const headers = Headers.fromCarrier(input)
  checkPrototypes()
  if (Option.isNone(headers)) return "none"
  checkSanitised(headers.value, "fromCarrier")
  const again = Headers.fromCarrier(headers.value)
  const text = JSON.stringify(headers.value)
  check(Option.isSome(again) && JSON.stringify(again.value) === text, "fromCarrier is not idempotent")
  const reparsed = Headers.fromCarrier(text)
  check(Option.isSome(reparsed) && JSON.stringify(reparsed.value) === text, "fromCarrier(JSON) differs")
  return Headers.isValidContext(headers.value) ? "valid context" : "headers"
}

const mutations = (random: Random, value: unknown, max: number): void => {
  const n = random.int(max + 1)
  for (let i = 0; i < n; i++) mutate(random, value)
}

/** Arbitrary JSON values (Effect's `Schema.Json` arbitrary), drawn in batches and placed in every event slot. */
const arbitraryPool = (seed: number) => {
  const batches = new Map<number, ReadonlyArray<Json>>()
  return (index: number): Json => {
    const batch = Math.floor(index / 256)
    let values = batches.get(batch)
    if (values === undefined) {
      batches.clear()
      values = arbitraryJson(256, seed + batch)
      batches.set(batch, values)
    }
    return values[index % 256]!
  }
}

const checkpointWith = (result: Json): Json => ({
  Id: "c".repeat(32),
  Name: "_datadog_0",
  Type: "STEP",
  Status: "SUCCEEDED",
  StepDetails: { Attempt: 1, Result: result }
})

const durable = (state: Json): Json => ({
  DurableExecutionArn: ARN,
  CheckpointToken: "t",
  InitialExecutionState: state
})

/** The reader over arbitrary JSON, as the event and in each slot of a durable event. */
export const readerOverArbitraryJson = (seed: number): Target<ReaderInput> => {
  const pool = arbitraryPool(seed)
  return {
    name: "reader: arbitrary JSON",
    generate: (random, index) => {
      const json = pool(index)
      const event = random.pick<() => Json>([
        () => json,
        () => durable(json),
        () => durable({ Operations: [json] }),
        () => durable({ Operations: json }),
        () => durable({ Operations: [checkpointWith(json)] }),
        () => durable({ Operations: [checkpointWith(stringify(json))] }),
        () => durable({ Operations: [], NextMarker: "m" })
      ])()
      return { event, lambdaContext: random.chance(0.2) ? json : null, pages: random.chance(0.2) ? { m: json } : {} }
    },
    check: checkRead
  }
}

/** The reader over structure-aware durable and event-source inputs, mutated a few times. */
export const readerOverStructuredEvents: Target<ReaderInput> = {
  name: "reader: generated events, mutated",
  generate: (random) => {
    const input = readerInput(random)
    mutations(random, input, 4)
    return input
  },
  check: checkRead
}

/** The reader over mutations of `seeds` (real events): each case one seed, mutated 1 to 6 times. */
export const readerOverMutatedSeeds = (name: string, seeds: ReadonlyArray<unknown>): Target<ReaderInput> => ({
  name,
  generate: (random) => {
    const input = { event: copy(random.pick(seeds)), lambdaContext: null, pages: {} } as ReaderInput
    const n = 1 + random.int(6)
    for (let i = 0; i < n; i++) mutate(random, input)
    return input
  },
  check: checkRead
})

/** `Headers.fromCarrier` over generated carriers and arbitrary JSON, mutated, as objects or JSON strings. */
export const carrierOverMutations = (seed: number): Target<unknown> => {
  const pool = arbitraryPool(seed)
  return {
    name: "Headers.fromCarrier: carriers and arbitrary JSON, mutated",
    generate: (random, index) => {
      const root: { value: unknown } = { value: random.chance(0.75) ? carrier(random) : pool(index) }
      mutations(random, root, 4)
      return random.chance(0.3) ? stringify(root.value) : root.value
    },
    check: checkCarrier
  }
}

/** The sample of each target `pnpm test` runs: a few hundred cases, well under a second each. */
export const SAMPLE_CASES = 300

/** The budget from `FUZZ_MILLIS` (the long run) or the sample; `FUZZ_SEED` fixes the seed. */
export const budgetFrom = (env: Readonly<Record<string, string | undefined>>, defaultSeed: number): Budget => {
  const millis = Number(env.FUZZ_MILLIS)
  const seed = env.FUZZ_SEED === undefined ? defaultSeed : Number(env.FUZZ_SEED) >>> 0
  return Number.isFinite(millis) && millis > 0 ? { seed, millis } : { seed, cases: SAMPLE_CASES }
}

/** The line the fuzz runner collects: `FUZZ-REPORT {json}`. */
export const reportLine = (report: TargetReport): string => `FUZZ-REPORT ${JSON.stringify(report)}`
