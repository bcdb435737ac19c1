import { Redis, type RedisOptions } from 'ioredis'
import { parseRedisTarget } from '@postee/shared'
import { withTimeout, type DependencyStatus } from './dependency-status.js'

/**
 * A Redis client for REDIS_URL: one server (`redis://`, `rediss://`), or the master that Redis
 * Sentinel names (`redis+sentinel://…/<master>`), followed through failovers by ioredis.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const target = parseRedisTarget(url)
  if (!target) throw new Error('REDIS_URL is not a redis, rediss or redis+sentinel URL')
  if (target.kind === 'single') return new Redis(url, options)
  return new Redis({
    ...options,
    sentinels: target.sentinels.map((s) => ({ host: s.host, port: s.port })),
    name: target.name,
    db: target.db,
    ...(target.password !== undefined ? { password: target.password, sentinelPassword: target.password } : {}),
  })
}

/**
 * Reports a Redis client's connection errors and reconnections to `status` (one log line per
 * outage and one on recovery). Every ioredis client needs an 'error' listener: without one,
 * ioredis prints "[ioredis] Unhandled error event" with a stack trace to stderr at every retry.
 */
export function watchRedis(client: Redis, status: DependencyStatus): Redis {
  client.on('error', (error: Error) => status.lost(error))
  client.on('ready', () => status.restored())
  return client
}

/**
 * Whether Redis answers a PING on `client` within `timeoutMs`; never waits longer, even on a
 * client that queues commands while disconnected.
 */
export async function redisAnswers(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status !== 'ready') return false
  return withTimeout(client.ping(), timeoutMs, 'Redis did not answer PING').then(
    () => true,
    () => false,
  )
}

/**
 * A start-up probe for `waitForDependency`: fails at once while `client` is not connected (with
 * the client's last connection error), else PINGs with a time limit.
 */
export function redisProbe(client: Redis, status: DependencyStatus, timeoutMs = 1_500): () => Promise<void> {
  return async () => {
    if (client.status !== 'ready') throw new Error(status.lastError)
    await withTimeout(client.ping(), timeoutMs, 'Redis did not answer PING')
  }
}
