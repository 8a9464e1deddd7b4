/**
 * Parity with Datadog's own integration (issue 17): one 8-operation workflow (step, wait, waitForCallback, a step
 * failing once then retried, a map of 3, a parallel of 2, a child context, a final step) runs on the local runner
 * under Datadog's stack (datadog-lambda-js's `datadog()` around the SDK, dd-trace's built-in durable plugin, wired as
 * `examples/bench/` wires it) and under `withDurableTracing` with dd-trace, both through dd-trace's log exporter.
 * For each span kind, the tag keys that only one side sets must be exactly the ones the README's parity table
 * documents; no span of ours is an error where Datadog's is not; resources and the value of every tag both sides set
 * (replay flags, attempts, kinds, function tags, ...) agree span for span; both keep one trace with every resumed `aws.lambda` under the first execute span. A tag added or removed on
 * either side fails it until the table says why.
 */
import "./ddtrace.offline.ts"
import "./datadog-lambda.offline.ts"

// As in Lambda, the function is the process: dd-trace's default service is this name, as datadog-lambda-js's is.
process.env.AWS_LAMBDA_FUNCTION_NAME = "my-function-name"

import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import type { DurableContext, DurableLambdaHandler } from "@aws/durable-execution-sdk-js"
import type { LocalDurableTestRunner as Runner } from "@aws/durable-execution-sdk-js-testing"
import { assert, describe, it } from "@effect/vitest"
import { type ExportedSpan, exportedSpans, interceptStdout, isTraceLine } from "./support.ts"

// dd-trace instruments only what is `require`d after `init()`: Datadog's side uses the SDK's CommonJS build.
const require = createRequire(import.meta.url)
const tracer = require("dd-trace") as typeof import("dd-trace").default
tracer.init()
const { datadog } = require("datadog-lambda-js") as { datadog: (handler: DurableLambdaHandler) => DurableLambdaHandler }
const sdk = require("@aws/durable-execution-sdk-js") as typeof import("@aws/durable-execution-sdk-js")
const { LocalDurableTestRunner, WaitingOperationStatus } =
  require("@aws/durable-execution-sdk-js-testing") as typeof import("@aws/durable-execution-sdk-js-testing")
const DdTrace = await import("@durable-trace/adapters/DdTrace")
const { withDurableTracing } = await import("../src/withDurableTracing.ts")

/** dd-trace's id of its built-in durable plugin. */
const DURABLE_PLUGIN = "aws-durable-execution-sdk-js"

/** The workflow, fresh per run: the charge is declined once, then retried after `retrySeconds`. */
const workflow = (retrySeconds: number) => {
  let declined = false
  return async function parityWorkflow(_input: unknown, context: DurableContext) {
    const reservation = await context.step("reserve", async () => ({ sku: "sku-42" }))
    await context.wait("cool-off", { seconds: 5 })
    const approval = await context.waitForCallback("approval", async () => {})
    const charge = await context.step(
      "charge",
      async () => {
        if (!declined) {
          declined = true
          throw new Error("card declined")
        }
        return { chargeId: "ch-1" }
      },
      { retryStrategy: (_error, attempt) => ({ shouldRetry: attempt < 3, delay: { seconds: retrySeconds } }) }
    )
    const doubled = await context.map("double", [1, 2, 3], (item, n) => item.step(`double-${n}`, async () => n * 2))
    const fanned = await context.parallel("fan", [
      (branch) => branch.step("left", async () => "l"),
      (branch) => branch.step("right", async () => "r")
    ])
    const packed = await context.runInChildContext("pack", (child) => child.step("box", async () => "boxed"))
    return context.step("ship", async () => ({
      reservation,
      approval,
      charge,
      doubled: doubled.getResults(),
      fanned: fanned.getResults(),
      packed
    }))
  }
}

/** A span with the invocation it belongs to (1-based, by its `aws.lambda`'s start). */
interface Span extends ExportedSpan {
  readonly invocation: number
  /** Every tag key, `span.type` included. */
  readonly keys: ReadonlySet<string>
}

interface Run {
  readonly status: string | undefined
  readonly invocations: number
  readonly spans: ReadonlyArray<Span>
}

/** The spans dd-trace's log exporter prints while `fn` runs, kept off the test's output. */
const exporting = async <A>(fn: () => Promise<A>): Promise<{ result: A; exported: Array<ExportedSpan> }> => {
  const { result, lines } = await interceptStdout(fn, (text) => !isTraceLine(text))
  return { result, exported: exportedSpans(lines) }
}

const runOnce = async (handler: DurableLambdaHandler, builtInPlugin: boolean): Promise<Run> => {
  tracer.use(DURABLE_PLUGIN, builtInPlugin)
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: true })
  try {
    const runner: Runner = new LocalDurableTestRunner({ handlerFunction: handler })
    const approve = async () => {
      const approval = runner.getOperation("approval")
      await approval.waitForData(WaitingOperationStatus.SUBMITTED)
      await approval.sendCallbackSuccess(JSON.stringify({ approved: true }))
    }
    const { result, exported } = await exporting(async () => {
      const [execution] = await Promise.all([runner.run({ payload: { orderId: "o-1" } }), approve()])
      return execution
    })
    return { status: result.getStatus(), invocations: result.getInvocations().length, spans: withInvocation(exported) }
  } finally {
    tracer.use(DURABLE_PLUGIN, false)
    await LocalDurableTestRunner.teardownTestEnvironment()
  }
}

const withInvocation = (spans: ReadonlyArray<ExportedSpan>): ReadonlyArray<Span> => {
  const byId = new Map(spans.map((span) => [span.span_id, span]))
  const lambdas = spans.filter((span) => span.name === "aws.lambda").sort((a, b) => a.start - b.start)
  const invocationOf = (span: ExportedSpan): number => {
    for (let at: ExportedSpan | undefined = span; at !== undefined; at = byId.get(at.parent_id)) {
      if (at.name === "aws.lambda") return lambdas.indexOf(at) + 1
    }
    return 0
  }
  return spans.map((span) => ({
    ...span,
    invocation: invocationOf(span),
    keys: new Set([...Object.keys(span.meta), ...Object.keys(span.metrics), ...(span.type ? ["span.type"] : [])])
  }))
}

/** durable-trace's own span-shape tags (SPEC §5.2), which Datadog's integration has no counterpart for. */
const SHAPE_KEYS = ["aws.durable.span_role", "aws.durable.attempt", "aws.durable.attempt_outcome"]

/**
 * durable-trace's run as Datadog draws it (SPEC §5.2, README "Parity"): Datadog draws one `aws.durable.step` per
 * attempt, durable-trace one `aws.durable.attempt` per attempt under the step's one operation span. Compared here:
 * each attempt as Datadog's step span; the step's operation span, the suspend markers and the execution span
 * (durable-trace's alone) left out, and the span-shape tags with them.
 */
const datadogView = (run: Run): Run => ({
  ...run,
  spans: run.spans.flatMap((span): Array<Span> => {
    const role = span.meta["aws.durable.span_role"]
    if (role === "suspend" || role === "execution") return []
    if (role === "operation" && span.name === "aws.durable.step") return []
    const keys = new Set([...span.keys].filter((key) => !SHAPE_KEYS.includes(key)))
    return [{ ...span, name: role === "attempt" ? "aws.durable.step" : span.name, keys }]
  })
})

/** The identity of a span across the two runs: where it ran, what it is, which operation and attempt. */
const keyOf = (span: Span): string =>
  [
    span.invocation,
    span.name,
    span.meta["aws.durable.operation_id"] ?? "",
    span.metrics["aws.durable.operation_attempt"] ?? ""
  ].join(" ")

/** The trace's shape, with ids replaced by roles: what "one trace, resumed `aws.lambda` parents" means. */
interface Structure {
  readonly traces: number
  readonly invocations: number
  readonly lambdaParents: ReadonlyArray<string>
  readonly executeParents: ReadonlyArray<string>
  readonly unattached: ReadonlyArray<string>
}

const structure = (run: Run): Structure => {
  const lambdas = run.spans.filter((s) => s.name === "aws.lambda").sort((a, b) => a.invocation - b.invocation)
  const executes = run.spans.filter((s) => s.name === "aws.durable.execute").sort((a, b) => a.invocation - b.invocation)
  const anchor = executes[0]
  return {
    traces: new Set(run.spans.map((s) => s.trace_id)).size,
    invocations: lambdas.length,
    lambdaParents: lambdas.map((l) =>
      /^0+$/.test(l.parent_id) ? "root" : l.parent_id === anchor?.span_id ? "first execute span" : "other"
    ),
    executeParents: executes.map((e) =>
      e.parent_id === lambdas.find((l) => l.invocation === e.invocation)?.span_id ? "its aws.lambda" : "other"
    ),
    unattached: run.spans.filter((s) => s.invocation === 0).map((s) => s.name)
  }
}

/** The tag keys each side sets on each span kind that the other does not. */
const keyDifferences = (ours: Run, theirs: Run) => {
  const keysByKind = (run: Run) => {
    const kinds = new Map<string, Set<string>>()
    for (const span of run.spans) {
      const keys = kinds.get(span.name) ?? new Set<string>()
      for (const key of span.keys) keys.add(key)
      kinds.set(span.name, keys)
    }
    return kinds
  }
  const ourKinds = keysByKind(ours)
  const theirKinds = keysByKind(theirs)
  const datadogOnly: Array<string> = []
  const oursOnly: Array<string> = []
  for (const [kind, keys] of theirKinds) {
    const mine = ourKinds.get(kind)
    if (mine === undefined) {
      datadogOnly.push(`${kind} (the span)`)
      continue
    }
    for (const key of keys) if (!mine.has(key)) datadogOnly.push(`${kind} ${key}`)
  }
  for (const [kind, keys] of ourKinds) {
    const their = theirKinds.get(kind)
    if (their === undefined) {
      oursOnly.push(`${kind} (the span)`)
      continue
    }
    for (const key of keys) if (!their.has(key)) oursOnly.push(`${kind} ${key}`)
  }
  return { datadogOnly: datadogOnly.sort(), oursOnly: oursOnly.sort() }
}

/**
 * The README's parity table, as the differences it documents: a row whose Datadog cell starts with "—" is a key
 * only durable-trace sets; a durable-trace cell starting with "—", one only Datadog sets. Rows for span kinds that
 * neither run drew (a chained invoke) are not this workflow's to check.
 */
const documented = (kinds: ReadonlySet<string>) => {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8")
  const section = readme.split(/^## /m).find((s) => s.startsWith("Parity with Datadog's integration"))
  assert.isDefined(section, 'README has a "Parity with Datadog\'s integration" section')
  const datadogOnly: Array<string> = []
  const oursOnly: Array<string> = []
  for (const line of section!.split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim())
    if (cells.length < 6 || !cells[1]!.startsWith("`")) continue
    const [span, tag, datadogCell, oursCell] = cells.slice(1, 5).map((cell) => cell.replaceAll("`", "")) as [
      string,
      string,
      string,
      string
    ]
    if (!kinds.has(span)) continue
    const entry = `${span} ${tag}`
    if (datadogCell.startsWith("—")) oursOnly.push(entry)
    if (oursCell.startsWith("—")) datadogOnly.push(entry)
  }
  return { datadogOnly: datadogOnly.sort(), oursOnly: oursOnly.sort() }
}

/** Tags whose values differ per execution or per run (ids), on either stack alike: compared by key only. */
const PER_EXECUTION = new Set(["request_id", "aws.durable.execution_arn", "_dd.p.tid", "runtime-id", "process_id"])

/**
 * The retry after 1 s runs in the invocation that failed it: past the skipped 5 s wait, the local runner's clock is
 * ahead of its due time (in Lambda, a retry due before the deadline does the same). After 30 s it suspends.
 */
const SCENARIOS = [
  { name: "the retry runs in the same invocation", retrySeconds: 1, invocations: 3, declinedIn: 3 },
  { name: "the retry runs after a suspend", retrySeconds: 30, invocations: 4, declinedIn: 3 }
] as const

describe("parity with Datadog's integration (datadog-lambda-js + dd-trace's durable plugin)", () => {
  for (const scenario of SCENARIOS) {
    describe(scenario.name, () => {
      let runs: Promise<{ readonly ours: Run; readonly theirs: Run }> | undefined
      const both = () =>
        (runs ??= (async () => {
          const theirs = await runOnce(datadog(sdk.withDurableExecution(workflow(scenario.retrySeconds))), true)
          const ours = datadogView(
            await runOnce(
              withDurableTracing(workflow(scenario.retrySeconds), { backend: DdTrace.layer(tracer) }),
              false
            )
          )
          return { ours, theirs }
        })())

      it("runs the same workflow on both stacks", async () => {
        const { ours, theirs } = await both()
        for (const run of [ours, theirs]) {
          assert.strictEqual(run.status, "SUCCEEDED")
          assert.strictEqual(run.invocations, scenario.invocations)
        }
        // Datadog's side really ran its own integration, ours did not run it too.
        assert.isTrue(theirs.spans.some((s) => s.meta.datadog_lambda !== undefined))
        assert.isFalse(ours.spans.some((s) => s.meta.datadog_lambda !== undefined))
      })

      it("keeps the same trace structure: one trace, every resumed aws.lambda under the first execute span", async () => {
        const { ours, theirs } = await both()
        const expected: Structure = {
          traces: 1,
          invocations: scenario.invocations,
          lambdaParents: ["root", ...Array.from({ length: scenario.invocations - 1 }, () => "first execute span")],
          executeParents: Array.from({ length: scenario.invocations }, () => "its aws.lambda"),
          unattached: []
        }
        assert.deepStrictEqual(structure(theirs), expected, "Datadog")
        assert.deepStrictEqual(structure(ours), expected, "durable-trace")
      })

      it("sets every tag key Datadog sets, per span kind, except where the README's table says why", async () => {
        const { ours, theirs } = await both()
        const observed = keyDifferences(ours, theirs)
        const table = documented(new Set([...ours.spans, ...theirs.spans].map((s) => s.name)))
        assert.deepStrictEqual(observed.datadogOnly, table.datadogOnly, "keys only Datadog sets")
        assert.deepStrictEqual(observed.oursOnly, table.oursOnly, "keys only durable-trace sets")
      })

      it("flags as errors exactly the spans Datadog flags: the attempt that failed", async () => {
        const { ours, theirs } = await both()
        const errors = (run: Run) =>
          run.spans
            .filter((s) => s.error === 1)
            .map(keyOf)
            .sort()
        // Datadog flags the declined attempt, 0, in the invocation that ran it; the successful retry is no error.
        const charge = theirs.spans.find((s) => s.meta["aws.durable.operation_name"] === "charge")!
        const { declinedIn } = scenario
        assert.deepStrictEqual(errors(theirs), [
          `${declinedIn} aws.durable.step ${charge.meta["aws.durable.operation_id"]} 0`
        ])
        assert.deepStrictEqual(errors(ours), errors(theirs))
        const retried = ours.spans.filter((s) => s.meta["aws.durable.operation_name"] === "charge")
        assert.deepStrictEqual(
          retried.map((s) => [s.invocation, s.metrics["aws.durable.operation_attempt"], s.error]),
          [
            [declinedIn, 0, 1],
            [scenario.invocations, 1, 0]
          ],
          "one span per attempt: the failed one flagged, the retry clean"
        )
      })

      it("agrees span for span on the resource and every tag both set (replayed, attempt, kind, ...), ids aside", async () => {
        const { ours, theirs } = await both()
        const byKey = new Map(ours.spans.map((s) => [keyOf(s), s]))
        const drawnOnce = new Set(ours.spans.map((s) => `${s.name} ${s.meta["aws.durable.operation_id"]}`))
        const compared: Array<string> = []
        for (const their of theirs.spans) {
          const mine = byKey.get(keyOf(their))
          // Completed steps fire no plugin hooks on replay: ours draws no span for them (README, Limitations).
          if (mine === undefined) {
            // Datadog draws an operation again in each invocation that resumes it; durable-trace once (SPEC §5.2).
            if (drawnOnce.has(`${their.name} ${their.meta["aws.durable.operation_id"]}`)) continue
            assert.strictEqual(
              their.meta["aws.durable.replayed"],
              "true",
              `${keyOf(their)}: only replayed spans are ours to miss`
            )
            continue
          }
          compared.push(keyOf(their))
          const label = `${keyOf(their)} (${their.meta["aws.durable.operation_name"] ?? their.name})`
          assert.strictEqual(
            mine.meta["aws.durable.replayed"],
            their.meta["aws.durable.replayed"],
            `${label}: replayed`
          )
          assert.strictEqual(mine.resource, their.resource, `${label}: resource`)
          assert.strictEqual(mine.meta["span.kind"], their.meta["span.kind"], `${label}: span.kind`)
          assert.strictEqual(mine.type, their.type, `${label}: span.type`)
          assert.strictEqual(mine.meta.component, their.meta.component, `${label}: component`)
          for (const key of their.keys) {
            if (!mine.keys.has(key) || PER_EXECUTION.has(key)) continue
            const value = (span: Span) => span.meta[key] ?? span.metrics[key] ?? span.type
            assert.strictEqual(value(mine), value(their), `${label}: ${key}`)
          }
        }
        // Every operation is compared (durable-trace draws each once, Datadog once per invocation that resumes it).
        assert.isAtLeast(compared.length, 15)
        // Map items and branches: the low-cardinality resource, on both sides.
        const itemSteps = theirs.spans.filter((s) =>
          /^(double-\d|left|right)$/.test(s.meta["aws.durable.operation_name"] ?? "")
        )
        assert.deepStrictEqual(new Set(itemSteps.map((s) => s.resource)), new Set(["aws.durable.step"]))
        assert.lengthOf(itemSteps, 5)
      })
    })
  }
})
