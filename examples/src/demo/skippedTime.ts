/**
 * Puts back the idle time the local runner skips. With `skipTime` the runner jumps a fake `Date` to when the
 * service scheduled the next invocation (a retry in 5 minutes, the end of a one-day wait), while the tracers and
 * the runner's checkpoint service keep the real clock: so a local run's spans are all on a clock that never
 * waited. Sampling both clocks at each invocation tells how much time was skipped before it; shifting every
 * timestamp by what was skipped before it gives the timeline a deployed execution would have. Pure.
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

/** A time read off the runner's fake clock, back on the real clock: less the fake clock's lead at the time. */
export const toReal = (samples: ReadonlyArray<ClockSample>): ((t: number) => number) => {
  const sorted = [...samples].sort((a, b) => a.simulated - b.simulated)
  return (t) => {
    let lead = 0
    for (const sample of sorted) {
      if (sample.simulated > t) break
      lead = sample.simulated - sample.real
    }
    return t - lead
  }
}

/** A time read off the runner's fake clock, on the execution's timeline. */
export const fromSimulated = (samples: ReadonlyArray<ClockSample>): ((t: number) => number) => {
  const real = toReal(samples)
  const shift = unskip(samples)
  return (t) => shift(real(t))
}
