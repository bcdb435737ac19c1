import type { Kysely } from 'kysely'
import { connectionHost, readRuntimeEnv } from '@postee/shared'
import { DeliveryQueues, createRedis, openDatabase, withTimeout, type Database } from '@postee/store'

/** The database and queues of the installation the environment points at (the services' variables). */
export interface Connections {
  readonly db: Kysely<Database>
  readonly queues: DeliveryQueues
  /** Where REDIS_URL points (host and port only), for messages. */
  readonly redisHost: string
  readonly close: () => Promise<void>
}

/** Opens Postgres and Redis from DATABASE_URL, REDIS_URL and POSTEE_QUEUE_PREFIX. */
export function connect(env: NodeJS.ProcessEnv): Connections {
  const runtime = readRuntimeEnv(env)
  const db = openDatabase(runtime.databaseUrl, { max: 4 })
  const redis = createRedis(runtime.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
  redis.on('error', () => undefined)
  const queues = new DeliveryQueues(redis, runtime.queuePrefix)
  return {
    db,
    queues,
    redisHost: connectionHost(runtime.redisUrl),
    // Neither an unreachable Redis nor a lost Postgres may keep the command from ending.
    close: async () => {
      await withTimeout(queues.close(), 2_000, 'queues did not close').catch(() => undefined)
      redis.disconnect()
      await withTimeout(db.destroy(), 2_000, 'the Postgres pool did not close').catch(() => undefined)
    },
  }
}
