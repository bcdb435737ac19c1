/** Process tuning from the environment (docs/configuration.md, "Environment"), checked once at start. */
export interface ProcessTuning {
  /** POSTEE_LOCK_DURATION_MS: a dispatcher job's lock; a killed worker's jobs are free after it. */
  readonly lockMs: number
  /** POSTEE_STALLED_INTERVAL_MS: how often stalled jobs are looked for. */
  readonly stalledCheckMs: number
  /** POSTEE_DRAIN_GRACE_MS: how long SIGTERM lets in-flight deliveries finish. */
  readonly drainGraceMs: number
  /** POSTEE_RELAY_INTERVAL_MS: how often the relay runs. */
  readonly relayIntervalMs: number
}

const DEFAULTS: Record<keyof ProcessTuning, [string, number]> = {
  lockMs: ['POSTEE_LOCK_DURATION_MS', 30_000],
  stalledCheckMs: ['POSTEE_STALLED_INTERVAL_MS', 15_000],
  drainGraceMs: ['POSTEE_DRAIN_GRACE_MS', 20_000],
  relayIntervalMs: ['POSTEE_RELAY_INTERVAL_MS', 5_000],
}

/**
 * Reads the tuning variables; throws one error listing every variable that is not a whole number
 * of milliseconds ≥ 100, so a typo stops the start instead of turning into NaN timers.
 */
export function tuningFromEnv(env: NodeJS.ProcessEnv): ProcessTuning {
  const problems: string[] = []
  const read = ([name, fallback]: [string, number]): number => {
    const text = env[name]
    if (text === undefined || text.trim() === '') return fallback
    const value = Number(text)
    if (Number.isInteger(value) && value >= 100) return value
    problems.push(`${name} must be a whole number of milliseconds ≥ 100, not ${JSON.stringify(text)}`)
    return fallback
  }
  const tuning = Object.fromEntries(Object.entries(DEFAULTS).map(([key, spec]) => [key, read(spec)])) as unknown as ProcessTuning
  if (problems.length > 0) throw new Error(`invalid environment:\n  ${problems.join('\n  ')}`)
  return tuning
}
