/**
 * `durable-trace inspect --execution` and `durable-trace audit`, run as a user runs them, against the real
 * `@aws-sdk/client-lambda` talking to a local Lambda API on 127.0.0.1 (`lambda.server.ts`), seeded with
 * executions captured from the local runner under dd-trace and OpenTelemetry (`fixtures/inspect/capture-live.ts`).
 * Static credentials come from the environment; nothing leaves the loopback interface.
 */
import { spawn } from "node:child_process"
import { existsSync, mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import * as Checkpoint from "@durable-trace/core/Checkpoint"
import { assert, describe, it } from "@effect/vitest"
import { EXIT_INPUT, EXIT_USAGE } from "../src/cli.ts"
import type { CapturedExecution } from "./fixtures/inspect/capture-live.ts"
import { LIVE_FIXTURES } from "./fixtures/inspect/capture-live.ts"
import { type LambdaServer, type SeededExecution, startLambdaServer } from "./lambda.server.ts"
import { type ChildOutput, outputOf } from "./support.ts"

const NODE = fileURLToPath(new URL("../../../node_modules/.bin/node", import.meta.url))
const BIN = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
const HOME = mkdtempSync(join(tmpdir(), "durable-trace-live-"))

const captured = (backend: keyof typeof LIVE_FIXTURES): ReadonlyArray<CapturedExecution> =>
  JSON.parse(readFileSync(new URL(`./fixtures/inspect/${LIVE_FIXTURES[backend]}`, import.meta.url), "utf8"))

const arnOf = (name: string) =>
  `arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/${name}/0f6e7d1c-${name.length}`

const MINUTE = 60_000

/**
 * A captured execution's events or operations as if it had run under `arn`: the local runner hands the handler a
 * bare UUID for its ARN, the service a full one (the CLI accepts no other), and a writer's checkpoint ids hash
 * the ARN (SPEC §2). So each id a known writer gave a checkpoint under the captured ARN becomes the one it gives
 * under `arn`; any other id is kept as it is.
 */
const servedAt = (items: ReadonlyArray<unknown>, captured: string, arn: string): ReadonlyArray<unknown> =>
  items.map((item) => {
    const { Id: id, Name: name } = item as { Id?: unknown; Name?: unknown }
    if (typeof name !== "string" || typeof id !== "string") return item
    for (const writerId of [Checkpoint.checkpointOperationId, Checkpoint.ddTraceJsOperationId]) {
      if (id === writerId(name, captured)) return { ...(item as object), Id: writerId(name, arn) }
    }
    return item
  })

/** Every captured execution of both backends, started a minute apart, plus one still running and one too old. */
const seed = (): { readonly executions: ReadonlyArray<SeededExecution>; readonly expected: Map<string, string> } => {
  const now = Date.now()
  const expected = new Map<string, string>()
  const executions: Array<SeededExecution> = []
  for (const backend of ["ddtrace", "otel"] as const) {
    captured(backend).forEach((execution, i) => {
      const name = `${backend}-${i}`
      const arn = arnOf(name)
      expected.set(arn, execution.expected)
      executions.push({
        arn,
        name,
        functionName: "orders",
        status: execution.status,
        start: now - (executions.length + 1) * MINUTE,
        end: now - executions.length * MINUTE,
        history: servedAt(execution.history, execution.executionArn, arn),
        operations: servedAt(execution.operations, execution.executionArn, arn)
      })
    })
  }
  // Still running: the first capture as it stood after its first invocation.
  const first = captured("ddtrace")[0]!
  const cut = first.history.findIndex((e) => (e as { EventType?: string }).EventType === "InvocationCompleted")
  expected.set(arnOf("running"), "running")
  executions.push({
    arn: arnOf("running"),
    name: "running",
    functionName: "orders",
    status: "RUNNING",
    start: now - 30_000,
    end: undefined,
    history: servedAt(first.history.slice(0, cut + 1), first.executionArn, arnOf("running")),
    operations: []
  })
  const old = captured("ddtrace")[0]!
  executions.push({
    ...executions[0]!,
    arn: arnOf("last-week"),
    name: "last-week",
    start: now - 7 * 24 * 60 * MINUTE,
    history: servedAt(old.history, old.executionArn, arnOf("last-week")),
    operations: servedAt(old.operations, old.executionArn, arnOf("last-week"))
  })
  return { executions, expected }
}

const serve = (options: { historyPageSize?: number; listPageSize?: number } = {}) =>
  startLambdaServer({
    executions: seed().executions,
    historyPageSize: 4,
    listPageSize: 3,
    statePageSize: 2,
    ...options
  })

/** util-linux's `script` runs a command on a pseudo-terminal: how a test sees what a terminal shows. */
const SCRIPT = ["/usr/bin/script", "/bin/script"].find((path) => existsSync(path))

const shellQuote = (arg: string): string => `'${arg.replace(/'/g, "'\\''")}'`

const cli = (
  server: LambdaServer,
  args: ReadonlyArray<string>,
  options: { readonly tty?: boolean } = {}
): Promise<ChildOutput> => {
  const argv = [BIN, ...args, "--endpoint", server.endpoint]
  const [command, commandArgs] =
    options.tty === true && SCRIPT !== undefined
      ? [SCRIPT, ["-qec", [NODE, ...argv].map(shellQuote).join(" "), "/dev/null"]]
      : [NODE, argv]
  const child = spawn(command, commandArgs, {
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      HOME,
      AWS_ACCESS_KEY_ID: "AKIDLOCALTEST",
      AWS_SECRET_ACCESS_KEY: "local-test-secret",
      AWS_REGION: "us-east-1",
      AWS_CONFIG_FILE: join(HOME, "no-config"),
      AWS_SHARED_CREDENTIALS_FILE: join(HOME, "no-credentials"),
      AWS_EC2_METADATA_DISABLED: "true"
    }
  })
  return outputOf(child)
}

const withServer = async <A>(
  run: (server: LambdaServer) => Promise<A>,
  options?: { historyPageSize?: number; listPageSize?: number }
): Promise<A> => {
  const server = await serve(options)
  try {
    return await run(server)
  } finally {
    await server.close()
  }
}

/** One line on stderr naming the command, nothing on stdout. */
const assertOneLine = (run: ChildOutput, code: number, command: string, ...expected: ReadonlyArray<string>) => {
  assert.strictEqual(run.code, code, run.stderr)
  assert.strictEqual(run.stdout, "")
  const lines = run.stderr.split("\n").filter((line) => line.length > 0)
  assert.strictEqual(lines.length, 1, run.stderr)
  assert.match(lines[0]!, new RegExp(`^durable-trace ${command}: `))
  for (const text of expected) assert.include(lines[0], text)
}

/** Only reads: every request the server saw is a GET of a known operation. */
const assertReadOnly = (server: LambdaServer) => {
  for (const request of server.requests) {
    assert.strictEqual(request.method, "GET", request.path)
    assert.notStrictEqual(request.operation, "unknown", request.path)
  }
}

interface ExecutionJson {
  verdict: { _tag: string; invocation?: number; code?: string }
  historyEvents: number
  invocations: Array<{
    index: number
    continued: { source: string; checkpoint: string | null; traceId: string | null }
    wrote: Array<{ name: string; traceId: string | null; writer: string }>
    breaks: Array<{ code: string }>
  }>
  state: { checkpoints: Array<{ name: string }>; warnings: Array<{ code: string }> }
}

describe.concurrent("durable-trace inspect --execution", () => {
  it("a continuous execution: every history page, each invocation in order, exit 0", () =>
    withServer(async (server) => {
      const arn = arnOf("ddtrace-1")
      const run = await cli(server, ["inspect", "--execution", arn])
      assert.strictEqual(run.code, 0, run.stderr)
      assert.strictEqual(run.stderr, "")
      assert.include(run.stdout, `Execution ${arn}`)
      assert.include(run.stdout, "Verdict: continuous: 3 invocations")
      assert.match(
        run.stdout,
        /Invocation 1 .*\n.*continued none: the invocation starts a new trace\n {2}wrote _datadog_0: trace/
      )
      assert.match(run.stdout, /Invocation 2 .*\n.*continued _datadog_0: trace .*\n {2}wrote _datadog_1: trace/)
      assert.match(run.stdout, /Invocation 3 .*\n.*continued _datadog_1: trace/)
      assert.include(run.stdout, "Checkpoints (_datadog_* operations): 2")
      const history = server.requests.filter((r) => r.operation === "GetDurableExecutionHistory")
      assert.isAbove(history.length, 2, "several pages of history")
      assert.strictEqual(history[0]!.query.IncludeExecutionData, "true")
      assert.deepStrictEqual(
        history.slice(1).map((r) => r.query.Marker),
        history.slice(1).map((_, i) => `m${(i + 1) * 4}`)
      )
      assertReadOnly(server)
    }))

  for (const backend of ["ddtrace", "otel"] as const) {
    it(`the broken execution (${backend}) --json: broken at invocation 2, the trace it wrote is not the one it continued`, () =>
      withServer(async (server) => {
        const index = captured(backend).findIndex((e) => e.expected === "broken")
        const run = await cli(server, ["inspect", "--execution", arnOf(`${backend}-${index}`), "--json"])
        assert.strictEqual(run.code, 0, run.stderr)
        const report = JSON.parse(run.stdout) as ExecutionJson
        assert.deepInclude(report.verdict, { _tag: "broken", invocation: 2, code: "trace_changed" })
        const [one, two] = report.invocations
        assert.strictEqual(two!.continued.checkpoint, "_datadog_0")
        assert.strictEqual(two!.continued.traceId, one!.wrote[0]!.traceId)
        assert.notStrictEqual(two!.wrote[0]!.traceId, two!.continued.traceId)
        assert.deepStrictEqual(
          two!.breaks.map((b) => b.code),
          ["trace_changed"]
        )
        assert.deepStrictEqual(
          report.state.checkpoints.map((c) => c.name),
          ["_datadog_0", "_datadog_1"]
        )
        assert.include(
          report.state.warnings.map((w) => w.code),
          "anchor_mismatch"
        )
      }))
  }

  it("--checkpoint-token: every page of GetDurableExecutionState too, the state section from it", () =>
    withServer(async (server) => {
      const run = await cli(server, ["inspect", "--execution", arnOf("ddtrace-1"), "--checkpoint-token", "tok-1"])
      assert.strictEqual(run.code, 0, run.stderr)
      assert.include(run.stdout, "State now (from GetDurableExecutionState, every page")
      assert.include(run.stdout, "Checkpoints (_datadog_* operations): 2")
      assert.notInclude(run.stdout, "state_history_mismatch")
      const state = server.requests.filter((r) => r.operation === "GetDurableExecutionState")
      assert.isAbove(state.length, 2, "several pages of state")
      assert.deepStrictEqual(
        state.map((r) => [r.query.CheckpointToken, r.query.Marker]),
        state.map((_, i) => ["tok-1", i === 0 ? undefined : `m${i * 2}`])
      )
      assertReadOnly(server)
    }))

  it("throttling (429) twice, then success: the SDK's retries absorb it, exit 0", () =>
    withServer(async (server) => {
      server.fail("GetDurableExecution", { kind: "throttle" }, 2)
      server.fail("GetDurableExecutionHistory", { kind: "server_error" }, 1)
      const run = await cli(server, ["inspect", "--execution", arnOf("otel-0"), "--json"])
      assert.strictEqual(run.code, 0, run.stderr)
      assert.strictEqual((JSON.parse(run.stdout) as ExecutionJson).verdict._tag, "continuous")
      assert.strictEqual(server.requests.filter((r) => r.operation === "GetDurableExecution").length, 3)
    }))

  it("access denied names the missing IAM action, exit 1", () =>
    withServer(async (server) => {
      server.fail("GetDurableExecutionHistory", { kind: "access_denied" }, 10)
      const run = await cli(server, ["inspect", "--execution", arnOf("otel-0")])
      assertOneLine(run, EXIT_INPUT, "inspect", "access denied", "lambda:GetDurableExecutionHistory", arnOf("otel-0"))
    }))

  it("a request that never answers: the total time limit, exit 1", () =>
    withServer(async (server) => {
      server.fail("GetDurableExecution", { kind: "hang" }, 10)
      const run = await cli(server, ["inspect", "--execution", arnOf("otel-0"), "--timeout", "2"])
      assertOneLine(run, EXIT_INPUT, "inspect", "timed out", "2 s")
    }))

  it("an unknown ARN: not found, exit 1", () =>
    withServer(async (server) => {
      const run = await cli(server, ["inspect", "--execution", arnOf("nobody")])
      assertOneLine(run, EXIT_INPUT, "inspect", "not found", arnOf("nobody"))
    }))

  it("a history marker that repeats: stops and says so, exit 1", () =>
    withServer(async (server) => {
      server.fail("GetDurableExecutionHistory", { kind: "repeat_marker" })
      const run = await cli(server, ["inspect", "--execution", arnOf("otel-0")])
      assertOneLine(run, EXIT_INPUT, "inspect", "repeating marker", "m-again")
      assert.strictEqual(server.requests.filter((r) => r.operation === "GetDurableExecutionHistory").length, 2)
    }))

  it("usage errors exit 2: a malformed ARN, a file and --execution, neither", () =>
    withServer(async (server) => {
      assertOneLine(
        await cli(server, ["inspect", "--execution", "arn:aws:lambda:us-east-1:123456789012:function:orders"]),
        EXIT_USAGE,
        "inspect",
        "not a durable execution ARN"
      )
      assertOneLine(
        await cli(server, ["inspect", "event.json", "--execution", arnOf("otel-0")]),
        EXIT_USAGE,
        "inspect",
        "not both"
      )
      assertOneLine(await cli(server, ["inspect"]), EXIT_USAGE, "inspect", "Missing required argument")
      assertOneLine(
        await cli(server, ["inspect", "--checkpoint-token", "t"]),
        EXIT_USAGE,
        "inspect",
        "--checkpoint-token needs --execution"
      )
      assert.deepStrictEqual(server.requests, [])
    }))
})

interface AuditJson {
  executions: Array<{ arn: string; verdict: { _tag: string } | null }>
  summary: Record<string, number>
}

describe.concurrent("durable-trace audit", () => {
  it("--json: every execution of the last day, over several pages, classified as captured", () =>
    withServer(async (server) => {
      const { expected } = seed()
      const run = await cli(server, ["audit", "--function", "orders", "--json"])
      assert.strictEqual(run.code, 0, run.stderr)
      assert.strictEqual(run.stderr, "", "no progress line when stderr is piped")
      const report = JSON.parse(run.stdout) as AuditJson
      const got = new Map(report.executions.map((e) => [e.arn, e.verdict?._tag]))
      expected.delete(arnOf("last-week"))
      assert.deepStrictEqual(got, expected)
      assert.deepStrictEqual(report.summary, {
        continuous: 8,
        broken: 2,
        no_checkpoint: 2,
        other_writer: 0,
        corrupt_latest: 0,
        running: 1,
        error: 0
      })
      const listing = server.requests.filter((r) => r.operation === "ListDurableExecutionsByFunction")
      assert.isAbove(listing.length, 3, "several pages of executions")
      assert.strictEqual(listing[0]!.query.ReverseOrder, "true")
      assertReadOnly(server)
    }))

  it.skipIf(SCRIPT === undefined)(
    "on a terminal, a progress line while it reads the histories, erased at the end",
    () =>
      withServer(async (server) => {
        const run = await cli(server, ["audit", "--function", "orders"], { tty: true })
        assert.strictEqual(run.code, 0, run.stdout)
        assert.include(run.stdout, "\raudited 1/13 executions")
        assert.include(run.stdout, "\raudited 12/13 executions\r\u001b[2K")
        assert.include(run.stdout, "Summary")
      })
  )

  it("the table for people, --limit and --since", () =>
    withServer(async (server) => {
      const run = await cli(server, ["audit", "--function", "orders", "--limit", "4", "--since", "10d"])
      assert.strictEqual(run.code, 0, run.stderr)
      assert.include(run.stdout, "Function orders: 4 executions started since")
      assert.match(run.stdout, /EXECUTION +STATUS +STARTED +VERDICT/)
      assert.match(run.stdout, /^running +RUNNING .*still running/m)
      assert.match(run.stdout, /^Summary\n {2}continuous +\d/m)
      const all = await cli(server, ["audit", "--function", "orders", "--since", "10d", "--json"])
      assert.strictEqual((JSON.parse(all.stdout) as AuditJson).executions.length, 14, "last week's too")
    }))

  it("an execution whose history keeps failing (500, past the SDK's 4 attempts) is listed as unreadable, exit 0", () =>
    withServer(async (server) => {
      server.fail("GetDurableExecutionHistory", { kind: "server_error" }, 4)
      const run = await cli(server, ["audit", "--function", "orders", "--limit", "1", "--json"])
      assert.strictEqual(run.code, 0, run.stderr)
      const report = JSON.parse(run.stdout) as AuditJson & { executions: Array<{ error: string | null }> }
      assert.strictEqual(report.summary.error, 1)
      assert.include(report.executions[0]!.error, "lambda:GetDurableExecutionHistory")
      assert.include(report.executions[0]!.error, "service")
      assert.strictEqual(server.requests.filter((r) => r.operation === "GetDurableExecutionHistory").length, 4)
    }))

  it("access denied on the listing names lambda:ListDurableExecutionsByFunction, exit 1", () =>
    withServer(async (server) => {
      server.fail("ListDurableExecutionsByFunction", { kind: "access_denied" }, 10)
      const run = await cli(server, ["audit", "--function", "orders"])
      assertOneLine(run, EXIT_INPUT, "audit", "access denied", "lambda:ListDurableExecutionsByFunction")
    }))

  it("usage errors exit 2: a bad --since, a bad --limit, a bad function", () =>
    withServer(async (server) => {
      assertOneLine(
        await cli(server, ["audit", "--function", "orders", "--since", "yesterday"]),
        EXIT_USAGE,
        "audit",
        "--since"
      )
      assertOneLine(
        await cli(server, ["audit", "--function", "orders", "--limit", "0"]),
        EXIT_USAGE,
        "audit",
        "--limit"
      )
      assertOneLine(await cli(server, ["audit", "--function", "no/such"]), EXIT_USAGE, "audit", "--function")
      assert.deepStrictEqual(server.requests, [])
    }))
})
