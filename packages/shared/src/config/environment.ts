import { z } from 'zod'
import { Secret } from '../secret.js'
import { ConfigError } from './config-error.js'
import { HTTP_LIMIT_DEFAULTS, type HttpLimits } from './http-limits.js'
import { parseRedisTarget } from './redis-target.js'
import { LOG_LEVELS, parseListenAddress, type ListenAddress, type RuntimeEnv } from './runtime-env.js'
import type { ConfigProblem } from './types.js'
import { parseSize } from './units.js'

/** Process tuning of the workers and the relay (the POSTEE_*_MS timing variables). */
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

/** When the relay considers an in-flight delivery's job possibly missing. */
export interface RelaySettings {
  /** POSTEE_RELAY_UNQUEUED_MS: a pending row never enqueued (Redis was down at commit) is relayed after this long. */
  readonly unqueuedAfterMs: number
  /** POSTEE_RELAY_REQUEUE_MS: an enqueued row still in flight is re-added after this long, in case Redis lost its job. */
  readonly requeueAfterMs: number
  /** Rows per pass (not a variable). */
  readonly batchSize: number
}

/** Relay defaults: quick for the Redis-was-down case, patient for jobs that are merely waiting. */
export const DEFAULT_RELAY_SETTINGS: RelaySettings = { unqueuedAfterMs: 5_000, requeueAfterMs: 120_000, batchSize: 500 }

/** Every setting a process reads from the environment, read once at start by readEnvironment. */
export interface Environment {
  /** Listeners, connections, secrets and HTTP limits. */
  readonly env: RuntimeEnv
  /** Worker and relay timing. */
  readonly tuning: ProcessTuning
  /** When the relay re-enqueues. */
  readonly relaySettings: RelaySettings
  /** POSTEE_INGEST_BODY_BUDGET_MB in MB; undefined means ingest derives it from the heap limit. */
  readonly ingestBodyBudgetMb: number | undefined
}

// One variable: its name, the older alias it also answers to (the name wins when both are set), a
// line for the reference, and a zod schema that turns the trimmed text (undefined when unset or
// empty) into the value, with the default applied, or an issue whose message says how to fix it.
interface Variable<T> {
  readonly name: string
  readonly alias?: string
  readonly doc: string
  readonly schema: z.ZodType<T, string | undefined>
}

type Parse<T> = (text: string) => { ok: true; value: T } | { ok: false; message: string }

function variable<T>(name: string, doc: string, fallback: T, parse: Parse<T>, alias?: string): Variable<T> {
  const schema = z
    .string()
    .optional()
    .transform((text, ctx): T => {
      if (text === undefined) return fallback
      const result = parse(text)
      if (result.ok) return result.value
      ctx.addIssue({ code: 'custom', message: result.message })
      return z.NEVER
    })
  return alias === undefined ? { name, doc, schema } : { name, alias, doc, schema }
}

const ok = <T>(value: T) => ({ ok: true as const, value })
const bad = (message: string) => ({ ok: false as const, message })
const quote = (text: string) => JSON.stringify(text)

const text = (text: string) => ok(text)

const ADDRESS_FORMAT = 'write host:port, e.g. 0.0.0.0:8082, :8082 or [::1]:8082'
const address: Parse<ListenAddress> = (text) => {
  const parsed = parseListenAddress(text)
  return parsed ? ok(parsed) : bad(`${quote(text)} is not a listen address; ${ADDRESS_FORMAT}`)
}
const defaultAddress = (text: string) => parseListenAddress(text) as ListenAddress

// Whole numbers with a floor, in the message format every timing variable has always used.
const whole =
  (min: number, what: string, example: number): Parse<number> =>
  (text) => {
    const value = Number(text)
    return Number.isInteger(value) && value >= min ? ok(value) : bad(`${quote(text)} is not ${what}; write e.g. ${example}`)
  }
const millis = (name: string, doc: string, fallback: number) =>
  variable(name, doc, fallback, whole(100, 'a whole number of milliseconds ≥ 100', fallback))
const count = (name: string, doc: string, fallback: number) =>
  variable(name, doc, fallback, whole(0, 'a whole number ≥ 0 (0 means no cap)', fallback))
const relayMillis = (name: string, doc: string, fallback: number) =>
  variable(name, doc, fallback, (text) => {
    const value = Number(text)
    return Number.isFinite(value) && value >= 0
      ? ok(value)
      : bad(`${quote(text)} is not a number of milliseconds ≥ 0; write e.g. ${fallback}`)
  })

// Connection URLs may hold passwords, so a bad one is never quoted back.
const url =
  (protocols: readonly string[], example: string): Parse<string> =>
  (text) => {
    let protocol = ''
    try {
      protocol = new URL(text).protocol
    } catch {
      // Reported below as not a URL of the expected kind.
    }
    return protocols.includes(protocol)
      ? ok(text)
      : bad(`is not a ${protocols.map((p) => p.slice(0, -1)).join(' or ')} URL; write e.g. ${example}`)
  }

const choice =
  <T extends string>(allowed: readonly T[]): Parse<T> =>
  (text) => {
    const found = allowed.find((candidate) => candidate === text.toLowerCase())
    return found !== undefined ? ok(found) : bad(`${quote(text)} is not allowed; write one of: ${allowed.join(', ')}`)
  }

// Comma-separated secrets (several valid at once during a rotation); never quoted in a problem.
const secrets = (name: string, doc: string) =>
  variable<readonly Secret[]>(name, doc, [], (text) =>
    ok(
      text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '')
        .map((item) => new Secret(item)),
    ),
  )

const optional = (name: string, doc: string) => variable<string | undefined>(name, doc, undefined, text)

/** The one schema of the environment: every variable a service or the CLI reads, keyed by its setting. */
export const ENVIRONMENT_VARIABLES = {
  configPath: variable('AQUAALERT_CFG', 'Path of cfg.yaml.', '/config/cfg.yaml', text, 'POSTEE_CFG'),
  http: variable('AQUAALERT_URL', 'HTTP listen address of ingest.', defaultAddress('0.0.0.0:8082'), address, 'POSTEE_HTTP'),
  https: variable<ListenAddress | undefined>(
    'AQUAALERT_TLS',
    'HTTPS listen address of ingest, or off.',
    defaultAddress('0.0.0.0:8445'),
    (text) => (text.toLowerCase() === 'off' ? ok(undefined) : address(text)),
    'POSTEE_HTTPS',
  ),
  certPem: optional('AQUAALERT_CERT_PEM', 'TLS certificate: PEM text or a file path.'),
  keyPem: optional('AQUAALERT_KEY_PEM', 'TLS private key: PEM text or a file path; never logged.'),
  clientCaPem: optional('AQUAALERT_CLIENT_CA_PEM', 'CA that client certificates must be signed by (mutual TLS).'),
  databaseUrl: variable(
    'DATABASE_URL',
    'Postgres connection URL; may carry a password, never logged.',
    'postgres://postgres@127.0.0.1:5432/postee',
    url(['postgres:', 'postgresql:'], 'postgres://user:password@db:5432/postee'),
  ),
  redisUrl: variable('REDIS_URL', 'Redis or Sentinel URL; may carry a password, never logged.', 'redis://127.0.0.1:6379', (text) =>
    parseRedisTarget(text)
      ? ok(text)
      : bad(
          'is not a redis, rediss or redis+sentinel URL; write e.g. redis://redis:6379 or redis+sentinel://sentinel-a:26379,sentinel-b:26379/mymaster',
        ),
  ),
  queuePrefix: variable('POSTEE_QUEUE_PREFIX', 'BullMQ key prefix.', 'postee', (text) =>
    /^\S+$/.test(text) ? ok(text) : bad('must not contain spaces; write e.g. postee or {postee} for Redis Cluster'),
  ),
  dispatcherHttp: variable(
    'POSTEE_DISPATCHER_HTTP',
    'Health and metrics listener of the dispatcher.',
    defaultAddress('0.0.0.0:8091'),
    address,
  ),
  migrate: variable('POSTEE_MIGRATE', 'Apply migrations at start (auto) or not (off).', 'auto', choice(['auto', 'off'] as const)),
  logLevel: variable('POSTEE_LOG_LEVEL', 'Log level.', 'info', choice(LOG_LEVELS)),
  ingestTokens: secrets('POSTEE_INGEST_TOKEN', 'Tokens senders present to ingest, comma-separated.'),
  ingestHmacSecrets: secrets('POSTEE_INGEST_HMAC_SECRET', 'Keys that sign scan bodies, comma-separated.'),
  adminTokens: secrets('POSTEE_ADMIN_TOKEN', 'Operator tokens for /api and reload, comma-separated.'),
  postgresConnectTimeoutMs: millis('POSTEE_PG_CONNECT_TIMEOUT_MS', 'Longest wait for a Postgres connection.', 3_000),
  postgresQueryTimeoutMs: millis('POSTEE_PG_QUERY_TIMEOUT_MS', 'Longest wait for one Postgres statement.', 4_000),
  headersTimeoutMs: millis(
    'POSTEE_HTTP_HEADERS_TIMEOUT_MS',
    'Request line and headers must arrive within this.',
    HTTP_LIMIT_DEFAULTS.headersTimeoutMs,
  ),
  requestTimeoutMs: millis(
    'POSTEE_HTTP_REQUEST_TIMEOUT_MS',
    'The whole request must arrive within this.',
    HTTP_LIMIT_DEFAULTS.requestTimeoutMs,
  ),
  bodyIdleTimeoutMs: millis(
    'POSTEE_HTTP_BODY_IDLE_TIMEOUT_MS',
    'A silent body is cut off with 408 after this.',
    HTTP_LIMIT_DEFAULTS.bodyIdleTimeoutMs,
  ),
  maxRequestsPerClient: count(
    'POSTEE_HTTP_MAX_REQUESTS_PER_CLIENT',
    'Requests in flight per remote address.',
    HTTP_LIMIT_DEFAULTS.maxRequestsPerClient,
  ),
  maxConnectionsPerClient: count(
    'POSTEE_HTTP_MAX_CONNECTIONS_PER_CLIENT',
    'Open connections per remote address.',
    HTTP_LIMIT_DEFAULTS.maxConnectionsPerClient,
  ),
  unverifiedBodyBytes: variable<number | undefined>(
    'POSTEE_HTTP_UNVERIFIED_BODY_BYTES',
    'Bytes of signed bodies read at once before their signature is checked.',
    undefined,
    (text) => {
      const parsed = parseSize(/^\d+$/.test(text) ? `${text}B` : text)
      return parsed.ok && parsed.value > 0
        ? ok(parsed.value)
        : bad(`${quote(text)} is not a size; write bytes or a size with a unit, e.g. 20MB`)
    },
  ),
  lockMs: millis('POSTEE_LOCK_DURATION_MS', "A dispatcher job's lock.", 30_000),
  stalledCheckMs: millis('POSTEE_STALLED_INTERVAL_MS', 'How often stalled jobs are looked for.', 15_000),
  drainGraceMs: millis('POSTEE_DRAIN_GRACE_MS', 'How long SIGTERM lets in-flight deliveries finish.', 20_000),
  relayIntervalMs: millis('POSTEE_RELAY_INTERVAL_MS', 'How often the relay runs.', 5_000),
  unqueuedAfterMs: relayMillis(
    'POSTEE_RELAY_UNQUEUED_MS',
    'A never-enqueued delivery is relayed after this.',
    DEFAULT_RELAY_SETTINGS.unqueuedAfterMs,
  ),
  requeueAfterMs: relayMillis(
    'POSTEE_RELAY_REQUEUE_MS',
    'An enqueued delivery still in flight is re-added after this.',
    DEFAULT_RELAY_SETTINGS.requeueAfterMs,
  ),
  ingestBodyBudgetMb: variable<number | undefined>(
    'POSTEE_INGEST_BODY_BUDGET_MB',
    'MB of scan bodies ingest processes at once.',
    undefined,
    (text) => {
      const mb = Number(text)
      return Number.isFinite(mb) && mb > 0 ? ok(mb) : bad(`${quote(text)} is not a positive number of MB; write e.g. 26`)
    },
  ),
} as const

type Values = { -readonly [K in keyof typeof ENVIRONMENT_VARIABLES]: z.output<(typeof ENVIRONMENT_VARIABLES)[K]['schema']> }

const ITEM = 'environment'

// Empty values count as unset, the way shells and compose files leave them.
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

// The variable that decides, and its text: the AQUAALERT_ name wins over its POSTEE_ alias, since
// it is the name Postee users already deploy with.
function decide(env: NodeJS.ProcessEnv, row: Variable<unknown>): { name: string; text: string | undefined } {
  const text = read(env, row.name)
  if (text !== undefined || row.alias === undefined) return { name: row.name, text }
  return { name: row.alias, text: read(env, row.alias) }
}

// Rules between variables, checked on the values read (a bad one already fell back to its default).
// A half TLS pair is listed first: it is the one problem a later variable cannot explain.
function tlsPairProblems(values: Values): ConfigProblem[] {
  if ((values.certPem === undefined) === (values.keyPem === undefined)) return []
  const [set, unset] =
    values.certPem === undefined ? ['AQUAALERT_KEY_PEM', 'AQUAALERT_CERT_PEM'] : ['AQUAALERT_CERT_PEM', 'AQUAALERT_KEY_PEM']
  return [{ item: ITEM, key: unset, message: `is not set but ${set} is; set both, or neither to use a generated self-signed pair` }]
}

function timeoutProblems(values: Values): ConfigProblem[] {
  if (values.headersTimeoutMs <= values.requestTimeoutMs) return []
  return [
    {
      item: ITEM,
      key: 'POSTEE_HTTP_HEADERS_TIMEOUT_MS',
      message: `must not be longer than POSTEE_HTTP_REQUEST_TIMEOUT_MS (${values.requestTimeoutMs}), which covers the headers too`,
    },
  ]
}

/**
 * Reads every variable of ENVIRONMENT_VARIABLES once, applying the defaults; throws one
 * ConfigError listing every bad variable, so an operator fixes them all in one round.
 */
export function readEnvironment(env: NodeJS.ProcessEnv): Environment {
  const problems: ConfigProblem[] = []
  const values: Record<string, unknown> = {}
  for (const [key, row] of Object.entries(ENVIRONMENT_VARIABLES) as [string, Variable<unknown>][]) {
    const { name, text } = decide(env, row)
    const result = row.schema.safeParse(text)
    if (result.success) values[key] = result.data
    else {
      for (const issue of result.error.issues) problems.push({ item: ITEM, key: name, message: issue.message })
      values[key] = row.schema.parse(undefined)
    }
  }
  const v = values as Values
  problems.unshift(...tlsPairProblems(v))
  problems.push(...timeoutProblems(v))
  if (problems.length > 0) throw new ConfigError(problems, 'Invalid environment')
  const httpLimits: HttpLimits = {
    headersTimeoutMs: v.headersTimeoutMs,
    requestTimeoutMs: v.requestTimeoutMs,
    bodyIdleTimeoutMs: v.bodyIdleTimeoutMs,
    maxRequestsPerClient: v.maxRequestsPerClient,
    maxConnectionsPerClient: v.maxConnectionsPerClient,
    unverifiedBodyBytes: v.unverifiedBodyBytes,
  }
  return {
    env: {
      configPath: v.configPath,
      http: v.http,
      https: v.https,
      certPem: v.certPem,
      keyPem: v.keyPem,
      databaseUrl: v.databaseUrl,
      redisUrl: v.redisUrl,
      queuePrefix: v.queuePrefix,
      dispatcherHttp: v.dispatcherHttp,
      migrate: v.migrate,
      logLevel: v.logLevel,
      ingestTokens: v.ingestTokens,
      ingestHmacSecrets: v.ingestHmacSecrets,
      adminTokens: v.adminTokens,
      httpLimits,
      clientCaPem: v.clientCaPem,
      postgresConnectTimeoutMs: v.postgresConnectTimeoutMs,
      postgresQueryTimeoutMs: v.postgresQueryTimeoutMs,
    },
    tuning: { lockMs: v.lockMs, stalledCheckMs: v.stalledCheckMs, drainGraceMs: v.drainGraceMs, relayIntervalMs: v.relayIntervalMs },
    relaySettings: { unqueuedAfterMs: v.unqueuedAfterMs, requeueAfterMs: v.requeueAfterMs, batchSize: DEFAULT_RELAY_SETTINGS.batchSize },
    ingestBodyBudgetMb: v.ingestBodyBudgetMb,
  }
}

/** The names (and aliases) of every variable in the schema, for the reference and its test. */
export function environmentVariableNames(): string[] {
  return Object.values(ENVIRONMENT_VARIABLES).flatMap((row: Variable<unknown>) => (row.alias ? [row.name, row.alias] : [row.name]))
}

/** The listener, connection and secret settings alone (the CLI's view); throws like readEnvironment. */
export function readRuntimeEnv(env: NodeJS.ProcessEnv): RuntimeEnv {
  return readEnvironment(env).env
}
