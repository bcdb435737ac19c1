import { connectionHost } from '@postee/shared'
import type { Logger } from './logger.js'

/** A backing service a process depends on, as named in its logs and in `/readyz`. */
export type DependencyName = 'postgres' | 'redis'

const VARIABLE: Record<DependencyName, string> = { postgres: 'DATABASE_URL', redis: 'REDIS_URL' }

// Errors seen again this soon after a recovery are the stragglers of the outage (a second client
// still reconnecting), not a new outage worth a log line.
const RECOVERY_QUIET_MS = 2_000

/**
 * Whether one backing service answers, as the process last saw it. Every client error and every
 * success is reported here; the log gets one line when an outage starts and one when it ends
 * (naming the variable and the host, never the password), however many clients fail meanwhile.
 */
export class DependencyStatus {
  readonly variable: string
  readonly host: string
  #up: boolean
  #ever = false
  #downSince: number | undefined = Date.now()
  #lastError = 'not connected yet'
  #restoredAt = 0
  #lostLogged = false

  constructor(
    readonly name: DependencyName,
    url: string,
    private readonly log: Logger,
  ) {
    this.variable = VARIABLE[name]
    this.host = connectionHost(url)
    this.#up = false
  }

  /** True once the service answered and no connection error was seen since. */
  get up(): boolean {
    return this.#up
  }

  /** True once the service has answered at least once since the process started. */
  get everUp(): boolean {
    return this.#ever
  }

  /** The last connection error, for readiness answers and start-up logs. */
  get lastError(): string {
    return this.#lastError
  }

  /** Context for log lines about this dependency. */
  get context(): Record<string, string> {
    return { dependency: this.name, variable: this.variable, host: this.host }
  }

  /** A connection to the service failed or was lost. */
  lost(error: unknown): void {
    this.#lastError = error instanceof Error ? error.message : String(error)
    if (!this.#up) return
    this.#up = false
    this.#downSince = Date.now()
    const sinceRestore = Date.now() - this.#restoredAt
    if (sinceRestore >= RECOVERY_QUIET_MS) return this.#logLost()
    // Right after a recovery this may be a straggler (another client still reconnecting): the
    // outage is logged only if it lasts.
    setTimeout(() => {
      if (!this.#up) this.#logLost()
    }, RECOVERY_QUIET_MS - sinceRestore).unref()
  }

  #logLost(): void {
    this.#lostLogged = true
    this.log.warn(
      { ...this.context, err: this.#lastError },
      `${this.name} is unreachable at ${this.host} (${this.variable}): requests and jobs that need it fail or wait until it answers again`,
    )
  }

  /** The service answered. */
  restored(): void {
    if (this.#up) return
    this.#up = true
    const first = !this.#ever
    if (!first) this.#restoredAt = Date.now()
    this.#ever = true
    const downMs = this.#downSince === undefined ? 0 : Date.now() - this.#downSince
    this.#downSince = undefined
    if (first) this.log.info(this.context, `${this.name} answers at ${this.host} (${this.variable})`)
    else if (this.#lostLogged)
      this.log.info({ ...this.context, downMs }, `${this.name} is reachable again at ${this.host} (${this.variable})`)
    this.#lostLogged = false
  }

  /** Logs that the process is still waiting for this service (at start, before it ever answered). */
  logWaiting(): void {
    const waitedMs = this.#downSince === undefined ? 0 : Date.now() - this.#downSince
    this.log.warn(
      { ...this.context, err: this.#lastError, waitedMs },
      `waiting for ${this.name} at ${this.host} (${this.variable}); check that it runs and that ${this.variable} points at it`,
    )
  }
}

// pg and Postgres errors that mean "the connection is gone or never came", not "this statement is
// wrong": SQLSTATE class 08 (connection exception), 57P01-57P03 (shutdown, crash, starting up),
// 53300 (too many connections), plus what the pg client itself raises.
const PG_CONNECTION_MESSAGES =
  /Connection terminated|Query read timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Connection closed|connection is closed|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/i
const PG_CONNECTION_CODES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
])

/** Thrown instead of trying a dependency already known to be unreachable. */
export class DependencyUnavailableError extends Error {
  constructor(readonly dependency: DependencyName) {
    super(`${dependency} is unreachable; the process retries on its own once it answers again`)
    this.name = 'DependencyUnavailableError'
  }
}

/** True when a Postgres error says the database could not be reached, rather than that a statement failed. */
export function isPostgresConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  if (error instanceof DependencyUnavailableError) return error.dependency === 'postgres'
  if (error.cause instanceof Error && error.cause !== error && isPostgresConnectionError(error.cause)) return true
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' && (code.startsWith('08') || PG_CONNECTION_CODES.has(code))) return true
  return PG_CONNECTION_MESSAGES.test(error.message)
}

const REDIS_CONNECTION_MESSAGES =
  /Redis did not answer|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|Connection is closed|Stream isn't writeable|max retries per request|All sentinels are unreachable|connect ETIMEDOUT|Socket closed unexpectedly|LOADING/i

/** True when an ioredis or BullMQ error says Redis could not be reached. */
export function isRedisConnectionError(error: unknown): boolean {
  return error instanceof Error && (REDIS_CONNECTION_MESSAGES.test(error.message) || error.name === 'MaxRetriesPerRequestError')
}

/** Resolves or rejects like `promise`, or rejects with `message` after `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Probes a dependency until it answers, logging every `logEveryMs` while it does not; for the
 * start of a process, which waits instead of exiting. Resolves once `probe` succeeds, or when
 * `signal` aborts (the process is shutting down). Retries back off from 250 ms to `maxDelayMs`.
 */
export async function waitForDependency(
  status: DependencyStatus,
  probe: () => Promise<unknown>,
  options: {
    readonly logEveryMs?: number
    readonly maxDelayMs?: number
    readonly signal?: AbortSignal
    /** Which errors mean "not there yet" (retried); any other is thrown (e.g. a broken migration). */
    readonly retryIf?: (error: unknown) => boolean
  } = {},
): Promise<void> {
  const logEveryMs = options.logEveryMs ?? 5_000
  let delay = 250
  // The first line after a second of waiting: a normal start, where the clients connect within
  // milliseconds, logs none.
  let lastLog = Date.now() - logEveryMs + 1_000
  while (!options.signal?.aborted) {
    try {
      await probe()
      status.restored()
      return
    } catch (error) {
      if (options.retryIf && !options.retryIf(error)) throw error
      status.lost(error)
    }
    if (Date.now() - lastLog >= logEveryMs) {
      status.logWaiting()
      lastLog = Date.now()
    }
    await new Promise((resolve) => setTimeout(resolve, delay))
    delay = Math.min(delay * 2, options.maxDelayMs ?? 2_000)
  }
}
