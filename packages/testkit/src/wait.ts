import { setTimeout as delay } from 'node:timers/promises'

/** How long `waitFor` polls, and what its timeout error names. */
export interface WaitOptions {
  /** Give up after this long; generous, since the machine running the tests may be busy. Default 20 s. */
  readonly timeoutMs?: number
  /** Pause between two checks. Default 50 ms. */
  readonly intervalMs?: number
  /** What is awaited, for the timeout error: "the batch to be sent". */
  readonly what?: string
  /** More to report on a timeout, read only then: a service's recent output, the answers seen. */
  readonly describe?: () => string
}

/**
 * Polls `check` until it returns a truthy value and returns that value: tests wait for a state,
 * never for a fixed time. A check that throws counts as "not yet" (its last error is reported).
 * After `timeoutMs` it throws, naming `what` and the last value or error seen.
 */
export async function waitFor<T>(check: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 20_000, intervalMs = 50, what = 'the condition' } = options
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value) return value
      last = value
    } catch (error) {
      last = error
    }
    if (Date.now() >= deadline) {
      const seen = last instanceof Error ? last.message : JSON.stringify(last)
      const details = options.describe ? `\n${options.describe()}` : ''
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}${details}`)
    }
    await delay(intervalMs)
  }
}

/**
 * Waits until the clock has passed `instant` (ms since the epoch): for a test whose subject is a
 * deadline (an aggregation window that must end while no dispatcher runs), not a stand-in for a
 * state that could be polled instead.
 */
export async function waitUntil(instant: number): Promise<void> {
  // A timer may fire a millisecond before the clock says its time has come: wait again then.
  for (let left = instant - Date.now(); left > 0; left = instant - Date.now()) await delay(left)
}
