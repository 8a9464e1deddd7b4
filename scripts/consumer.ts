/**
 * The consumer test: what a user gets is the packed tarball, so this builds and packs the packages, installs the
 * tarballs with npm into an app outside the workspace (consumer/, everything else from the registry), and checks
 * it as a user would use it (issue 11):
 *   - `pnpm -r publish --dry-run` succeeds; every tarball: `attw` (ESM-only profile) and `publint --strict` report nothing;
 *   - `tsc` over the app with a NodeNext and a Bundler config, `skipLibCheck: false`, under TypeScript 5.9 and 7;
 *   - under Node 22 and Node 24, from node_modules, on the SDK's local runner: `withDurableTracing` with dd-trace
 *     and with OpenTelemetry, `DurableEffect`, datadog-lambda-js's `datadog()` with durable-trace's extractor, and
 *     `DURABLE_EXECUTION_PLUGINS=@durable-trace/runtime/PluginProvider`;
 *   - esbuild bundles (ESM and CJS, the README's flags) of the dd-trace and OpenTelemetry handlers, run the same way;
 *   - `npx durable-trace inspect` on a fixture: output, exit codes 0/1/2, `--json`.
 * Prints one line per check and ends with `consumer: N passed, N failed`; exits 1 if any failed.
 * Usage: node scripts/consumer.ts [--keep]   (--keep leaves the temporary app for a look)
 */
import { execFileSync, spawnSync } from "node:child_process"
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const root = new URL("..", import.meta.url).pathname
const node24 = process.execPath
const work = mkdtempSync(join(tmpdir(), "durable-trace-consumer-"))
const packs = join(work, "packs")
const app = join(work, "app")
const results: Array<{ readonly name: string; readonly ok: boolean }> = []

const sh = (command: string, args: ReadonlyArray<string>, cwd: string, env: NodeJS.ProcessEnv = {}) =>
  spawnSync(command, args, { cwd, env: { ...cleanEnv, ...env }, encoding: "utf8", timeout: 300_000 })

// The workspace's own settings must not leak into the user's app (pnpm's npm_* variables, NODE_OPTIONS).
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.startsWith("npm_") && key !== "NODE_OPTIONS")
)

const check = (name: string, ok: boolean, detail = ""): boolean => {
  results.push({ name, ok })
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${ok || detail === "" ? "" : `\n${indent(detail)}`}`)
  return ok
}
const indent = (text: string) =>
  text
    .trim()
    .split("\n")
    .slice(-40)
    .map((line) => `     ${line}`)
    .join("\n")
const must = (name: string, run: ReturnType<typeof sh>) => {
  if (!check(name, run.status === 0, `${run.stdout ?? ""}\n${run.stderr ?? ""}${run.error ? `\n${run.error}` : ""}`))
    finish()
}

// 1. Build and pack, as `pnpm publish` would (workspace:* replaced, publishConfig applied).
for (const pkg of ["core", "adapters", "runtime"]) {
  const dir = join(root, "packages", pkg)
  must(`build @durable-trace/${pkg}`, sh(node24, [join(root, "scripts/build.ts")], dir))
  must(`pack @durable-trace/${pkg}`, sh("npx", ["-y", "pnpm@10", "pack", "--pack-destination", packs], dir))
}
const tarballs = readdirSync(packs).map((file) => join(packs, file))
must("pnpm -r publish --dry-run", sh("npx", ["-y", "pnpm@10", "-r", "publish", "--dry-run", "--no-git-checks"], root))

// 2. Package checks on the tarballs themselves.
const bin = (name: string) => join(root, "node_modules/.bin", name)
for (const tarball of tarballs) {
  const name = tarball.split("/").pop()!
  const attw = sh(bin("attw"), ["--profile", "esm-only", "--format", "ascii", tarball], work)
  check(`attw ${name}`, attw.status === 0, attw.stdout)
  const unpacked = join(work, "unpacked", name)
  mkdirSync(unpacked, { recursive: true })
  execFileSync("tar", ["xzf", tarball, "-C", unpacked])
  const lint = sh(bin("publint"), ["--pack", "false", "--strict", join(unpacked, "package")], work)
  check(`publint ${name}`, lint.status === 0 && !/warning|error|suggestion/i.test(lint.stdout), lint.stdout)
}

// 3. The user's app: its own package.json, the tarballs, everything else from the registry.
cpSync(join(root, "consumer"), app, { recursive: true })
must(
  "npm install the tarballs into an app outside the workspace",
  sh("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs], app)
)
const node22 = join(app, "node_modules/.bin/node")
const fixture = join(root, "packages/runtime/test/fixtures/inspect/resumed-invocation.json")

// 4a. Types, as a consumer compiles them.
for (const [ts, tsc] of [
  ["TypeScript 5.9", "node_modules/typescript/bin/tsc"],
  ["TypeScript 7", "node_modules/typescript7/bin/tsc"]
] as const) {
  for (const config of ["tsconfig.json", "tsconfig.bundler.json"]) {
    const run = sh(node24, [tsc, "-p", config], app)
    check(`${ts}: tsc -p ${config} (strict, skipLibCheck false)`, run.status === 0, run.stdout + run.stderr)
  }
}
must(
  "compile the app (tsc, NodeNext)",
  sh(node24, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json", "--noEmit", "false", "--outDir", "build"], app)
)

// 4c. Bundles, with the flags the README documents for Lambda.
const banner =
  "import { createRequire as __durableTraceCreateRequire } from 'node:module'; globalThis.require ??= __durableTraceCreateRequire(import.meta.url);"
const esbuild = join(app, "node_modules/.bin/esbuild")
const bundles: Array<[string, string]> = []
for (const handler of ["ddtrace", "otel"]) {
  for (const format of ["esm", "cjs"] as const) {
    const out = `bundle/${handler}.${format === "esm" ? "mjs" : "cjs"}`
    const flags = [
      "--bundle",
      "--platform=node",
      "--target=node22",
      `--format=${format}`,
      "--external:dd-trace",
      `--outfile=${out}`
    ]
    if (format === "esm") flags.push(`--banner:js=${banner}`)
    const run = sh(esbuild, [`src/${handler}.ts`, ...flags, "--log-level=warning"], app)
    if (check(`esbuild ${handler} (${format})`, run.status === 0 && run.stderr === "", run.stderr))
      bundles.push([`${handler} bundle (${format})`, out])
  }
}

// 4b + 4c. Run each way on the local runner under both Nodes.
const offlineDatadog = {
  DD_TRACE_EXPERIMENTAL_EXPORTER: "log",
  DD_REMOTE_CONFIGURATION_ENABLED: "false",
  DD_INSTRUMENTATION_TELEMETRY_ENABLED: "false",
  DD_TRACE_STARTUP_LOGS: "false",
  DD_SERVICE: "consumer",
  AWS_LAMBDA_FUNCTION_NAME: "consumer"
}
interface Seen {
  readonly summary: { status: string; invocations: number; checkpoints: Array<string> } | undefined
  readonly spans: Array<{ name: string; traceId: string }>
  readonly lines: Array<string>
}
const runHandler = (nodeBin: string, module: string, env: NodeJS.ProcessEnv = {}, payload?: string) => {
  const run = sh(nodeBin, ["build/run.js", module, ...(payload ? [payload] : [])], app, { ...offlineDatadog, ...env })
  const seen: Seen = { summary: undefined, spans: [], lines: run.stdout.split("\n") }
  for (const line of seen.lines) {
    if (line.startsWith('{"summary":')) Object.assign(seen, JSON.parse(line))
    else if (line.startsWith('{"otelSpan":')) seen.spans.push(JSON.parse(line).otelSpan)
    else if (line.startsWith('{"traces":'))
      for (const chunk of JSON.parse(line).traces as Array<
        Array<{ name: string; trace_id: string; meta: Record<string, string> }>
      >) {
        const tid = chunk.find((span) => span.meta["_dd.p.tid"])?.meta["_dd.p.tid"] ?? ""
        for (const span of chunk) seen.spans.push({ name: span.name, traceId: `${tid}${span.trace_id}` })
      }
  }
  return { run, seen }
}
const oneTrace = (label: string, nodeBin: string, module: string, env: NodeJS.ProcessEnv = {}) => {
  const { run, seen } = runHandler(nodeBin, module, env)
  const lambdas = seen.spans.filter((span) => span.name === "aws.lambda").length
  const traces = new Set(seen.spans.map((span) => span.traceId)).size
  const ok =
    run.status === 0 &&
    seen.summary?.status === "SUCCEEDED" &&
    seen.summary.invocations >= 3 &&
    seen.summary.checkpoints.includes("_datadog_0") &&
    lambdas === seen.summary.invocations &&
    traces === 1
  check(
    `${label}: one trace across ${seen.summary?.invocations ?? "?"} invocations (${lambdas} aws.lambda, ${traces} trace)`,
    ok,
    `${run.stdout}\n${run.stderr}`
  )
}
const nodes = [
  ["Node 22", node22],
  ["Node 24", node24]
] as const
for (const [nodeName, nodeBin] of nodes) {
  const version = sh(nodeBin, ["--version"], app).stdout.trim()
  check(`${nodeName} is ${version}`, version.startsWith(nodeName === "Node 22" ? "v22." : "v24."))
  oneTrace(`${nodeName} withDurableTracing + dd-trace`, nodeBin, "build/ddtrace.js")
  oneTrace(`${nodeName} withDurableTracing + OpenTelemetry`, nodeBin, "build/otel.js")
  oneTrace(`${nodeName} DurableEffect + OpenTelemetry`, nodeBin, "build/effect.js")
  oneTrace(`${nodeName} datadog-lambda-js datadog() + DatadogExtractor`, nodeBin, "build/datadog.js", {
    DD_ENHANCED_METRICS: "false",
    DD_COLD_START_TRACING: "false",
    DD_MERGE_XRAY_TRACES: "false"
  })
  for (const [label, bundle] of bundles) oneTrace(`${nodeName} ${label}`, nodeBin, bundle)

  // Plugin mode reads (the caller's context in the input), draws spans and enriches log lines; it cannot write.
  const caller = {
    "x-datadog-trace-id": "1311768467463790320",
    "x-datadog-parent-id": "81985529216486895",
    "x-datadog-sampling-priority": "1"
  }
  const { run, seen } = runHandler(
    nodeBin,
    "build/plugin.js",
    { DURABLE_EXECUTION_PLUGINS: "@durable-trace/runtime/PluginProvider", DURABLE_TRACE_BACKEND: "dd-trace" },
    JSON.stringify({ orderId: "o-1", _datadog: caller })
  )
  const executes = seen.spans.filter((span) => span.name === "aws.durable.execute")
  const callerTrace = BigInt(caller["x-datadog-trace-id"]).toString(16).padStart(16, "0")
  const enriched = seen.lines.some((line) => line.includes("reserving") && /"dd\.trace_id"\s*:\s*"\d+"/.test(line))
  check(
    `${nodeName} DURABLE_EXECUTION_PLUGINS: loads, ${executes.length} execute spans, continues the caller, enriches logs`,
    run.status === 0 &&
      seen.summary?.status === "SUCCEEDED" &&
      executes.length === seen.summary.invocations &&
      executes[0]?.traceId.endsWith(callerTrace) === true &&
      seen.spans.some((span) => span.name === "aws.durable.step") &&
      enriched,
    `${run.stdout}\n${run.stderr}`
  )
}

// 4d. The CLI from the app's node_modules.
const cli = (...args: Array<string>) => sh("npx", ["--no-install", "durable-trace", ...args], app)
const shown = cli("inspect", fixture)
check(
  "npx durable-trace inspect <fixture>: exit 0, the report",
  shown.status === 0 && /_datadog_0/.test(shown.stdout),
  shown.stdout + shown.stderr
)
const json = cli("inspect", fixture, "--json")
let parsed = false
try {
  parsed = json.status === 0 && typeof JSON.parse(json.stdout) === "object"
} catch {}
check("npx durable-trace inspect --json: parses", parsed, json.stdout + json.stderr)
const missing = cli("inspect", join(work, "no-such-file.json"))
check(
  "npx durable-trace inspect <missing file>: exit 1, one line",
  missing.status === 1 && missing.stderr.trim().split("\n").length === 1,
  missing.stderr
)
const usage = cli("inspect", "--no-such-flag")
check("npx durable-trace inspect --no-such-flag: exit 2", usage.status === 2, usage.stdout + usage.stderr)

finish()

function finish(): never {
  const failed = results.filter((result) => !result.ok).length
  if (process.argv.includes("--keep")) console.log(`app kept in ${app}`)
  else rmSync(work, { recursive: true, force: true })
  console.log(`consumer: ${results.length - failed} passed, ${failed} failed`)
  process.exit(failed === 0 ? 0 : 1)
}
