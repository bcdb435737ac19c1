import { Redis, type RedisOptions } from 'ioredis'
import { parseRedisTarget } from '@postee/shared'

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
