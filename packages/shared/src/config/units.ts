import type { RateLimit } from './types.js'

/** The outcome of parsing one value: the value, or a message saying what is wrong and what is accepted. */
export type UnitResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string }

const MS_PER_UNIT: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
}

const KIB = 1024
const BYTES_PER_UNIT: Readonly<Record<string, number>> = {
  b: 1,
  kb: KIB,
  kib: KIB,
  mb: KIB ** 2,
  mib: KIB ** 2,
  gb: KIB ** 3,
  gib: KIB ** 3,
  tb: KIB ** 4,
  tib: KIB ** 4,
}

const RATE_PERIOD_MS: Readonly<Record<string, number>> = {
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
}

const AMOUNT_WITH_UNIT = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i

function ok<T>(value: T): UnitResult<T> {
  return { ok: true, value }
}

function fail<T>(error: string): UnitResult<T> {
  return { ok: false, error }
}

// One scanner for durations and sizes: a non-negative amount, an optional unit from the table,
// and a bare number read in `bareUnit` (the seed's rule differs per key: seconds, megabytes).
function parseAmount(value: string | number, table: Readonly<Record<string, number>>, bareUnit: string): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? value * (table[bareUnit] ?? 1) : undefined
  }
  const match = AMOUNT_WITH_UNIT.exec(value.trim())
  if (!match) return undefined
  const unit = (match[2] ?? '').toLowerCase() || bareUnit
  const multiplier = table[unit]
  return multiplier === undefined ? undefined : Number(match[1]) * multiplier
}

/**
 * Parses a duration such as `30s`, `5m`, `1h`, `1d` or `250ms` (units case-insensitive) into
 * milliseconds. A bare number is seconds, as the seed's Aggregate-Issues-Timeout reads it.
 */
export function parseDuration(value: string | number): UnitResult<number> {
  const ms = parseAmount(value, MS_PER_UNIT, 's')
  if (ms === undefined) {
    return fail('is not a duration; write a number with a unit: ms, s, m, h or d (e.g. 30s, 5m, 1h, 1d); a bare number is seconds')
  }
  return ok(Math.round(ms))
}

/**
 * Parses a size such as `500MB`, `1GB`, `512KB`, `10B` (also KiB/MiB/GiB/TiB; case-insensitive;
 * every multiplier is 1024) into bytes. A bare number is megabytes: that is how the seed's
 * Max_DB_Size was always read, and Max-Body-Size follows the same rule so the two never disagree.
 */
export function parseSize(value: string | number): UnitResult<number> {
  const bytes = parseAmount(value, BYTES_PER_UNIT, 'mb')
  if (bytes === undefined) {
    return fail('is not a size; write a number with a unit: B, KB, MB, GB or TB (e.g. 500MB, 1GB); a bare number is MB')
  }
  return ok(Math.floor(bytes))
}

/**
 * Parses a rate limit `N/s`, `N/m` or `N/h` (N a whole number ≥ 1; `sec`, `min`, `hour` also
 * accepted) into a RateLimit; `off` gives undefined, meaning unlimited.
 */
export function parseRateLimit(value: string): UnitResult<RateLimit | undefined> {
  const text = value.trim().toLowerCase()
  if (text === 'off') return ok(undefined)
  const match = /^(\d+)\s*\/\s*([a-z]+)$/.exec(text)
  const perMs = match ? RATE_PERIOD_MS[match[2] ?? ''] : undefined
  const max = match ? Number(match[1]) : 0
  if (perMs === undefined || max < 1) {
    return fail('is not a rate limit; write N/s, N/m or N/h with N ≥ 1 (e.g. 1/s, 30/m), or off for no limit')
  }
  return ok({ max, perMs })
}
