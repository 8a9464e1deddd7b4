/**
 * SIGTERM keeps its meaning (issue 14 item 2, SPEC §4.8): durable-trace flushes on SIGTERM, within a bound, and
 * then the signal does what it would have done untraced. Each case spawns a real process
 * (`fixtures/sigterm/child.ts`) that ran one execution on the local runner, sends it SIGTERM, and compares how it
 * ended with the untraced process. No timing is asserted: a flush that never settles must still end in death by
 * the signal.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"

const CHILD = fileURLToPath(new URL("./fixtures/sigterm/child.ts", import.meta.url))

/** How long a signalled child may live on before it counts as having swallowed SIGTERM (not a bound asserted). */
const STILL_ALIVE_MILLIS = 10_000

interface Ended {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
}

/** Spawns the child, waits for it to be ready, sends SIGTERM, and reports how it ended. */
const terminate = (args: ReadonlyArray<string>): Promise<Ended> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    let signalled = false
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += String(chunk)
      if (!signalled && stdout.includes("ready")) {
        signalled = true
        child.kill("SIGTERM")
        // A process that swallowed the signal would live on: end it, so the test reports it (as SIGKILL).
        setTimeout(() => child.kill("SIGKILL"), STILL_ALIVE_MILLIS).unref()
      }
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += String(chunk)
    })
    child.on("error", reject)
    child.on("exit", (code, signal) => {
      if (!signalled) reject(new Error(`child ended before it was ready (${code ?? signal}): ${stderr}`))
      else resolve({ code, signal, stdout })
    })
  })

describe("SIGTERM: a bounded flush, then the signal's own effect", () => {
  it("untraced, traced and DurableEffect processes all die by SIGTERM", async () => {
    const untraced = await terminate(["untraced"])
    assert.deepStrictEqual([untraced.code, untraced.signal], [null, "SIGTERM"], "the reference")
    for (const mode of ["traced", "effect"]) {
      const traced = await terminate([mode])
      assert.include(traced.stdout, "ready SUCCEEDED")
      assert.deepStrictEqual([traced.code, traced.signal], [untraced.code, untraced.signal], mode)
    }
  })

  it("a flush that never settles still ends in death by the signal", async () => {
    for (const mode of ["traced", "effect"]) {
      const stalled = await terminate([mode, "--stalled"])
      assert.deepStrictEqual([stalled.code, stalled.signal], [null, "SIGTERM"], mode)
    }
  })

  it("when the application listens to SIGTERM itself, its listener decides, as untraced", async () => {
    const untraced = await terminate(["untraced", "--own-listener"])
    assert.deepStrictEqual([untraced.code, untraced.signal], [7, null], "the reference")
    const traced = await terminate(["traced", "--own-listener"])
    assert.deepStrictEqual([traced.code, traced.signal], [7, null])
    assert.include(traced.stdout, "own listener")
  })
})
