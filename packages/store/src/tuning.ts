import { ConfigError, readRuntimeEnv, type ConfigProblem, type RuntimeEnv } from '@postee/shared'
import { relaySettingsFromEnv, type RelaySettings } from './relay.js'

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
 * Reads the tuning variables; throws a ConfigError (the format of every environment problem)
 * listing every variable that is not a whole number of milliseconds ≥ 100, so a typo stops the
 * start instead of turning into NaN timers.
 */
export function tuningFromEnv(env: NodeJS.ProcessEnv): ProcessTuning {
  const problems: ConfigProblem[] = []
  const read = ([name, fallback]: [string, number]): number => {
    const text = env[name]
    if (text === undefined || text.trim() === '') return fallback
    const value = Number(text)
    if (Number.isInteger(value) && value >= 100) return value
    problems.push({
      item: 'environment',
      key: name,
      message: `${JSON.stringify(text)} is not a whole number of milliseconds ≥ 100; write e.g. ${fallback}`,
    })
    return fallback
  }
  const tuning = Object.fromEntries(Object.entries(DEFAULTS).map(([key, spec]) => [key, read(spec)])) as unknown as ProcessTuning
  if (problems.length > 0) throw new ConfigError(problems, 'Invalid environment')
  return tuning
}

/** Everything a service reads from the environment. */
export interface ServiceEnv {
  readonly env: RuntimeEnv
  readonly tuning: ProcessTuning
  readonly relaySettings: RelaySettings
}

/**
 * Reads every environment setting of a service (runtime-env, tuning, relay) in one pass: throws
 * one ConfigError listing every bad variable of all three, so an operator fixes them in one round.
 */
export function readServiceEnv(env: NodeJS.ProcessEnv): ServiceEnv {
  const read = readEnvSettings(env, { env: readRuntimeEnv, tuning: tuningFromEnv, relaySettings: relaySettingsFromEnv })
  return { env: read.env, tuning: read.tuning, relaySettings: read.relaySettings }
}

/**
 * Runs every reader on the environment and returns what each read; throws one ConfigError that
 * lists the problems of all of them, so a service with settings of its own still reports every
 * bad variable in one round.
 */
export function readEnvSettings<R extends Record<string, (env: NodeJS.ProcessEnv) => unknown>>(
  env: NodeJS.ProcessEnv,
  readers: R,
): { readonly [K in keyof R]: ReturnType<R[K]> } {
  const problems: ConfigProblem[] = []
  const values: Record<string, unknown> = {}
  for (const [name, read] of Object.entries(readers)) {
    try {
      values[name] = read(env)
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      problems.push(...error.problems)
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, 'Invalid environment')
  return values as { readonly [K in keyof R]: ReturnType<R[K]> }
}
