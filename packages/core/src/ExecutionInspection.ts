/**
 * The live reports behind `durable-trace inspect --execution` and `durable-trace audit`: core's
 * `ExecutionHistory` analysis of an execution composed with the file-mode report (`Inspection`) of its state now,
 * and a function's recent executions counted by verdict. Pure: the fetching is `DurableExecutions`'.
 */
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import type { Audited, ExecutionSummary, FetchedExecution } from "./DurableExecutions.ts"
import * as ExecutionHistory from "./ExecutionHistory.ts"
import { inspect, type Report } from "./Inspection.ts"

/** `durable-trace inspect --execution`: the execution, its invocations in order, the verdict, and its state now. */
export interface ExecutionReport {
  readonly execution: ExecutionSummary
  /** History events read, over every page. */
  readonly historyEvents: number
  readonly verdict: ExecutionHistory.Verdict
  readonly invocations: ReadonlyArray<ExecutionHistory.Invocation>
  /** Where `state` comes from: `GetDurableExecutionState` (given a checkpoint token), else rebuilt from the history. */
  readonly stateSource: "GetDurableExecutionState" | "history"
  /** The file-mode report of the state now: every checkpoint, the anchor, every warning. */
  readonly state: Report
}

const checkpointKeys = (report: Report): string =>
  report.checkpoints
    .map((c) => `${c.name}/${c.id ?? ""}`)
    .sort()
    .join(",")

/**
 * Analyses a fetched execution (`DurableExecutions.fetchExecution`). The state section is the state read from
 * `GetDurableExecutionState` when there is one (with a warning if its checkpoints are not the history's), else
 * the state rebuilt from the history.
 */
export const inspectExecution = (fetched: FetchedExecution): ExecutionReport => {
  const { execution, events } = fetched
  const analysis = ExecutionHistory.analyse(execution.arn, events, execution.status)
  const asEvent = (operations: ReadonlyArray<unknown>) =>
    Result.getOrThrow(
      inspect({ DurableExecutionArn: execution.arn, InitialExecutionState: { Operations: operations } })
    )
  const rebuilt = asEvent(analysis.operations)
  const read = Option.map(fetched.operations, asEvent)
  const state = Option.match(read, {
    onNone: () => rebuilt,
    onSome: (fromState): Report =>
      checkpointKeys(fromState) === checkpointKeys(rebuilt)
        ? fromState
        : {
            ...fromState,
            warnings: [
              ...fromState.warnings,
              {
                code: "state_history_mismatch",
                message: `GetDurableExecutionState lists checkpoints ${checkpointKeys(fromState) || "none"}, the history ${checkpointKeys(rebuilt) || "none"}`
              }
            ]
          }
  })
  return {
    execution,
    historyEvents: events.length,
    verdict: analysis.verdict,
    invocations: analysis.invocations,
    stateSource: Option.isSome(read) ? "GetDurableExecutionState" : "history",
    state
  }
}

/** `durable-trace audit`: a function's recent executions, each classified. */
export interface AuditReport {
  readonly function: string
  /** ISO 8601. */
  readonly since: string
  readonly limit: number
  readonly executions: ReadonlyArray<{
    readonly arn: string
    readonly name: string | undefined
    readonly status: string | undefined
    readonly startTimestamp: string | undefined
    readonly verdict: ExecutionHistory.Verdict | undefined
    readonly description: string
    /** Set when the history could not be read. */
    readonly error: string | undefined
  }>
  /** Executions per verdict, and `error` for unreadable ones. */
  readonly summary: Readonly<Record<ExecutionHistory.Verdict["_tag"] | "error", number>>
}

/** The audit report of `DurableExecutions.audit`'s result. */
export const auditReport = (
  functionName: string,
  since: Date,
  limit: number,
  audited: ReadonlyArray<Audited>
): AuditReport => {
  const summary: Record<ExecutionHistory.Verdict["_tag"] | "error", number> = {
    continuous: 0,
    broken: 0,
    no_checkpoint: 0,
    other_writer: 0,
    corrupt_latest: 0,
    running: 0,
    error: 0
  }
  const executions = audited.map(({ execution, analysis }) => {
    const verdict = Result.isSuccess(analysis) ? analysis.success.verdict : undefined
    summary[verdict?._tag ?? "error"]++
    return {
      arn: execution.arn,
      name: execution.name,
      status: execution.status,
      startTimestamp: execution.startTimestamp,
      verdict,
      description: Result.isSuccess(analysis)
        ? ExecutionHistory.describeVerdict(analysis.success.verdict)
        : `unreadable: ${analysis.failure.message}`,
      error: Result.isFailure(analysis) ? analysis.failure.message : undefined
    }
  })
  return { function: functionName, since: since.toISOString(), limit, executions, summary }
}
