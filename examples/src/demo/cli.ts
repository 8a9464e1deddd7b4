/**
 * The demo's command line, parsed without side effects so a test can check it: `--help`, and a one-line error
 * (never a stack trace) for an unknown option, a missing value or an unknown backend or mode.
 */
import { parseArgs } from "node:util"

export const USAGE = `Usage: pnpm demo [--backend dd-trace|otel] [--mode continuous|linked] [--out file.html]

Runs an order workflow (reserve stock, wait for a payment callback, charge with a retry after 5 minutes, wait a
day, ship) on the durable SDK's local runner, traced by durable-trace, prints the trace as a tree and writes a
waterfall page.

  --backend  dd-trace (default; also: datadog) or otel (also: opentelemetry)
  --mode     continuous (default: one trace across all invocations) or linked (one trace per invocation, joined
             by span links to the anchor and the previous invocation)
  --out      where to write the waterfall page (default: examples/out/trace.html)
  --help     this text`

export type Backend = "dd-trace" | "otel"
export type Mode = "continuous" | "linked"

export type Cli =
  | { readonly _tag: "Run"; readonly backend: Backend; readonly mode: Mode; readonly out: string }
  | { readonly _tag: "Help" }
  | { readonly _tag: "Invalid"; readonly message: string }

const BACKENDS: Record<string, Backend> = {
  "dd-trace": "dd-trace",
  datadog: "dd-trace",
  otel: "otel",
  opentelemetry: "otel"
}

export const parseCli = (args: ReadonlyArray<string>, defaultOut: string): Cli => {
  let values: { backend?: string | undefined; mode?: string | undefined; out?: string | undefined; help?: boolean }
  try {
    values = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        backend: { type: "string" },
        mode: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" }
      }
    }).values
  } catch (error) {
    // node:util's messages are one sentence, sometimes followed by a hint on the next line.
    return { _tag: "Invalid", message: String((error as Error).message).split("\n")[0]! }
  }
  if (values.help) return { _tag: "Help" }
  const backend = BACKENDS[values.backend ?? "dd-trace"]
  if (backend === undefined)
    return { _tag: "Invalid", message: `--backend ${values.backend}: expected dd-trace or otel` }
  const mode = values.mode ?? "continuous"
  if (mode !== "continuous" && mode !== "linked") {
    return { _tag: "Invalid", message: `--mode ${mode}: expected continuous or linked` }
  }
  return { _tag: "Run", backend, mode, out: values.out ?? defaultOut }
}
