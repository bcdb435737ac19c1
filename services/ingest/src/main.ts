import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { sql } from 'kysely'
import { ConfigError, loadConfigFile, readRuntimeEnv, type Config, type RuntimeEnv } from '@postee/shared'
import { migrateToLatest } from '@postee/migrations'
import { DeliveryQueues, applyRetention, createLogger, createRedis, openDatabase, relayPendingDeliveries, relaySettingsFromEnv, tuningFromEnv, type Logger, type ProcessTuning, type RelaySettings } from '@postee/store'
import { createApp } from './app.js'
import { bodyBudgetFromEnv } from './http/admission.js'
import { createIngestMetrics } from './metrics.js'
import { httpsOptions, resolveTlsPair } from './tls.js'

async function main(): Promise<void> {
  const settings = await loadSettings()
  const { env } = settings
  let config = settings.config
  const log = createLogger('ingest', env.logLevel)
  warnAboutSettings(config, env, log)
  log.info({ bodyBudgetBytes: settings.bodyBudgetBytes, maxBodyBytes: config.common.maxBodyBytes }, 'scan bodies are admitted against a memory budget (POSTEE_INGEST_BODY_BUDGET_MB)')
  if (config.common.maxBodyBytes > settings.bodyBudgetBytes) {
    log.warn({ bodyBudgetBytes: settings.bodyBudgetBytes, maxBodyBytes: config.common.maxBodyBytes }, 'Max-Body-Size is above the memory budget: bodies larger than the budget get 413; raise the heap limit and POSTEE_INGEST_BODY_BUDGET_MB together to accept them')
  }
  if (env.migrate === 'auto') log.info({ applied: (await migrateToLatest(env.databaseUrl)).applied }, 'migrations up to date')

  const db = openDatabase(env.databaseUrl)
  // Fail fast when Redis is down: the scan is already committed and the relay enqueues it later.
  const redis = createRedis(env.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false })
  redis.on('error', (error: Error) => log.debug({ err: error.message }, 'redis connection error'))
  const queues = new DeliveryQueues(redis, env.queuePrefix)
  const metrics = createIngestMetrics()
  const { relaySettings } = settings
  // An invalid new config is refused with its problems logged; the old one stays in force.
  const reload = async (): Promise<{ applied: boolean; problems?: string[] }> => {
    try {
      config = await loadConfigFile(env.configPath, process.env)
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error
      log.error(`config reload refused, the old config stays in force:\n${error.message}`)
      return { applied: false, problems: error.problems.map((p) => `${p.item} › ${p.key}: ${p.message}`) }
    }
    warnAboutSettings(config, env, log)
    log.info('config reloaded')
    return { applied: true }
  }
  process.on('SIGHUP', () => void reload())

  const app = createApp({
    db,
    queues,
    config: () => config,
    log,
    metrics,
    enqueueTimeoutMs: 2_000,
    bodyBudgetBytes: settings.bodyBudgetBytes,
    credentials: () => ({
      tokens: [...env.ingestTokens, ...config.common.ingestTokens],
      hmacSecrets: [...env.ingestHmacSecrets, ...config.common.ingestHmacSecrets],
    }),
    reload,
    ready: async () => ({
      postgres: await sql`select 1`.execute(db).then(() => true, () => false),
      redis: redis.status === 'ready' && (await redis.ping().then(() => true, () => false)),
    }),
  })
  const servers: Server[] = [await listen(createHttpServer(app), env.http, 'http', log)]
  if (env.https) {
    const pair = await resolveTlsPair(db, env.certPem, env.keyPem)
    const https = createHttpsServer(httpsOptions(pair, env.clientCaPem), app)
    servers.push(await listen(https, env.https, 'https', log))
  }
  // Slow clients cannot hold connections: headers within 20 s, the whole request within 2 min.
  for (const server of servers) {
    server.headersTimeout = 20_000
    server.requestTimeout = 120_000
    server.keepAliveTimeout = 65_000
  }

  const timers = [
    repeat(settings.tuning.relayIntervalMs, async () => {
      const relayed = await relayPendingDeliveries(db, queues, relaySettings)
      if (relayed > 0) {
        metrics.relayed.inc(relayed)
        log.info({ relayed }, 'relayed pending deliveries to the queue')
      }
    }, log, 'relay'),
    // setInterval takes at most 2^31-1 ms (about 24.8 days).
    repeat(Math.min(config.common.dbVerifyIntervalHours * 3_600_000, 2 ** 31 - 1), async () => {
      const report = await applyRetention(db, { deleteOldDataDays: config.common.deleteOldDataDays, maxBytes: config.common.maxDbSizeBytes })
      if (!report.skipped) log.info(report, 'retention pass done')
    }, log, 'retention'),
  ]

  const shutdown = async (signal: string): Promise<void> => {
    log.info({ signal }, 'shutting down: no new requests, finishing the ones in flight')
    for (const timer of timers) clearInterval(timer)
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
    await queues.close().catch(() => undefined)
    redis.disconnect()
    await db.destroy()
    process.exit(0)
  }
  process.once('SIGTERM', (signal) => void shutdown(signal))
  process.once('SIGINT', (signal) => void shutdown(signal))
}

// Everything read from the environment and the config file, checked before anything starts.
async function loadSettings(): Promise<{ env: RuntimeEnv; config: Config; tuning: ProcessTuning; relaySettings: RelaySettings; bodyBudgetBytes: number }> {
  try {
    const env = readRuntimeEnv(process.env)
    const tuning = tuningFromEnv(process.env)
    const relaySettings = relaySettingsFromEnv(process.env)
    const bodyBudgetBytes = bodyBudgetFromEnv(process.env)
    return { env, tuning, relaySettings, bodyBudgetBytes, config: await loadConfigFile(env.configPath, process.env) }
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`postee ingest: the configuration is invalid, nothing was started.\n${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
}

function warnAboutSettings(config: Config, env: RuntimeEnv, log: Logger): void {
  const signing = env.ingestHmacSecrets.length + config.common.ingestHmacSecrets.length
  if (env.ingestTokens.length === 0 && config.common.ingestTokens.length === 0 && signing === 0) {
    log.warn('no ingest token is configured: anyone who can reach this service can post scans and read the API; set POSTEE_INGEST_TOKEN or Ingest-Token')
  }
  if (signing > 0 && env.ingestTokens.length === 0 && config.common.ingestTokens.length === 0) {
    log.warn('signing keys are set but no ingest token: the /api routes are open; set POSTEE_INGEST_TOKEN or Ingest-Token')
  }
  if (env.clientCaPem) log.info('the HTTPS listener requires client certificates (AQUAALERT_CLIENT_CA_PEM)')
  for (const integration of config.integrations) {
    if (integration.enabled && 'tlsVerify' in integration && !integration.tlsVerify) {
      log.warn({ output: integration.name }, 'tls_verify is false: this output does not verify its target\'s TLS certificate')
    }
  }
  for (const notice of config.notices) log.warn(notice)
  const enabled = config.integrations.filter((integration) => integration.enabled)
  log.info({ integrations: enabled.map((i) => ({ name: i.name, type: i.kind })) }, 'configuration loaded')
}

async function listen(server: Server, address: { host: string; port: number }, scheme: string, log: Logger): Promise<Server> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(address.port, address.host, () => resolve())
  })
  log.info({ scheme, host: address.host, port: address.port }, 'listening')
  return server
}

function repeat(intervalMs: number, task: () => Promise<void>, log: Logger, name: string): NodeJS.Timeout {
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    task()
      .catch((error: Error) => log.warn({ err: error.message, task: name }, 'periodic task failed; it runs again next interval'))
      .finally(() => (running = false))
  }, intervalMs)
  timer.unref()
  return timer
}

main().catch((error: Error) => {
  process.stderr.write(`postee ingest failed to start: ${error.message}\n`)
  process.exit(1)
})
