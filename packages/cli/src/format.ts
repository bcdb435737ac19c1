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
