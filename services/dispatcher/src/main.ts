import { createServer } from 'node:http'
import { Queue, Worker, type Job } from 'bullmq'
import { Redis } from 'ioredis'
import { sql } from 'kysely'
import {
  ConfigError,
  Secret,
  deliveryQueueName,
  loadConfigFile,
  readRuntimeEnv,
  type Config,
  FLUSH_JOB,
  type DeliveryJobData,
  type FlushJobData,
  type Integration,
  type RuntimeEnv,
} from '@postee/shared'
import { DeliveryQueues, createLogger, openDatabase, relayPendingDeliveries, relaySettingsFromEnv, type Logger } from '@postee/store'
import { createDispatcherMetrics } from './metrics.js'
import { createOutput, supportedKinds } from './outputs/registry.js'
import { createFlushProcessor } from './aggregation/flush-processor.js'
import { relayAggregationWindows } from './aggregation/window-relay.js'
import { createDeliveryProcessor } from './process-delivery.js'

// Stalled-job detection: a worker killed mid-delivery loses its lock after LOCK_MS, and another
// replica (or this one restarted) takes the job back within STALLED_CHECK_MS more.
const LOCK_MS = Number(process.env.POSTEE_LOCK_DURATION_MS ?? 30_000)
const STALLED_CHECK_MS = Number(process.env.POSTEE_STALLED_INTERVAL_MS ?? 15_000)
// SIGTERM waits this long for in-flight sends before aborting them and handing them back.
const DRAIN_GRACE_MS = Number(process.env.POSTEE_DRAIN_GRACE_MS ?? 20_000)
const RELAY_INTERVAL_MS = Number(process.env.POSTEE_RELAY_INTERVAL_MS ?? 5_000)

async function main(): Promise<void> {
  const { env, config } = await loadSettings()
  const log = createLogger('dispatcher', env.logLevel)
  const integrations = deliverableIntegrations(config, log)
  const byName = new Map(integrations.map((integration) => [integration.name, integration]))
  const db = openDatabase(env.databaseUrl)
  const connection = new Redis(env.redisUrl, { maxRetriesPerRequest: null })
  connection.on('error', (error: Error) => log.debug({ err: error.message }, 'redis connection error'))
  const metrics = createDispatcherMetrics()
  const shutdown = new AbortController()
  // Producing (relay, aggregation batches) fails fast while Redis is down; the workers' connection
  // would wait instead.
  const producerConnection = new Redis(env.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
  producerConnection.on('error', () => undefined)
  const producer = new DeliveryQueues(producerConnection, env.queuePrefix)

  const workers = integrations.map((integration) => {
    const output = createOutput(integration)!
    const queueName = deliveryQueueName(integration.name)
    const queue = new Queue(queueName, { connection, prefix: env.queuePrefix })
    const deliver = createDeliveryProcessor({
      db,
      integration,
      output,
      queue,
      secrets: secretsOf(integration),
      aquaServer: () => config.common.aquaServer,
      log,
      metrics,
      shutdown: shutdown.signal,
    })
    const flush = createFlushProcessor({ db, integration, queues: producer, log })
    const processor = (job: Job<DeliveryJobData | FlushJobData>, token?: string) =>
      job.name === FLUSH_JOB ? flush(job as Job<FlushJobData>, token) : deliver(job as Job<DeliveryJobData>, token)
    const worker = new Worker<DeliveryJobData | FlushJobData>(queueName, processor, {
      connection,
      prefix: env.queuePrefix,
      concurrency: integration.delivery.concurrency,
      lockDuration: LOCK_MS,
      stalledInterval: STALLED_CHECK_MS,
      // The ledger makes a re-run harmless, so a job that stalls is always taken back, never failed.
      maxStalledCount: 1_000,
      ...(integration.delivery.rateLimit
        ? { limiter: { max: integration.delivery.rateLimit.max, duration: integration.delivery.rateLimit.perMs } }
        : {}),
    })
    worker.on('error', (error) => log.warn({ output: integration.name, err: error.message }, 'worker error'))
    return { worker, queue }
  })
  log.info({ outputs: integrations.map((i) => i.name) }, 'dispatcher started')

  const relaySettings = relaySettingsFromEnv(process.env)
  let relayRunning = false
  const relay = setInterval(() => {
    if (relayRunning) return
    relayRunning = true
    relayPendingDeliveries(db, producer, relaySettings)
      .then((relayed) => relayed > 0 && log.info({ relayed }, 'relayed deliveries to their queues'))
      .then(() => relayAggregationWindows(db, producer, byName))
      .catch((error: Error) => log.warn({ err: error.message }, 'relay pass failed; it runs again next interval'))
      .finally(() => (relayRunning = false))
  }, RELAY_INTERVAL_MS)
  relay.unref()

  const health = createServer(async (req, res) => {
    if (req.url === '/healthz') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}')
    if (req.url === '/readyz') {
      const postgres = await sql`select 1`.execute(db).then(() => true, () => false)
      const redis = await connection.ping().then(() => true, () => false)
      const body = JSON.stringify({ postgres: postgres ? 'ok' : 'down', redis: redis ? 'ok' : 'down' })
      return void res.writeHead(postgres && redis ? 200 : 503, { 'content-type': 'application/json' }).end(body)
    }
    if (req.url === '/metrics') return void res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(await metrics.registry.metrics())
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => health.listen(env.dispatcherHttp.port, env.dispatcherHttp.host, resolve))

  const drain = async (signal: string): Promise<void> => {
    log.info({ signal }, 'draining: no new jobs; in-flight deliveries finish or are handed back')
    clearInterval(relay)
    const abortTimer = setTimeout(() => shutdown.abort(), DRAIN_GRACE_MS)
    await Promise.all(workers.map(({ worker }) => worker.close()))
    clearTimeout(abortTimer)
    await Promise.all(workers.map(({ queue }) => queue.close()))
    await producer.close().catch(() => undefined)
    health.close()
    producerConnection.disconnect()
    connection.disconnect()
    await db.destroy()
    log.info('drained')
    process.exit(0)
  }
  process.once('SIGTERM', (signal) => void drain(signal))
  process.once('SIGINT', (signal) => void drain(signal))
}

async function loadSettings(): Promise<{ env: RuntimeEnv; config: Config }> {
  try {
    const env = readRuntimeEnv(process.env)
    return { env, config: await loadConfigFile(env.configPath, process.env) }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`postee dispatcher: the configuration is invalid, nothing was started.\n${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
}

/** Startup refuses a config naming an output kind this build cannot deliver to. */
function deliverableIntegrations(config: Config, log: Logger): Integration[] {
  for (const notice of config.notices) log.warn(notice)
  const enabled = config.integrations.filter((integration) => integration.enabled)
  const unsupported = enabled.filter((integration) => !createOutput(integration))
  if (unsupported.length > 0) {
    const list = unsupported.map((i) => `${i.name} (type ${i.kind})`).join(', ')
    log.fatal({ unsupported: list }, `no output definition for ${list}; this build delivers to: ${supportedKinds().join(', ')}`)
    process.exit(1)
  }
  return enabled
}

function secretsOf(integration: Integration): Secret[] {
  return Object.values(integration).filter((value): value is Secret => value instanceof Secret)
}

main().catch((error: Error) => {
  process.stderr.write(`postee dispatcher failed to start: ${error.message}\n`)
  process.exit(1)
})
