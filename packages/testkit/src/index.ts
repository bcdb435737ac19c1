import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import pg from 'pg'
import { Redis } from 'ioredis'
import { migrateToLatest } from '@postee/migrations'

/**
 * Test infrastructure: a fresh Postgres database and a fresh BullMQ prefix per run, on the servers
 * named by DATABASE_URL and REDIS_URL. Only when those are unset and a Docker engine is reachable
 * do we start throwaway containers instead.
 */

let containerUrls: Promise<{ databaseUrl: string; redisUrl: string }> | undefined

function dockerAvailable(): boolean {
  return existsSync('/var/run/docker.sock') || Boolean(process.env.DOCKER_HOST)
}

async function startContainers(): Promise<{ databaseUrl: string; redisUrl: string }> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql')
  const { RedisContainer } = await import('@testcontainers/redis')
  const [postgres, redis] = await Promise.all([
    new PostgreSqlContainer('postgres:16-alpine').start(),
    new RedisContainer('redis:7-alpine').start(),
  ])
  return { databaseUrl: postgres.getConnectionUri(), redisUrl: redis.getConnectionUrl() }
}

// Without DATABASE_URL/REDIS_URL and without Docker, the servers of a developer machine (and of
// CI here) on their standard local ports are used when they answer.
const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres'
const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379'

async function localServersAnswer(): Promise<boolean> {
  const client = new pg.Client({ connectionString: LOCAL_DATABASE_URL, connectionTimeoutMillis: 2_000 })
  const redis = new Redis(LOCAL_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000, retryStrategy: () => null })
  redis.on('error', () => undefined)
  try {
    await client.connect()
    await redis.connect()
    await redis.ping()
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => undefined)
    redis.disconnect()
  }
}

let resolvedUrls: Promise<{ databaseUrl: string; redisUrl: string }> | undefined

function serverUrls(): Promise<{ databaseUrl: string; redisUrl: string }> {
  resolvedUrls ??= resolveServerUrls()
  return resolvedUrls
}

async function resolveServerUrls(): Promise<{ databaseUrl: string; redisUrl: string }> {
  const { DATABASE_URL, REDIS_URL } = process.env
  if (DATABASE_URL && REDIS_URL) return { databaseUrl: DATABASE_URL, redisUrl: REDIS_URL }
  if (!dockerAvailable()) {
    if (await localServersAnswer()) return { databaseUrl: DATABASE_URL ?? LOCAL_DATABASE_URL, redisUrl: REDIS_URL ?? LOCAL_REDIS_URL }
    throw new Error(
      `set DATABASE_URL and REDIS_URL for the tests (e.g. ${LOCAL_DATABASE_URL} and ${LOCAL_REDIS_URL}), run Postgres and Redis on those local ports, or run a Docker engine for testcontainers`,
    )
  }
  containerUrls ??= startContainers()
  const urls = await containerUrls
  return { databaseUrl: DATABASE_URL ?? urls.databaseUrl, redisUrl: REDIS_URL ?? urls.redisUrl }
}

/** A short random suffix that keeps parallel and leftover runs apart. */
export function runId(): string {
  return `${process.pid}_${randomBytes(4).toString('hex')}`
}

/** A migrated database of its own, and how to drop it. */
export interface TestDatabase {
  readonly url: string
  readonly name: string
  drop(): Promise<void>
}

async function adminQuery(adminUrl: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl })
  await client.connect()
  try {
    await client.query(text)
  } finally {
    await client.end()
  }
}

/**
 * Creates (or re-creates) the database `name` on the server of `adminUrl` and migrates it: for
 * tests and the benchmark alike.
 */
export async function createMigratedDatabase(adminUrl: string, name: string): Promise<TestDatabase> {
  await adminQuery(adminUrl, `drop database if exists ${name} with (force)`)
  await adminQuery(adminUrl, `create database ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  await migrateToLatest(url.toString())
  return { url: url.toString(), name, drop: () => adminQuery(adminUrl, `drop database if exists ${name} with (force)`) }
}

/** Creates a fresh database on the test server, migrates it, and returns its URL. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { databaseUrl } = await serverUrls()
  return createMigratedDatabase(databaseUrl, `postee_test_${runId()}`)
}

/** Removes every Redis key of a BullMQ prefix. */
export async function dropRedisPrefix(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true })
  await redis.connect()
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) await redis.del(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

/** A Redis URL and a BullMQ prefix nobody else uses, and how to remove its keys. */
export interface TestRedis {
  readonly url: string
  readonly prefix: string
  cleanup(): Promise<void>
}

/** Returns the test Redis with a fresh prefix. */
export async function createTestRedis(): Promise<TestRedis> {
  const { redisUrl } = await serverUrls()
  const prefix = `postee_test_${runId()}`
  return {
    url: redisUrl,
    prefix,
    cleanup: () => dropRedisPrefix(redisUrl, prefix),
  }
}

export * from './http-fake.js'
export * from './process.js'
export * from './fixtures.js'
export * from './stack.js'
export * from './redis-server.js'
export * from './tcp-proxy.js'
export * from './scans.js'
export * from './secret-forms.js'
export * from './golden.js'
export * from './wait.js'
export * from './faults.js'
