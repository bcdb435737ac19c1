import type { Kysely } from 'kysely'
import { readRuntimeEnv } from '@postee/shared'
import { DeliveryQueues, createRedis, openDatabase, type Database } from '@postee/store'

/** The database and queues of the installation the environment points at (the services' variables). */
export interface Connections {
  readonly db: Kysely<Database>
  readonly queues: DeliveryQueues
  close(): Promise<void>
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
    close: async () => {
      await queues.close().catch(() => undefined)
      redis.disconnect()
      await db.destroy()
    },
  }
}
