/**
 * The delay before attempt `attempt + 1`, after `attempt` failed ones: exponential from `baseMs`,
 * capped at `capMs`, with "equal jitter" (half fixed, half random) so replicas that failed together
 * do not retry together, while the delay still grows.
 */
export function backoffDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const exponential = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1))
  return Math.round(exponential / 2 + random() * (exponential / 2))
}
