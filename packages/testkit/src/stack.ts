import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createTestDatabase, createTestRedis, type TestDatabase, type TestRedis } from './index.js'
import { startProcess, waitForHttp, type ServiceProcess } from './process.js'

/** The built entry points of the two services (docs/architecture.md). */
export const INGEST_ENTRY = fileURLToPath(new URL('../../../services/ingest/dist/main.js', import.meta.url))
export const DISPATCHER_ENTRY = fileURLToPath(new URL('../../../services/dispatcher/dist/main.js', import.meta.url))

/** The admin token every stack is started with (POSTEE_ADMIN_TOKEN), unless the test sets its own. */
export const TEST_ADMIN_TOKEN = 'testkit-admin-token'

/** Headers that authenticate an operator's request (`/api/*`, reload) to a stack started with TEST_ADMIN_TOKEN. */
export const ADMIN_HEADERS: Readonly<Record<string, string>> = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` }

/** `fetch` with the admin token added: for `/api/*` and reload calls in tests. */
export function adminFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...ADMIN_HEADERS, ...(init.headers as Record<string, string> | undefined) } })
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** Writes a cfg.yaml to a fresh temporary folder and returns its path. */
export function writeConfig(yaml: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'postee-cfg-')), 'cfg.yaml')
  writeFileSync(path, yaml)
  return path
}

/** Ingest and dispatcher processes on a database and Redis prefix of their own. */
export interface Stack {
  readonly database: TestDatabase
  readonly redis: TestRedis
  readonly env: Record<string, string>
  readonly ingests: ServiceProcess[]
  readonly dispatchers: ServiceProcess[]
  /** Base URLs of the ingest processes' HTTP listeners. */
  readonly ingestUrls: string[]
  /** Base URLs of the dispatchers' health and metrics ports, in start order. */
  readonly dispatcherUrls: string[]
  /** Starts one more dispatcher on the same database and queues. */
  startDispatcher(extraEnv?: Record<string, string>): Promise<ServiceProcess>
  stop(): Promise<void>
}

/** Options for `startStack`. */
export interface StackOptions {
  readonly config: string
  readonly ingests?: number
  readonly dispatchers?: number
  readonly env?: Record<string, string>
}

/** Starts the services as real processes, as an operator would, and waits until they answer. */
export async function startStack(options: StackOptions): Promise<Stack> {
  const database = await createTestDatabase()
  const redis = await createTestRedis()
  const env: Record<string, string> = {
    AQUAALERT_CFG: writeConfig(options.config),
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    POSTEE_QUEUE_PREFIX: redis.prefix,
    AQUAALERT_TLS: 'off',
    POSTEE_LOG_LEVEL: 'debug',
    POSTEE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    ...options.env,
  }
  const ingests: ServiceProcess[] = []
  const ingestUrls: string[] = []
  const dispatchers: ServiceProcess[] = []
  const dispatcherUrls: string[] = []
  const startDispatcher = async (extraEnv: Record<string, string> = {}): Promise<ServiceProcess> => {
    const port = await freePort()
    const service = startProcess(DISPATCHER_ENTRY, { ...env, POSTEE_DISPATCHER_HTTP: `127.0.0.1:${port}`, ...extraEnv })
    dispatchers.push(service)
    dispatcherUrls.push(`http://127.0.0.1:${port}`)
    await waitForHttp(`http://127.0.0.1:${port}/readyz`, service)
    return service
  }
  const stop = async (): Promise<void> => {
    await Promise.all([...ingests, ...dispatchers].map((service) => service.stop('SIGTERM', 5_000)))
    await redis.cleanup()
    await database.drop()
  }
  try {
    for (let i = 0; i < (options.ingests ?? 1); i++) {
      const port = await freePort()
      const service = startProcess(INGEST_ENTRY, { ...env, AQUAALERT_URL: `127.0.0.1:${port}`, POSTEE_MIGRATE: 'off' })
      ingests.push(service)
      ingestUrls.push(`http://127.0.0.1:${port}`)
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, service)
    }
    for (let i = 0; i < (options.dispatchers ?? 1); i++) await startDispatcher()
  } catch (error) {
    await stop()
    throw error
  }
  return { database, redis, env, ingests, dispatchers, ingestUrls, dispatcherUrls, startDispatcher, stop }
}
