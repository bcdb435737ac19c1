import type { Secret } from '../secret.js'
import type { HttpLimits } from './http-limits.js'

/** Log levels, most verbose first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const

/** One log level. */
export type LogLevel = (typeof LOG_LEVELS)[number]

/** A listen address; host `0.0.0.0` (or `::`) means every interface. */
export interface ListenAddress {
  readonly host: string
  readonly port: number
}

/** The process settings read from the environment (docs/configuration.md, environment); read by readEnvironment. */
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

/** Parses `host:port`, `:port` (every interface) or `[ipv6]:port`; undefined when it is none of them. */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]/]*)):(\d{1,5})$/.exec(text.trim())
  if (!match) return undefined
  const port = Number(match[3])
  if (port > 65535) return undefined
  return { host: match[1] ?? (match[2] || '0.0.0.0'), port }
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
