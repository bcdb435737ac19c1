/** A duration in the largest whole unit cfg.yaml would use (`5m`, `1h`), `-` when unset. */
export function duration(ms: number | undefined): string {
  if (ms === undefined) return '-'
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms % 1_000 === 0) return `${ms / 1_000}s`
  return `${ms}ms`
}

/** A count with thousands separators, the way limits are written in docs/configuration.md (12,000). */
export function count(n: number): string {
  return n.toLocaleString('en-US')
}

const MS_PER_UNIT: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** What `--since` accepts, for usage texts and errors. */
export const SINCE_FORMAT = 'an ISO 8601 time (2026-11-26T10:00:00Z) or an age: a number with s, m, h, d or w (30m, 2h, 1d)'

/**
 * Reads a `--since` value: an age before `now` (`30m`, `2h`, `1d`) or an ISO 8601 time. Undefined
 * when it is neither, so the caller can say what to write instead.
 */
export function parseSince(text: string, now: Date): Date | undefined {
  const age = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(text.trim())
  if (age) return new Date(now.getTime() - Number(age[1]) * MS_PER_UNIT[age[2]!.toLowerCase()]!)
  // Only ISO-like times: Date also reads "2" or "March 7" in the local zone, which is never meant here.
  if (!/^\d{4}-\d{2}-\d{2}/.test(text.trim())) return undefined
  const time = new Date(text.trim())
  return Number.isNaN(time.getTime()) ? undefined : time
}

/** `1 delivery`, `2 deliveries`: a count with its noun in the right number. */
export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}
