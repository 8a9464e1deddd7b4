/**
 * `pnpm fuzz`: the long fuzz run (issue 8), outside `pnpm test`. Runs the same fuzz targets as the test sample
 * (the reader, `Headers.fromCarrier`, the inspect CLI's parser; over arbitrary JSON, generated events and
 * mutations of real events captured from the local runner) with a time budget per target, then prints the
 * cases run per target. Default: 75 s per target, about 5 minutes on 2 cores (the two test files run in
 * parallel). Options: `--seconds-per-target N` (or `FUZZ_SECONDS`), `--seed N` (or `FUZZ_SEED`; a failure
 * prints the seed and case that replay it).
 */
import { spawn } from "node:child_process"
import { join } from "node:path"

import type { TargetReport } from "../packages/core/test/fuzz/Targets.ts"

const root = join(import.meta.dirname, "..")

const FILES = [
  "packages/core/test/fuzz/Reader.fuzz.test.ts",
  "packages/core/test/fuzz/Hostile.fuzz.test.ts",
  "packages/runtime/test/hygiene.fuzz.test.ts"
]

const option = (name: string, env: string | undefined): string | undefined => {
  const index = process.argv.indexOf(name)
  return index >= 0 ? process.argv[index + 1] : env
}

const seconds = Number(option("--seconds-per-target", process.env.FUZZ_SECONDS) ?? 75)
if (!Number.isFinite(seconds) || seconds <= 0) throw new Error("--seconds-per-target must be a positive number")
const seed = option("--seed", process.env.FUZZ_SEED) ?? String(Date.now() % 2 ** 31)

console.log(`fuzz: ${seconds} s per target, seed ${seed}`)
const started = Date.now()
const child = spawn(
  process.execPath,
  [
    join(root, "node_modules/vitest/vitest.mjs"),
    "run",
    ...FILES,
    // One worker per file: each is CPU-bound on its own core.
    "--maxWorkers",
    String(FILES.length),
    "--testTimeout",
    String((seconds + 120) * 1000)
  ],
  {
    cwd: root,
    env: { ...process.env, FUZZ_MILLIS: String(seconds * 1000), FUZZ_SEED: seed, FUZZ_REPORT: "1" },
    stdio: ["ignore", "pipe", "inherit"]
  }
)

const reports: Array<TargetReport> = []
let pending = ""
child.stdout.setEncoding("utf8")
child.stdout.on("data", (chunk: string) => {
  pending += chunk
  const lines = pending.split("\n")
  pending = lines.pop() ?? ""
  for (const line of lines) {
    const match = /FUZZ-REPORT (\{.*\})/.exec(line)
    if (match !== null) reports.push(JSON.parse(match[1]!) as TargetReport)
    else if (/FAIL|Violation|✓|×|Test Files|Tests/.test(line)) process.stdout.write(`${line}\n`)
  }
})

child.on("close", (code) => {
  const total = reports.reduce((sum, report) => sum + report.cases, 0)
  console.log("\ntarget | cases | seconds | slowest case (ms) | outcomes")
  for (const r of reports) {
    const outcomes = Object.entries(r.outcomes)
      .map(([outcome, count]) => `${outcome} ${count}`)
      .join(", ")
    console.log(`${r.target} | ${r.cases} | ${(r.millis / 1000).toFixed(0)} | ${r.slowestCaseMillis} | ${outcomes}`)
  }
  console.log(`total: ${total} cases in ${((Date.now() - started) / 1000).toFixed(0)} s, seed ${seed}`)
  process.exitCode = code ?? 1
})
