/**
 * Time budgets under the Lambda deadline (SPEC §4.1, §3.3b). The reader's paging and the suspend write are
 * awaited inside the invocation, so each has a bound of its own, cut to what is left before the deadline minus
 * a margin kept free for the SDK to return. A budget of zero or less means: do not start.
 */

/** Options of `budget`. */
export interface BudgetOptions {
  /** The step's own bound, ms. */
  readonly boundMillis: number
  /** Epoch ms by which the invocation must have returned; undefined when unknown. */
  readonly deadline: number | undefined
  /** Epoch ms now. */
  readonly now: number
  /** Time kept free before the deadline, ms. */
  readonly marginMillis: number
}

/** Milliseconds the step may take: its bound, or less when the deadline is nearer. */
export const budget = ({ boundMillis, deadline, now, marginMillis }: BudgetOptions): number =>
  deadline === undefined ? boundMillis : Math.min(boundMillis, deadline - now - marginMillis)
