/**
 * Puts back the idle time the local runner skips. With `skipTime` the runner jumps a fake `Date` to when the
 * service scheduled the next invocation (a retry in 5 minutes, the end of a one-day wait), while the tracers and
 * the runner's checkpoint service keep the real clock: so a local run's spans are all on a clock that never
 * waited. Sampling both clocks at each invocation tells how much time was skipped before it; shifting every
 * timestamp by what was skipped before it gives the timeline a deployed execution would have. Pure.
 *
 * Not every timestamp is on the real clock: the SDK and the runner's orchestrator read the fake `Date` (a wait's
 * end, a suspend), and so does OpenTelemetry's SDK when it starts a span; `timeline` sorts them out.
 *
 * The gotcha: the runner sets the fake clock to the schedule computed on the real clock, so the fake clock's lead
 * at an invocation is the time skipped before that invocation alone (not a running total), and it stays put when
 * nothing was skipped (a callback). A lead that did not move by more than `TOLERANCE_MS` means nothing was skipped.
 */

/** Both clocks, read as an invocation starts. Epoch milliseconds. */
export interface ClockSample {
  readonly real: number
  readonly simulated: number
}

/** Below this, a change in the fake clock's lead is its own drift (it advances in 20 ms ticks), not a skip. */
export const TOLERANCE_MS = 1000

/** For each invocation, by real start: the total time skipped before it. */
export const skippedBefore = (samples: ReadonlyArray<ClockSample>): Array<{ real: number; skipped: number }> => {
  const sorted = [...samples].sort((a, b) => a.real - b.real)
  let total = 0
  let lead = 0
  return sorted.map(({ real, simulated }) => {
    const next = simulated - real
    if (Math.abs(next - lead) > TOLERANCE_MS) total += Math.max(next, 0)
    lead = next
    return { real, skipped: total }
  })
}

/** A map from real time to the execution's timeline: `t` plus what was skipped before it. Monotone. */
export const unskip = (samples: ReadonlyArray<ClockSample>): ((t: number) => number) => {
  const steps = skippedBefore(samples)
  return (t) => {
    let skipped = 0
    for (const step of steps) {
      if (step.real > t) break
      skipped = step.skipped
    }
    return t + skipped
  }
}

/** The era (index into the samples by real start) a time read off the fake clock belongs to. */
const fakeEra = (sorted: ReadonlyArray<ClockSample>, t: number): number => {
  // The runner jumps the clock a few milliseconds before the invocation it schedules, so a time up to
  // `TOLERANCE_MS` before an invocation's sample already belongs to that invocation's era.
  let era = -1
  sorted.forEach((sample, i) => {
    if (sample.simulated <= t + TOLERANCE_MS) era = i
  })
  return era
}

/**
 * Any timestamp of a local run on the execution's timeline, whichever clock it was read from. A local run lasts
 * seconds of real time, so a time later than the real end of the run (`realEnd`, read when the run returned) by
 * more than `TOLERANCE_MS` was read off the fake clock after a jump: the SDK's and the runner's `Date.now()`,
 * OpenTelemetry's span starts. It goes back by the fake clock's lead in its era, forward by what was skipped up
 * to that era. Anything else is real (dd-trace, the checkpoint service in its worker thread) or on a fake clock
 * that had not jumped yet, where the two agree.
 */
export const timeline = (samples: ReadonlyArray<ClockSample>, realEnd: number): ((t: number) => number) => {
  const sorted = [...samples].sort((a, b) => a.real - b.real)
  const skipped = skippedBefore(sorted)
  const fromReal = unskip(sorted)
  return (t) => {
    if (t <= realEnd + TOLERANCE_MS) return fromReal(t)
    const era = fakeEra(sorted, t)
    if (era < 0) return t
    return t - (sorted[era]!.simulated - sorted[era]!.real) + skipped[era]!.skipped
  }
}
