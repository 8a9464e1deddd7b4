/**
 * The formatting behind `durable-trace inspect` and `durable-trace audit`: the text of a file or stdin decoded,
 * and the reports of core's analysis (`Inspection`, `ExecutionInspection`) for people or, as JSON, machines.
 * Nothing here decides: what a checkpoint holds and what the reader continues are core's.
 */

import { type CheckpointReport, REJECTION_MESSAGES } from "@durable-trace/core/CheckpointInspection"
import * as DurableEvent from "@durable-trace/core/DurableEvent"
import * as ExecutionHistory from "@durable-trace/core/ExecutionHistory"
import type { AuditReport, ExecutionReport } from "@durable-trace/core/ExecutionInspection"
import type * as Headers from "@durable-trace/core/Headers"
import type { InputKind, Report, Unreadable } from "@durable-trace/core/Inspection"
import * as Inspection from "@durable-trace/core/Inspection"
import type * as Reader from "@durable-trace/core/Reader"
import * as Option from "effect/Option"
import * as Result from "effect/Result"

/** Parses the text of a file or stdin: one line saying why when it is empty or not JSON. */
export const decode = (text: string): Result.Result<unknown, Unreadable> => {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
  if (body.trim().length === 0) {
    return Result.fail({ reason: "empty", message: "empty input: expected a durable invocation event or a state dump" })
  }
  try {
    return Result.succeed(JSON.parse(body))
  } catch (error) {
    const detail = error instanceof Error ? error.message.replace(/\s+/g, " ") : String(error)
    return Result.fail({ reason: "not_json", message: `not JSON: ${detail}` })
  }
}

/** `decode`, then `Inspection.inspectJson`. */
export const inspectText = (text: string): Result.Result<Report, Unreadable> =>
  Result.flatMap(decode(text), Inspection.inspectJson)

/** Any report as one JSON document: every field present, `null` where the report has nothing. */
export const reportToJson = (report: unknown): string =>
  JSON.stringify(report, (_key, value: unknown) => (value === undefined ? null : value), 2)

/** The file-mode report as JSON: the `--json` output. */
export const toJson = (report: Report): string => reportToJson(report)

const KIND_LABELS: Readonly<Record<InputKind, string>> = {
  event: "durable invocation event",
  state: "execution state (GetDurableExecutionState output)",
  operations: "operation list (test runner dump)"
}

const SOURCE_LABELS: Readonly<Record<Reader.Source, string>> = {
  checkpoint: "checkpoint",
  input_payload: "the caller's context in the execution input (no checkpoint yet)",
  none: "none: the invocation starts a new trace",
  extractor: "user extractor",
  event: "event-source carrier",
  client_context: "Lambda client context"
}

const indent = (lines: ReadonlyArray<string>, by = "    "): Array<string> => lines.map((line) => `${by}${line}`)

const headerLines = (headers: Headers.Headers | undefined): Array<string> =>
  headers === undefined ? [] : Object.keys(headers).map((key) => `${key}: ${headers[key]}`)

const checkpointLines = (c: CheckpointReport): Array<string> => {
  const id = c.id === undefined ? "no id" : `id ${c.id} (${c.idForm})`
  const size =
    c.payloadBytes !== undefined
      ? `${c.payloadBytes} bytes`
      : c.problems.some((p) => p.code === "no_payload")
        ? "no payload"
        : "size unknown"
  const lines = [`${c.valid ? "valid  " : "INVALID"} ${c.name}  N=${c.n ?? "-"}  ${id}  operation #${c.index}, ${size}`]
  for (const problem of c.problems) lines.push(`    why: ${problem.message}`)
  for (const d of c.dropped) lines.push(`    dropped: ${d.key} (${d.why})`)
  lines.push(...indent(headerLines(c.headers)))
  return lines
}

/** The report for people: sections for checkpoints, the context continued, the anchor and warnings. */
export const format = (report: Report): string => {
  const { input, checkpoints, next, anchor, warnings } = report
  const lines: Array<string> = [
    `Input: ${KIND_LABELS[input.kind]}${input.executionArn === undefined ? "" : `, execution ${input.executionArn}`}`,
    `  ${input.operations} operation${input.operations === 1 ? "" : "s"} on the first page${
      input.nextMarker === undefined
        ? ", no further pages"
        : `, NextMarker ${input.nextMarker} (further pages not read)`
    }`,
    "",
    `Checkpoints (_datadog_* operations): ${checkpoints.length === 0 ? "none" : checkpoints.length}`
  ]
  for (const c of checkpoints) lines.push(...indent(checkpointLines(c), "  "))
  lines.push("", "Continues")
  lines.push(`  source: ${next.source === "checkpoint" ? `checkpoint ${next.checkpoint}` : SOURCE_LABELS[next.source]}`)
  if (next.traceId !== undefined) lines.push(`  trace id: ${next.traceId} (dd.trace_id ${next.traceIdDecimal})`)
  if (next.parentId !== undefined) lines.push(`  parent id: ${next.parentId} (decimal ${next.parentIdDecimal})`)
  for (const s of next.skipped) lines.push(`  skipped: ${s.name} (${s.reason})`)
  if (next.paging !== undefined) {
    lines.push(
      next.paging.readerWouldPage
        ? "  paging: the reader would page past the first page; not done here (page 1 only)"
        : "  paging: further pages not read; neither would the reader (page 1 has a valid checkpoint)"
    )
  }
  for (const f of next.failures) lines.push(`  integration_errors: location ${f.location}, error_type ${f.errorType}`)
  lines.push("", "Anchor")
  if (anchor === undefined) {
    lines.push("  none: no valid checkpoint (the first invocation that suspends anchors the trace at its execute span)")
  } else {
    lines.push(`  ${anchor.parentId} (decimal ${anchor.decimal}), from ${anchor.checkpoint}`)
    lines.push(
      anchor.shared
        ? "  shared by every valid checkpoint"
        : `  NOT shared: ${anchor.disagreeing.map((d) => `${d.name} has ${d.parentId}`).join(", ")}`
    )
  }
  lines.push("", `Warnings: ${warnings.length === 0 ? "none" : warnings.length}`)
  for (const w of warnings) lines.push(`  - [${w.code}] ${w.message}`)
  return `${lines.join("\n")}\n`
}

const continuedLine = (continued: ExecutionHistory.Invocation["continued"]): string =>
  continued.source === "checkpoint"
    ? `continued ${continued.checkpoint}: trace ${continued.traceId}, parent ${continued.parentId}`
    : `continued ${SOURCE_LABELS[continued.source]}${continued.traceId === undefined ? "" : `: trace ${continued.traceId}, parent ${continued.parentId}`}`

const WRITER_LABELS: Readonly<Record<ExecutionHistory.Written["writer"], string>> = {
  "durable-trace": "durable-trace's id, which Datadog's Python writer gives too",
  "dd-trace-js": "dd-trace-js's id: dd-trace's own integration",
  none: "no known writer's id"
}

const writtenLine = (w: ExecutionHistory.Written): string => {
  const id = `id ${w.id ?? "none"}`
  if (w.valid) return `  wrote ${w.name}: trace ${w.traceId}, anchor ${w.parentId}, ${id} (${WRITER_LABELS[w.writer]})`
  // As the file mode says it (REJECTION_MESSAGES): a user's step named like a checkpoint is not one.
  if (w.writer === "none") {
    return `  wrote ${w.name}: not a checkpoint: ${REJECTION_MESSAGES["not a checkpoint id"]}, ${id}`
  }
  const why = w.problem === undefined ? "" : ` (${REJECTION_MESSAGES[w.problem]})`
  return `  wrote ${w.name}: NOT a valid checkpoint${why}, ${id} (${WRITER_LABELS[w.writer]})`
}

const invocationLines = (invocation: ExecutionHistory.Invocation): Array<string> => {
  const when =
    invocation.startTimestamp === undefined
      ? ""
      : `  ${invocation.startTimestamp} .. ${invocation.endTimestamp ?? "(in flight)"}`
  const lines = [
    `Invocation ${invocation.index}${invocation.requestId === undefined ? "" : `  request ${invocation.requestId}`}${when}`,
    `  started from ${invocation.operationsSeen} operation${invocation.operationsSeen === 1 ? "" : "s"}; ${continuedLine(invocation.continued)}`
  ]
  for (const skipped of invocation.continued.skipped) lines.push(`  skipped ${skipped.name} (${skipped.reason})`)
  if (invocation.wrote.length === 0) lines.push("  wrote no checkpoint")
  for (const w of invocation.wrote) lines.push(writtenLine(w))
  for (const b of invocation.breaks) lines.push(`  BROKEN [${b.code}] ${b.message}`)
  if (invocation.error !== undefined) lines.push(`  ended in error: ${invocation.error}`)
  return lines
}

/** The execution report for people: the verdict, each invocation, then the state as the file mode shows it. */
export const formatExecution = (report: ExecutionReport): string => {
  const { execution } = report
  const lines = [
    `Execution ${execution.arn}`,
    `  status ${execution.status ?? "unknown"}, started ${execution.startTimestamp ?? "?"}${execution.endTimestamp === undefined ? "" : `, ended ${execution.endTimestamp}`}; ${report.historyEvents} history events`,
    `Verdict: ${ExecutionHistory.describeVerdict(report.verdict)}`,
    ""
  ]
  for (const invocation of report.invocations) lines.push(...invocationLines(invocation), "")
  lines.push(
    `State now (${report.stateSource === "history" ? "rebuilt from the history" : "from GetDurableExecutionState, every page"}, as \`durable-trace inspect\` shows a state dump)`,
    ""
  )
  for (const line of format(report.state).trimEnd().split("\n")) lines.push(line.length === 0 ? "" : `  ${line}`)
  return `${lines.join("\n")}\n`
}

const pad = (text: string, width: number): string =>
  text.length >= width ? text : text + " ".repeat(width - text.length)

/** The audit for people: one row per execution, then the count per verdict. */
export const formatAudit = (report: AuditReport): string => {
  const lines = [
    `Function ${report.function}: ${report.executions.length} execution${report.executions.length === 1 ? "" : "s"} started since ${report.since} (limit ${report.limit})`,
    ""
  ]
  if (report.executions.length > 0) {
    const names = report.executions.map(
      (e) =>
        e.name ??
        Option.getOrElse(
          DurableEvent.parseExecutionArn(e.arn).pipe(Option.map((id) => `${id.name}/${id.id}`)),
          () => e.arn
        )
    )
    const width = Math.min(48, Math.max(9, ...names.map((n) => n.length)))
    lines.push(`${pad("EXECUTION", width)}  ${pad("STATUS", 9)}  ${pad("STARTED", 24)}  VERDICT`)
    report.executions.forEach((e, i) => {
      lines.push(
        `${pad(names[i]!, width)}  ${pad(e.status ?? "?", 9)}  ${pad(e.startTimestamp ?? "?", 24)}  ${e.description}`
      )
    })
    lines.push("")
  }
  lines.push("Summary")
  for (const tag of [...ExecutionHistory.VERDICTS, "error" as const]) {
    if (tag === "error" && report.summary.error === 0) continue
    lines.push(`  ${pad(tag, 15)} ${report.summary[tag]}`)
  }
  return `${lines.join("\n")}\n`
}
