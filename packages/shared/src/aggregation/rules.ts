import type { AggregationSettings } from '../config/types.js'

// The aggregation rules (Aggregate-Issues-Number, Aggregate-Issues-Timeout), written once: ingest
// plans held deliveries with them, the store's flush decides a batch with them, and the
// dispatcher's flush processor and window relay schedule flushes with them. A window is the set
// of held deliveries of one (output, audience); it opens at its first held delivery.

/** Whether an output holds its deliveries for aggregation: it has a count (> 1) or a window length. */
export function isAggregated(settings: AggregationSettings): boolean {
  return settings.issuesNumber !== undefined || settings.timeoutMs !== undefined
}

/** When a window opened at `openedAt` ends, or null when the output aggregates by count only. */
export function windowEnd(openedAt: Date, settings: AggregationSettings): Date | null {
  return settings.timeoutMs === undefined ? null : new Date(openedAt.getTime() + settings.timeoutMs)
}

/** Whether an output flushes by count (Aggregate-Issues-Number > 1), so counting what is held matters. */
export function flushesByCount(settings: AggregationSettings): boolean {
  return settings.issuesNumber !== undefined
}

/** Whether a window holding `held` deliveries has reached Aggregate-Issues-Number and flushes at once. */
export function isFull(held: number, settings: AggregationSettings): boolean {
  return settings.issuesNumber !== undefined && held >= settings.issuesNumber
}

/**
 * Whether a window ending at `flushAt` (null: no time limit) is due at `now`; always, when the
 * output no longer aggregates (a reload removed its keys), so what it still holds goes out.
 */
export function isDue(flushAt: Date | null, now: Date, settings: AggregationSettings): boolean {
  return !isAggregated(settings) || (flushAt !== null && flushAt.getTime() <= now.getTime())
}

/** Whether a window holding `held` deliveries must be flushed now, whatever its end: full, or no longer aggregated. */
export function mustFlushNow(held: number, settings: AggregationSettings): boolean {
  return !isAggregated(settings) || isFull(held, settings)
}

/** How many of `held` deliveries one flush takes: at most Aggregate-Issues-Number, the oldest first. */
export function batchSize(held: number, settings: AggregationSettings): number {
  return settings.issuesNumber === undefined ? held : Math.min(held, settings.issuesNumber)
}

/** The key of the window of `output` for `audience` ('' for an output with fixed recipients). */
export function windowKey(output: string, audience: string): string {
  return `${output}\u001f${audience}`
}
