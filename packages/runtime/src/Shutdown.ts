/**
 * Flushing when the process is told to stop, without changing what the signal does (SPEC §4.8). A SIGTERM
 * listener alone would swallow the signal: Node's default (die by SIGTERM) applies only while nobody listens.
 * So on SIGTERM every registered task (backend flushes, runtime disposal) gets at most `SHUTDOWN_FLUSH_MILLIS`,
 * and then, if no one else listens to SIGTERM, the signal is raised again and the process dies by it, as it
 * would have untraced. If the application listens too, it already decided what SIGTERM does; nothing is
 * re-raised. Gotcha: worker threads (Lambda Managed Instances) receive no signals, so this is a last resort:
 * each invocation's spans are flushed before it returns.
 */

/** Longest the SIGTERM flush may delay the signal, ms: within the time Lambda leaves a runtime after SIGTERM. */
export const SHUTDOWN_FLUSH_MILLIS = 300

const SIGNAL = "SIGTERM"

// Captured at load: a test runner that fakes timers later must not stall the bound.
const realSetTimeout = globalThis.setTimeout
const realClearTimeout = globalThis.clearTimeout

const tasks = new Set<() => Promise<unknown>>()
let installed = false

/** Settles when every task settled or `millis` passed, whichever is first; never rejects. */
export const settleWithin = (work: ReadonlyArray<() => Promise<unknown>>, millis: number): Promise<void> => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const bound = new Promise<void>((resolve) => {
    timer = realSetTimeout(resolve, millis)
    timer.unref?.()
  })
  const all = Promise.allSettled(
    work.map((task) => {
      try {
        return task()
      } catch (cause) {
        return Promise.reject(cause)
      }
    })
  ).then(() => undefined)
  return Promise.race([all, bound]).finally(() => realClearTimeout(timer))
}

const onSignal = (): void => {
  // `once` removed this listener before calling it: any listener left is the application's.
  const handledElsewhere = process.listenerCount(SIGNAL) > 0
  void settleWithin([...tasks], SHUTDOWN_FLUSH_MILLIS).then(() => {
    if (!handledElsewhere && process.listenerCount(SIGNAL) === 0) process.kill(process.pid, SIGNAL)
  })
}

/**
 * Runs `task` (bounded) when the process receives SIGTERM, then lets the signal take its course. Returns a
 * function that unregisters it.
 */
export const onShutdown = (task: () => Promise<unknown>): (() => void) => {
  tasks.add(task)
  if (!installed) {
    installed = true
    process.once(SIGNAL, onSignal)
  }
  return () => {
    tasks.delete(task)
  }
}
