/**
 * Puts back the idle time the local runner skips. With `skipTime` the runner starts the next invocation as soon as
 * the last one suspended, however long the service scheduled it to wait (a retry in 5 minutes, the end of a
 * one-day wait), so a local run's spans are all on a clock that never waited. What was skipped is read from what
 * the service recorded, in the execution's history: each timer it set (a wait's `ScheduledEndTimestamp`, a failed
 * attempt's `NextAttemptDelaySeconds`) and when each invocation really started. Shifting every timestamp by what
 * was skipped before it gives the timeline a deployed execution would have. Pure.
 *
 * The gotcha: every timestamp must be on the real clock. The runner also installs a fake `Date`, which it jumps
 * towards a timer's end only while some fake timer is pending (`fakeClock.countTimers() > 0`): so the fake clock
 * is no measure of what was skipped, and a time read off it cannot be told from a real one. The demo gives the
 * process its real `Date` back once the runner is set up (`main.ts`); the runner's fake timers stay.
 */

/** The fields of a history event (`@aws-sdk/client-lambda`'s `Event`) this module reads. */
export interface HistoryEvent {
  readonly EventType?: string | undefined
  readonly EventTimestamp?: Date | undefined
  readonly WaitStartedDetails?: { readonly ScheduledEndTimestamp?: Date | undefined } | undefined
  readonly StepFailedDetails?:
    | { readonly RetryDetails?: { readonly NextAttemptDelaySeconds?: number | undefined } | undefined }
    | undefined
  readonly InvocationCompletedDetails?: { readonly StartTimestamp?: Date | undefined } | undefined
}

/** A timer the service set: when (`set`) and for when (`due`). Epoch milliseconds, real clock. */
export interface Timer {
  readonly set: number
  readonly due: number
}

/** What the service recorded: each invocation's real start, and the timers it set. */
export interface ServiceTimes {
  readonly invocations: ReadonlyArray<number>
  readonly timers: ReadonlyArray<Timer>
}

/** The service's times from an execution's history (the local runner's `getHistoryEvents()`). */
export const serviceTimes = (history: ReadonlyArray<HistoryEvent>): ServiceTimes => {
  const invocations: Array<number> = []
  const timers: Array<Timer> = []
  for (const event of history) {
    const set = event.EventTimestamp?.getTime()
    const started = event.InvocationCompletedDetails?.StartTimestamp?.getTime()
    if (event.EventType === "InvocationCompleted" && started !== undefined) invocations.push(started)
    if (set === undefined) continue
    const scheduledEnd = event.WaitStartedDetails?.ScheduledEndTimestamp?.getTime()
    if (event.EventType === "WaitStarted" && scheduledEnd !== undefined) timers.push({ set, due: scheduledEnd })
    const delay = event.StepFailedDetails?.RetryDetails?.NextAttemptDelaySeconds
    if (event.EventType === "StepFailed" && delay !== undefined) timers.push({ set, due: set + delay * 1000 })
  }
  return { invocations: invocations.sort((a, b) => a - b), timers }
}

/**
 * For each invocation, by real start: the total time skipped before it. An invocation resumed by a timer would
 * have started, deployed, when the first timer set during the invocation before it fell due; locally it started
 * at once, so the difference was skipped. An invocation resumed otherwise (a callback, whose completion the
 * runner records on the real clock) skipped nothing. A timer set during an invocation and due within it (a short
 * wait the SDK waits out in process) skips nothing either.
 */
export const skippedBefore = (times: ServiceTimes): Array<{ real: number; skipped: number }> => {
  const starts = [...times.invocations].sort((a, b) => a - b)
  let total = 0
  return starts.map((real, i) => {
    const previous = starts[i - 1]
    if (previous !== undefined) {
      const dues = times.timers.filter((t) => t.set >= previous && t.set < real).map((t) => t.due)
      if (dues.length > 0) total += Math.max(Math.min(...dues) - real, 0)
    }
    return { real, skipped: total }
  })
}

/** A map from real time to the execution's timeline: `t` plus what was skipped before it. Monotone. */
export const unskip = (times: ServiceTimes): ((t: number) => number) => {
  const steps = skippedBefore(times)
  return (t) => {
    let skipped = 0
    for (const step of steps) {
      if (step.real > t) break
      skipped = step.skipped
    }
    return t + skipped
  }
}
