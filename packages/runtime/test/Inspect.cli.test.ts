/**
 * The `durable-trace` executable, run as a user runs it: `node packages/runtime/src/bin.ts inspect <file|->` on
 * the workspace's Node 24, for exit codes, stdout, the one-line stderr, and stdin.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import { EXIT_INPUT, EXIT_USAGE, VERSION } from "../src/cli.ts"
import { FIXTURES } from "./fixtures/inspect/capture.ts"
import { type ChildOutput, outputOf } from "./support.ts"

const NODE = fileURLToPath(new URL("../../../node_modules/.bin/node", import.meta.url))
const BIN = fileURLToPath(new URL("../src/bin.ts", import.meta.url))
const fixture = (file: string): string => fileURLToPath(new URL(`./fixtures/inspect/${file}`, import.meta.url))

const cli = (args: ReadonlyArray<string>, stdin = ""): Promise<ChildOutput> => {
  const child = spawn(NODE, [BIN, ...args], { stdio: ["pipe", "pipe", "pipe"] })
  const output = outputOf(child)
  child.stdin.end(stdin)
  return output
}

const temp = mkdtempSync(join(tmpdir(), "durable-trace-inspect-"))
const file = (name: string, content: string): string => {
  const path = join(temp, name)
  writeFileSync(path, content)
  return path
}

/** One line on stderr naming the input, nothing on stdout, exit 1. */
const assertInputError = (run: ChildOutput, ...expected: ReadonlyArray<string>) => {
  assert.strictEqual(run.code, EXIT_INPUT, run.stderr)
  assert.strictEqual(run.stdout, "")
  const lines = run.stderr.split("\n").filter((line) => line.length > 0)
  assert.strictEqual(lines.length, 1, run.stderr)
  assert.match(lines[0]!, /^durable-trace inspect: /)
  for (const text of expected) assert.include(lines[0], text)
}

describe.concurrent("durable-trace inspect (the executable)", () => {
  it("a resumed invocation's event: the human report, exit 0", async () => {
    const run = await cli(["inspect", fixture(FIXTURES.resumed)])
    assert.strictEqual(run.code, 0, run.stderr)
    assert.strictEqual(run.stderr, "")
    assert.include(run.stdout, "Input: durable invocation event")
    assert.include(run.stdout, "source: checkpoint _datadog_0")
    assert.include(run.stdout, "0000000000000002 (decimal 2), from _datadog_0")
  })

  it("--json: one JSON document", async () => {
    const run = await cli(["inspect", "--json", fixture(FIXTURES.changed)])
    assert.strictEqual(run.code, 0, run.stderr)
    const json = JSON.parse(run.stdout) as { next: { checkpoint: string }; checkpoints: Array<{ name: string }> }
    assert.strictEqual(json.next.checkpoint, "_datadog_1")
    assert.deepStrictEqual(
      json.checkpoints.map((c) => c.name),
      ["_datadog_0", "_datadog_1"]
    )
  })

  it("- reads stdin: the runner's operation dump", async () => {
    const dump = readFileSync(fixture(FIXTURES.operations), "utf8")
    const run = await cli(["inspect", "-", "--json"], dump)
    assert.strictEqual(run.code, 0, run.stderr)
    assert.strictEqual((JSON.parse(run.stdout) as { input: { kind: string } }).input.kind, "operations")
  })

  it("readable input without checkpoints still exits 0", async () => {
    const run = await cli(["inspect", file("empty-list.json", "[]")])
    assert.strictEqual(run.code, 0, run.stderr)
    assert.include(run.stdout, "Checkpoints (_datadog_* operations): none")
  })

  it("a missing file: exit 1, one line", async () => {
    assertInputError(await cli(["inspect", join(temp, "missing.json")]), "missing.json: cannot read: no such file")
  })

  it("an empty file: exit 1, one line", async () => {
    assertInputError(await cli(["inspect", file("empty.json", "")]), "empty.json: empty input")
  })

  it("non-JSON on stdin: exit 1, one line", async () => {
    assertInputError(await cli(["inspect", "-"], "<html>\n<body>oops</body>\n"), "stdin: not JSON")
  })

  it("JSON that is neither an event nor a state dump: exit 1, one line", async () => {
    assertInputError(await cli(["inspect", file("number.json", "42")]), "JSON number: neither")
    assertInputError(await cli(["inspect", "-"], "{}"), "empty JSON object: neither")
  })

  it("a checkpoint payload nested 100,000 levels deep is inspected, not a silent exit 1", async () => {
    const depth = 100_000
    const deep = `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`
    const dump = `{"Operations":[{"Id":"x","Name":"_datadog_0","Type":"STEP","StepDetails":{"Result":${deep}}}]}`
    const run = await cli(["inspect", file("deep.json", dump)])
    assert.strictEqual(run.code, 0, run.stderr)
    assert.strictEqual(run.stderr, "")
    assert.include(run.stdout, "INVALID _datadog_0")
  })

  it("40,000 corrupt checkpoints: one integration_errors line, every checkpoint listed", async () => {
    const operations = Array.from({ length: 40_000 }, (_, i) => ({
      Id: `x${i}`,
      Name: `_datadog_${i}`,
      Type: "STEP",
      StepDetails: { Result: '{"bogus":1}' }
    }))
    const run = await cli(["inspect", "--json", file("many.json", JSON.stringify({ Operations: operations }))])
    assert.strictEqual(run.code, 0, run.stderr)
    const json = JSON.parse(run.stdout) as { checkpoints: Array<unknown>; next: { failures: Array<unknown> } }
    assert.strictEqual(json.checkpoints.length, 40_000)
    assert.deepStrictEqual(json.next.failures, [{ location: "read_checkpoint", errorType: "no propagation headers" }])
  })

  it("usage errors exit 2: no file, an unknown flag", async () => {
    const missing = await cli(["inspect"])
    assert.strictEqual(missing.code, EXIT_USAGE)
    assert.include(missing.stderr, "Missing required argument: file")
    const unknown = await cli(["inspect", "--bogus", fixture(FIXTURES.first)])
    assert.strictEqual(unknown.code, EXIT_USAGE)
    assert.include(unknown.stderr, "--bogus")
  })

  it("--help prints the usage, exit 0", async () => {
    const run = await cli(["inspect", "--help"])
    assert.strictEqual(run.code, 0)
    assert.include(run.stdout, "durable-trace inspect [flags] [<file>]")
    assert.include(run.stdout, "--json")
    assert.include(run.stdout, "--execution string")
    const audit = await cli(["audit", "--help"])
    assert.strictEqual(audit.code, 0)
    assert.include(audit.stdout, "--function string")
    assert.include(audit.stdout, "--since string")
  })

  it("--version is the runtime package's version", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
    assert.strictEqual(VERSION, pkg.version)
  })
})
