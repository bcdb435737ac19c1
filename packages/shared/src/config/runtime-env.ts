import { Secret } from '../secret.js'
import { ConfigError } from './config-error.js'
import { readHttpLimits, type HttpLimits } from './http-limits.js'
import { parseRedisTarget } from './redis-target.js'
import type { ConfigProblem } from './types.js'

/** Log levels, most verbose first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const

/** One log level. */
export type LogLevel = (typeof LOG_LEVELS)[number]

/** A listen address; host `0.0.0.0` (or `::`) means every interface. */
export interface ListenAddress {
  readonly host: string
  readonly port: number
}

/** The process settings read from the environment (docs/configuration.md, environment). */
export interface RuntimeEnv {
  /** AQUAALERT_CFG / POSTEE_CFG. */
  readonly configPath: string
  /** AQUAALERT_URL / POSTEE_HTTP. */
  readonly http: ListenAddress
  /** AQUAALERT_TLS / POSTEE_HTTPS; undefined when set to `off`. */
  readonly https: ListenAddress | undefined
  /** AQUAALERT_CERT_PEM as given: PEM text or a file path, which the service tells apart. */
  readonly certPem: string | undefined
  /** AQUAALERT_KEY_PEM as given (PEM text or a path); private key material, never log it. */
  readonly keyPem: string | undefined
  /** DATABASE_URL; may carry a password, never log it. */
  readonly databaseUrl: string
  /** REDIS_URL; may carry a password, never log it. */
  readonly redisUrl: string
  /** POSTEE_QUEUE_PREFIX. */
  readonly queuePrefix: string
  /** POSTEE_DISPATCHER_HTTP. */
  readonly dispatcherHttp: ListenAddress
  /** POSTEE_MIGRATE. */
  readonly migrate: 'auto' | 'off'
  /** POSTEE_LOG_LEVEL. */
  readonly logLevel: LogLevel
  /** POSTEE_INGEST_TOKEN, split on commas; empty when unset. */
  readonly ingestTokens: readonly Secret[]
  /** POSTEE_ADMIN_TOKEN, split on commas: the operators' tokens for /api and reload; empty when unset. */
  readonly adminTokens: readonly Secret[]
  /** The POSTEE_HTTP_* timeouts and per-client caps of the HTTP listeners. */
  readonly httpLimits: HttpLimits
  /** POSTEE_INGEST_HMAC_SECRET, split on commas: keys that sign scan bodies; empty when unset. */
  readonly ingestHmacSecrets: readonly Secret[]
  /**
   * AQUAALERT_CLIENT_CA_PEM (PEM text or a file path): when set, the HTTPS listener requires a
   * client certificate signed by it (mutual TLS).
   */
  readonly clientCaPem: string | undefined
  /**
   * POSTEE_PG_CONNECT_TIMEOUT_MS: how long opening a Postgres connection, or waiting for a free one
   * in the pool, may take before the request or job fails (and is answered 503 or retried).
   */
  readonly postgresConnectTimeoutMs: number
  /**
   * POSTEE_PG_QUERY_TIMEOUT_MS: how long one statement may go unanswered before its connection is
   * given up, so a partitioned or hung Postgres fails a request instead of holding it.
   */
  readonly postgresQueryTimeoutMs: number
}

const ITEM = 'environment'
const ADDRESS_FORMAT = 'write host:port, e.g. 0.0.0.0:8082, :8082 or [::1]:8082'

/** Parses `host:port`, `:port` (every interface) or `[ipv6]:port`; undefined when it is none of them. */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/]*)):(\d{1,5})$/.exec(text.trim())
  if (!match) return undefined
  const port = Number(match[3])
  if (port > 65535) return undefined
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port }
}

// Empty values count as unset, the way shells and compose files leave them.
function read(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

/** The variable that decides, and its value: the AQUAALERT_ name wins over its POSTEE_ alias when both are set. */
function readAliased(env: NodeJS.ProcessEnv, primary: string, alias: string): { name: string; value: string | undefined } {
  const value = read(env, primary)
  if (value !== undefined) return { name: primary, value }
  return { name: alias, value: read(env, alias) }
}

class EnvReader {
  readonly problems: ConfigProblem[] = []

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  address(primary: string, alias: string | undefined, fallback: string): ListenAddress {
    const { name, value } = alias ? readAliased(this.env, primary, alias) : { name: primary, value: read(this.env, primary) }
    const parsed = parseListenAddress(value ?? fallback)
    if (parsed) return parsed
    this.problems.push({ item: ITEM, key: name, message: `${JSON.stringify(value)} is not a listen address; ${ADDRESS_FORMAT}` })
    return parseListenAddress(fallback) as ListenAddress
  }

  // Connection URLs may hold passwords, so a bad one is never quoted back.
  url(name: string, fallback: string, protocols: readonly string[], example: string): string {
    const value = read(this.env, name) ?? fallback
    let protocol = ''
    try {
      protocol = new URL(value).protocol
    } catch {
      // Reported below as not a URL of the expected kind.
    }
    if (protocols.includes(protocol)) return value
    this.problems.push({
      item: ITEM,
      key: name,
      message: `is not a ${protocols.map((p) => p.slice(0, -1)).join(' or ')} URL; write e.g. ${example}`,
    })
    return fallback
  }

  millis(name: string, fallback: number, min: number): number {
    const value = read(this.env, name)
    if (value === undefined) return fallback
    const parsed = Number(value)
    if (Number.isInteger(parsed) && parsed >= min) return parsed
    this.problems.push({
      item: ITEM,
      key: name,
      message: `${JSON.stringify(value)} is not a whole number of milliseconds ≥ ${min}; write e.g. ${fallback}`,
    })
    return fallback
  }

  choice<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = read(this.env, name)
    if (value === undefined) return fallback
    const found = allowed.find((candidate) => candidate === value.toLowerCase())
    if (found !== undefined) return found
    this.problems.push({ item: ITEM, key: name, message: `${JSON.stringify(value)} is not allowed; write one of: ${allowed.join(', ')}` })
    return fallback
  }
}

function readHttps(r: EnvReader, env: NodeJS.ProcessEnv): ListenAddress | undefined {
  const { value } = readAliased(env, 'AQUAALERT_TLS', 'POSTEE_HTTPS')
  if (value?.toLowerCase() === 'off') return undefined
  return r.address('AQUAALERT_TLS', 'POSTEE_HTTPS', '0.0.0.0:8445')
}

function readQueuePrefix(r: EnvReader, env: NodeJS.ProcessEnv): string {
  const prefix = read(env, 'POSTEE_QUEUE_PREFIX') ?? 'postee'
  if (/^\S+$/.test(prefix)) return prefix
  r.problems.push({
    item: ITEM,
    key: 'POSTEE_QUEUE_PREFIX',
    message: 'must not contain spaces; write e.g. postee or {postee} for Redis Cluster',
  })
  return 'postee'
}

function checkTlsPair(r: EnvReader, cert: string | undefined, key: string | undefined): void {
  if ((cert === undefined) === (key === undefined)) return
  const [set, unset] = cert === undefined ? ['AQUAALERT_KEY_PEM', 'AQUAALERT_CERT_PEM'] : ['AQUAALERT_CERT_PEM', 'AQUAALERT_KEY_PEM']
  r.problems.push({ item: ITEM, key: unset, message: `is not set but ${set} is; set both, or neither to use a generated self-signed pair` })
}

function readRedisUrl(r: EnvReader, env: NodeJS.ProcessEnv): string {
  const value = read(env, 'REDIS_URL') ?? 'redis://127.0.0.1:6379'
  if (parseRedisTarget(value)) return value
  r.problems.push({
    item: ITEM,
    key: 'REDIS_URL',
    message:
      'is not a redis, rediss or redis+sentinel URL; write e.g. redis://redis:6379 or redis+sentinel://sentinel-a:26379,sentinel-b:26379/mymaster',
  })
  return 'redis://127.0.0.1:6379'
}

// Comma-separated secrets (several valid at once during a rotation).
function secretList(value: string | undefined): Secret[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
    .map((item) => new Secret(item))
}

/**
 * Reads the process settings from the environment, applying the contract's defaults. Throws a
 * ConfigError listing every bad variable. Where an AQUAALERT_ variable and its POSTEE_ alias are
 * both set, the AQUAALERT_ one wins, since it is the name Postee users already deploy with.
 */
export function readRuntimeEnv(env: NodeJS.ProcessEnv): RuntimeEnv {
  const r = new EnvReader(env)
  const certPem = read(env, 'AQUAALERT_CERT_PEM')
  const keyPem = read(env, 'AQUAALERT_KEY_PEM')
  checkTlsPair(r, certPem, keyPem)
  const runtime: RuntimeEnv = {
    configPath: readAliased(env, 'AQUAALERT_CFG', 'POSTEE_CFG').value ?? '/config/cfg.yaml',
    http: r.address('AQUAALERT_URL', 'POSTEE_HTTP', '0.0.0.0:8082'),
    https: readHttps(r, env),
    certPem,
    keyPem,
    databaseUrl: r.url(
      'DATABASE_URL',
      'postgres://postgres@127.0.0.1:5432/postee',
      ['postgres:', 'postgresql:'],
      'postgres://user:password@db:5432/postee',
    ),
    redisUrl: readRedisUrl(r, env),
    queuePrefix: readQueuePrefix(r, env),
    dispatcherHttp: r.address('POSTEE_DISPATCHER_HTTP', undefined, '0.0.0.0:8091'),
    migrate: r.choice('POSTEE_MIGRATE', ['auto', 'off'] as const, 'auto'),
    logLevel: r.choice('POSTEE_LOG_LEVEL', LOG_LEVELS, 'info'),
    ingestTokens: secretList(env['POSTEE_INGEST_TOKEN']),
    ingestHmacSecrets: secretList(env['POSTEE_INGEST_HMAC_SECRET']),
    adminTokens: secretList(env['POSTEE_ADMIN_TOKEN']),
    httpLimits: readHttpLimits(env, r.problems),
    clientCaPem: read(env, 'AQUAALERT_CLIENT_CA_PEM'),
    postgresConnectTimeoutMs: r.millis('POSTEE_PG_CONNECT_TIMEOUT_MS', 3_000, 100),
    postgresQueryTimeoutMs: r.millis('POSTEE_PG_QUERY_TIMEOUT_MS', 4_000, 100),
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems, 'Invalid environment')
  return runtime
}

/**
 * The host part of a connection URL (DATABASE_URL, REDIS_URL, or a redis+sentinel list) without
 * user, password or database, for log lines that must say where a service is looking.
 */
export function connectionHost(url: string): string {
  const sentinel = /^redis\+sentinel:\/\/(?:[^@/]*@)?([^/]+)/.exec(url)
  if (sentinel) return sentinel[1]!
  try {
    const parsed = new URL(url)
    const defaultPort = { 'postgres:': '5432', 'postgresql:': '5432', 'redis:': '6379', 'rediss:': '6379' }[parsed.protocol]
    return `${parsed.hostname}:${parsed.port || defaultPort || '?'}`
  } catch {
    return '(not a URL)'
  }
}
