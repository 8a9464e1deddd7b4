/**
 * The timing harness shared by the benchmarks: interleaved rounds, per-operation medians and p95, and the
 * markdown helpers that print them. Cases are timed in batches long enough for the clock to resolve them, after
 * a warm-up, rotating their order each round so JIT and GC drift hit every case alike.
 * Gotcha: the durable test runner installs fake timers that replace `performance.now`; `now` is the real clock,
 * captured when this module loads, before any runner is set up.
 */

/** The real monotonic clock in milliseconds, whatever fake timers are installed later. */
export const now: () => number = performance.now.bind(performance)

/** Runs a full garbage collection between groups when the process has `--expose-gc`. */
export const gc = (): void => {
  ;(globalThis as { gc?: () => void }).gc?.()
}

/** Timings of one case, per operation, in milliseconds. */
export interface Stats {
  readonly median: number
  readonly p95: number
  readonly samples: number
}

/** One case: runs its operation `iterations` times and returns the elapsed milliseconds. */
export type Batch = (iterations: number) => number | Promise<number>

// Results are written here so the optimiser cannot drop a call whose value is unused.
let sink: unknown
/** The last value a case returned; read it to keep the compiler honest. */
export const lastResult = (): unknown => sink

/** A synchronous operation as a `Batch`. */
export const sync =
  (operation: () => unknown): Batch =>
  (iterations) => {
    const start = now()
    for (let i = 0; i < iterations; i++) sink = operation()
    return now() - start
  }

/** An asynchronous operation as a `Batch`: each call is awaited before the next starts. */
export const awaited =
  (operation: () => Promise<unknown>): Batch =>
  async (iterations) => {
    const start = now()
    for (let i = 0; i < iterations; i++) sink = await operation()
    return now() - start
  }

/** Options of `compare`. */
export interface CompareOptions {
  /** Rounds; each case gets one slot per round. */
  readonly rounds?: number
  /** Time each case is sampled for in one round, ms. */
  readonly slotMs?: number
  /** Warm-up per case before the first round, ms. */
  readonly warmupMs?: number
  /** Shortest batch, ms: cheap operations are repeated until a batch lasts this long. */
  readonly batchMs?: number
}

const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!

/** Median and p95 of `values`. */
export const stats = (values: ReadonlyArray<number>): Stats => {
  const sorted = [...values].sort((a, b) => a - b)
  return { median: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), samples: sorted.length }
}

/**
 * Times `cases` side by side: warm-up, then a batch size per case so one batch lasts at least `batchMs`, then
 * `rounds` rounds in rotating order. Returns per-operation statistics by case name.
 */
export const compare = async <K extends string>(
  cases: Readonly<Record<K, Batch>>,
  options: CompareOptions = {}
): Promise<Record<K, Stats>> => {
  const { rounds = 8, slotMs = 80, warmupMs = 150, batchMs = 2 } = options
  const names = Object.keys(cases) as Array<K>
  const iterations = {} as Record<K, number>
  for (const name of names) {
    const batch = cases[name]
    let n = 1
    const warmupEnd = now() + warmupMs
    while (now() < warmupEnd) {
      const elapsed = await batch(n)
      if (elapsed < batchMs) n = Math.min(n * 2, 1_000_000)
    }
    iterations[name] = n
  }
  const samples = Object.fromEntries(names.map((name) => [name, [] as Array<number>])) as Record<K, Array<number>>
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]!
      gc()
      const slotEnd = now() + slotMs
      do samples[name].push((await cases[name](iterations[name])) / iterations[name])
      while (now() < slotEnd)
    }
  }
  return Object.fromEntries(names.map((name) => [name, stats(samples[name])])) as Record<K, Stats>
}

/** Milliseconds as microseconds, three significant digits. */
export const micros = (ms: number): string => formatNumber(ms * 1000)

/** Milliseconds, three significant digits. */
export const millis = (ms: number): string => formatNumber(ms)

/** Nanoseconds per item of a `ms` total over `items`. */
export const nanosPer = (ms: number, items: number): string => formatNumber((ms * 1e6) / items)

/** `ours / theirs` as `0.42x`. */
export const ratio = (ours: number, theirs: number): string => `${(ours / theirs).toFixed(2)}x`

/** Three significant digits, no exponent, thousands separated. */
export const formatNumber = (value: number): string => {
  if (!Number.isFinite(value)) return String(value)
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : Math.abs(value) >= 1 ? 2 : 3
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

/** A markdown table. */
export const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string =>
  [header, header.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`).join("\n")
