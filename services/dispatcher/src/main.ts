import { sql } from 'kysely'
import { ConfigError, loadConfigFile, type Config, type Integration, type RuntimeEnv } from '@postee/shared'
import { DeliveryQueues, createLogger, createRedis, openDatabase, readServiceEnv, relayPendingDeliveries, type Logger, type RelaySettings, type ServiceEnv } from '@postee/store'
import { relayAggregationWindows } from './aggregation/window-relay.js'
import { createHealthServer } from './health-server.js'
import { createDispatcherMetrics } from './metrics.js'
import { OutputWorkers } from './output-workers.js'
import { createOutput, supportedKinds } from './outputs/registry.js'


async function main(): Promise<void> {
  const { env, tuning, relaySettings } = readEnv()
  const log = createLogger('dispatcher', env.logLevel)
  const config = await loadConfig(env, log)
  if (!config) process.exit(1)
  const db = openDatabase(env.databaseUrl)
  const connection = createRedis(env.redisUrl, { maxRetriesPerRequest: null })
  connection.on('error', (error: Error) => log.debug({ err: error.message }, 'redis connection error'))
  // Producing (relay, aggregation batches) fails fast while Redis is down; the workers' connection
  // would wait instead.
  const producerConnection = createRedis(env.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
  producerConnection.on('error', () => undefined)
  const producer = new DeliveryQueues(producerConnection, env.queuePrefix)
  const shutdown = new AbortController()
  let workers: OutputWorkers | undefined
  const metrics = createDispatcherMetrics({ db, queues: () => workers?.queues ?? new Map() })
  workers = new OutputWorkers({
    db,
    connection,
    prefix: env.queuePrefix,
    producer,
    log,
    metrics,
    // Stalled-job detection: a worker killed mid-delivery loses its lock after lockMs, and another
    // replica (or this one restarted) takes the job back within stalledCheckMs more.
    tuning: { lockMs: tuning.lockMs, stalledCheckMs: tuning.stalledCheckMs },
    shutdown: shutdown.signal,
  })
  await workers.apply(config)
  log.info({ outputs: [...workers.integrations.keys()] }, 'dispatcher started')

  const reload = async (): Promise<{ applied: boolean; problems?: string[] }> => {
    const next = await loadConfig(env, log)
    if (!next) {
      metrics.reloads.inc({ result: 'refused' })
      return { applied: false, problems: ['the new config is invalid; see the log; the old config stays in force'] }
    }
    const changes = await workers!.apply(next)
    metrics.reloads.inc({ result: 'applied' })
    log.info(changes, 'config reloaded')
    return { applied: true }
  }
  const relay = startRelay(db, producer, () => workers!.integrations, log, tuning.relayIntervalMs, relaySettings)
  const health = createHealthServer({
    ready: async () => ({
      postgres: await sql`select 1`.execute(db).then(() => true, () => false),
      redis: await connection.ping().then(() => true, () => false),
    }),
    metrics,
    reload,
    tokens: () => ({
      admin: [...env.adminTokens, ...(workers?.config?.common.adminTokens ?? [])],
      ingest: [...env.ingestTokens, ...(workers?.config?.common.ingestTokens ?? [])],
    }),
    httpLimits: env.httpLimits,
  })
  await new Promise<void>((resolve) => health.listen(env.dispatcherHttp.port, env.dispatcherHttp.host, resolve))

  process.on('SIGHUP', () => void reload())
  const drain = async (signal: string): Promise<void> => {
    log.info({ signal }, 'draining: no new jobs; in-flight deliveries finish or are handed back')
    clearInterval(relay)
    // In-flight sends get drainGraceMs to finish; then they are aborted and handed back.
    const abortTimer = setTimeout(() => shutdown.abort(), tuning.drainGraceMs)
    await workers!.closeAll()
    clearTimeout(abortTimer)
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

// Everything read from the environment, checked before anything starts.
function readEnv(): ServiceEnv {
  try {
    return readServiceEnv(process.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`postee dispatcher: the environment is invalid, nothing was started.\n${error.message}\n`)
    process.exit(1)
  }
}

/**
 * Reads and checks cfg.yaml; undefined (with every problem logged) when it is invalid or names an
 * output kind this build cannot deliver to, so a start fails and a reload keeps the old config.
 */
async function loadConfig(env: RuntimeEnv, log: Logger): Promise<Config | undefined> {
  let config: Config
  try {
    config = await loadConfigFile(env.configPath, process.env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    log.error({ problems: error.problems.length }, `the configuration is invalid:\n${error.message}`)
    process.stderr.write(`postee dispatcher: the configuration is invalid.\n${error.message}\n`)
    return undefined
  }
  for (const notice of config.notices) log.warn(notice)
  if (env.adminTokens.length === 0 && config.common.adminTokens.length === 0) {
    log.warn('no admin token is configured: POST /reload is closed; to open it set POSTEE_ADMIN_TOKEN or Admin-Token in the common item of cfg.yaml')
  }
  for (const integration of config.integrations) {
    if (integration.enabled && 'tlsVerify' in integration && !integration.tlsVerify) {
      log.warn({ output: integration.name }, "tls_verify is false: this output does not verify its target's TLS certificate")
    }
    if (integration.enabled && integration.kind === 'email' && !integration.requireTls && !integration.useMX && integration.user !== undefined && integration.password && !integration.password.isEmpty()) {
      log.warn({ output: integration.name }, 'require_tls is false: this output may send its SMTP user and password without TLS when the server offers no STARTTLS')
    }
  }
  const unsupported = config.integrations.filter((i) => i.enabled && !createOutput(i))
  if (unsupported.length > 0) {
    const list = unsupported.map((i) => `${i.name} (type ${i.kind})`).join(', ')
    log.error(`no output definition for ${list}; this build delivers to: ${supportedKinds().join(', ')}`)
    return undefined
  }
  return config
}

function startRelay(
  db: ReturnType<typeof openDatabase>,
  producer: DeliveryQueues,
  integrations: () => ReadonlyMap<string, Integration>,
  log: Logger,
  intervalMs: number,
  settings: RelaySettings,
): NodeJS.Timeout {
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    relayPendingDeliveries(db, producer, settings)
      .then((relayed) => relayed > 0 && log.info({ relayed }, 'relayed deliveries to their queues'))
      .then(() => relayAggregationWindows(db, producer, integrations()))
      .catch((error: Error) => log.warn({ err: error.message }, 'relay pass failed; it runs again next interval'))
      .finally(() => (running = false))
  }, intervalMs)
  timer.unref()
  return timer
}

main().catch((error: Error) => {
  process.stderr.write(`postee dispatcher failed to start: ${error.message}\n`)
  process.exit(1)
})
