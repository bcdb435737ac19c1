import { createServer as createHttpServer, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { sql } from 'kysely'
import {
  ConfigError,
  loadConfigFile,
  readEnvironment,
  type Config,
  type HttpLimits,
  type ProcessTuning,
  type RelaySettings,
  type RuntimeEnv,
} from '@postee/shared'
import { migrateToLatest } from '@postee/migrations'
import {
  DeliveryQueues,
  DependencyStatus,
  applyRetention,
  createLogger,
  createRedis,
  isPostgresConnectionError,
  isRedisConnectionError,
  listenOn,
  listenProblem,
  openDatabase,
  redisAnswers,
  redisProbe,
  relayPendingDeliveries,
  waitForDependency,
  watchRedis,
  withTimeout,
  type Logger,
} from '@postee/store'
import { createApp } from './app.js'
import { guardServer, serverOptions } from './http/connection-guard.js'
import { bodyBudgetBytes } from './http/admission.js'
import { createIngestMetrics } from './metrics.js'
import { httpsOptions, resolveTlsPair } from './tls.js'

/** How long a readiness probe waits for each dependency: /readyz answers within 2 s. */
const PROBE_TIMEOUT_MS = 1_500

async function main(): Promise<void> {
  const settings = await loadSettings()
  const { env } = settings
  let config = settings.config
  const log = createLogger('ingest', env.logLevel)
  warnAboutSettings(config, env, log)
  log.info(
    { bodyBudgetBytes: settings.bodyBudgetBytes, maxBodyBytes: config.common.maxBodyBytes },
    'scan bodies are admitted against a memory budget (POSTEE_INGEST_BODY_BUDGET_MB)',
  )
  if (config.common.maxBodyBytes > settings.bodyBudgetBytes) {
    log.warn(
      { bodyBudgetBytes: settings.bodyBudgetBytes, maxBodyBytes: config.common.maxBodyBytes },
      'Max-Body-Size is above the memory budget: bodies larger than the budget get 413; raise the heap limit and POSTEE_INGEST_BODY_BUDGET_MB together to accept them',
    )
  }
  const postgres = new DependencyStatus('postgres', env.databaseUrl, log)
  const redisStatus = new DependencyStatus('redis', env.redisUrl, log)
  const timeouts = { connectTimeoutMs: env.postgresConnectTimeoutMs, queryTimeoutMs: env.postgresQueryTimeoutMs }
  const db = openDatabase(env.databaseUrl, { ...timeouts, status: postgres })
  // Fail fast when Redis is down: the scan is already committed and the relay enqueues it later.
  const redis = watchRedis(createRedis(env.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false }), redisStatus)
  const queues = new DeliveryQueues(redis, env.queuePrefix)
  const metrics = createIngestMetrics()
  const { relaySettings } = settings
  const stopping = new AbortController()
  // Until the schema is known to be current, Postgres counts as not ready.
  let schemaReady = false
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
    // While Postgres is known to be unreachable, scans are refused at once (503) instead of each
    // waiting for its own time-out; a probe below notices when it answers again.
    databaseUp: () => postgres.up,
    bodyBudgetBytes: settings.bodyBudgetBytes,
    credentials: () => ({
      tokens: [...env.ingestTokens, ...config.common.ingestTokens],
      hmacSecrets: [...env.ingestHmacSecrets, ...config.common.ingestHmacSecrets],
      adminTokens: [...env.adminTokens, ...config.common.adminTokens],
    }),
    httpLimits: env.httpLimits,
    reload,
    checkConfig: () =>
      loadConfigFile(env.configPath, process.env).then(
        () => [],
        (error: unknown) => {
          if (!(error instanceof ConfigError)) throw error
          return error.problems.map((p) => `${p.item} › ${p.key}: ${p.message}`)
        },
      ),
    ready: async () => {
      const [pgOk, redisOk] = await Promise.all([
        schemaReady &&
          withTimeout(sql`select 1`.execute(db), PROBE_TIMEOUT_MS, 'Postgres did not answer').then(
            () => true,
            () => false,
          ),
        redisAnswers(redis, PROBE_TIMEOUT_MS),
      ])
      return { postgres: pgOk, redis: redisOk }
    },
  })
  // Listening comes first, so /healthz answers (and /readyz says what is missing) while the
  // process waits for Postgres and Redis.
  // Slow clients cannot hold connections: headers and bodies within seconds (POSTEE_HTTP_*).
  const servers: Server[] = [
    await listen(createHttpServer(serverOptions(env.httpLimits), app), env.http, 'http', 'AQUAALERT_URL', env.httpLimits, log),
  ]

  const prepare = async (): Promise<void> => {
    await waitForDependency(
      postgres,
      async () => {
        if (env.migrate === 'auto')
          log.info({ applied: (await migrateToLatest(env.databaseUrl, timeouts)).applied }, 'migrations up to date')
        else await sql`select 1`.execute(db)
      },
      { signal: stopping.signal, retryIf: isPostgresConnectionError },
    )
    schemaReady = true
    if (env.https && !stopping.signal.aborted) {
      let pair: Awaited<ReturnType<typeof resolveTlsPair>> | undefined
      await waitForDependency(postgres, async () => (pair = await resolveTlsPair(db, env.certPem, env.keyPem)), {
        signal: stopping.signal,
        retryIf: isPostgresConnectionError,
      })
      if (pair) {
        const https = createHttpsServer({ ...serverOptions(env.httpLimits), ...httpsOptions(pair, env.clientCaPem) }, app)
        servers.push(await listen(https, env.https, 'https', 'AQUAALERT_TLS', env.httpLimits, log))
      }
    }
  }
  // Start-up log lines for Redis while it is not there; ioredis reconnects by itself.
  void waitForDependency(redisStatus, redisProbe(redis, redisStatus), { signal: stopping.signal })
  prepare().catch((error: Error) => {
    process.stderr.write(`postee ingest failed to start: ${error.message}\n`)
    process.exit(1)
  })
  // Retention's deletes may run long on a large history: they get a pool of their own, with a
  // time limit that suits them, so the request pool keeps its short one.
  const retentionDb = openDatabase(env.databaseUrl, {
    max: 1,
    connectTimeoutMs: env.postgresConnectTimeoutMs,
    queryTimeoutMs: 300_000,
    statementTimeoutMs: 300_000,
  })
  const timers = [
    // The delivery relay runs here and in the dispatcher: docs/delivery-guarantees.md, "Where the relay runs".
    repeat(
      settings.tuning.relayIntervalMs,
      async () => {
        if (!schemaReady) return
        const relayed = await relayPendingDeliveries(db, queues, relaySettings)
        if (relayed > 0) {
          metrics.relayed.inc(relayed)
          log.info({ relayed }, 'relayed pending deliveries to the queue')
        }
      },
      log,
      'relay',
    ),
    // While Postgres is known to be down, look every second whether it answers again.
    repeat(
      1_000,
      async () => {
        if (schemaReady && !postgres.up) await sql`select 1`.execute(db)
      },
      log,
      'postgres probe',
    ),
    // setInterval takes at most 2^31-1 ms (about 24.8 days).
    repeat(
      Math.min(config.common.dbVerifyIntervalHours * 3_600_000, 2 ** 31 - 1),
      async () => {
        if (!schemaReady) return
        const report = await applyRetention(retentionDb, {
          deleteOldDataDays: config.common.deleteOldDataDays,
          maxBytes: config.common.maxDbSizeBytes,
        })
        if (!report.skipped) log.info(report, 'retention pass done')
      },
      log,
      'retention',
    ),
  ]

  const shutdown = async (signal: string): Promise<void> => {
    log.info({ signal }, 'shutting down: no new requests, finishing the ones in flight')
    stopping.abort()
    // Whatever Postgres or Redis do, the process ends: requests in flight are bounded by their
    // own time limits, and closing a connection to an unreachable server is not waited for long.
    setTimeout(() => {
      log.warn('shutdown took too long; exiting now')
      process.exit(0)
    }, settings.tuning.drainGraceMs + 2_000).unref()
    for (const timer of timers) clearInterval(timer)
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
    await withTimeout(queues.close(), 2_000, 'queues did not close').catch(() => undefined)
    redis.disconnect()
    await withTimeout(Promise.all([db.destroy(), retentionDb.destroy()]), 2_000, 'Postgres pools did not close').catch(() => undefined)
    log.info('stopped')
    process.exit(0)
  }
  process.once('SIGTERM', (signal) => void shutdown(signal))
  process.once('SIGINT', (signal) => void shutdown(signal))
}

// Everything read from the environment and the config file, checked before anything starts.
async function loadSettings(): Promise<{
  env: RuntimeEnv
  config: Config
  tuning: ProcessTuning
  relaySettings: RelaySettings
  bodyBudgetBytes: number
}> {
  try {
    const { env, tuning, relaySettings, ingestBodyBudgetMb } = readEnvironment(process.env)
    return {
      env,
      tuning,
      relaySettings,
      bodyBudgetBytes: bodyBudgetBytes(ingestBodyBudgetMb),
      config: await loadConfigFile(env.configPath, process.env),
    }
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
    log.warn('no ingest token is configured: anyone who can reach this service can post scans; set POSTEE_INGEST_TOKEN or Ingest-Token')
  }
  if (env.adminTokens.length === 0 && config.common.adminTokens.length === 0) {
    log.warn(
      'no admin token is configured: /api/* and POST /api/reload are closed; to open them set POSTEE_ADMIN_TOKEN or Admin-Token in the common item of cfg.yaml',
    )
  }
  if (env.clientCaPem) log.info('the HTTPS listener requires client certificates (AQUAALERT_CLIENT_CA_PEM)')
  for (const integration of config.integrations) {
    if (integration.enabled && 'tlsVerify' in integration && !integration.tlsVerify) {
      log.warn({ output: integration.name }, "tls_verify is false: this output does not verify its target's TLS certificate")
    }
  }
  for (const notice of config.notices) log.warn(notice)
  const enabled = config.integrations.filter((integration) => integration.enabled)
  log.info({ integrations: enabled.map((i) => ({ name: i.name, type: i.kind })) }, 'configuration loaded')
}

// A listen address in use or not available here ends the start with one clear line.
async function listen(
  server: Server,
  address: { host: string; port: number },
  scheme: string,
  variable: string,
  limits: HttpLimits,
  log: Logger,
): Promise<Server> {
  guardServer(server, limits)
  try {
    await listenOn(server, address)
  } catch (error) {
    process.stderr.write(`postee ingest: ${listenProblem(error, address, variable)}\n`)
    process.exit(1)
  }
  log.info({ scheme, host: address.host, port: address.port }, 'listening')
  return server
}

function repeat(intervalMs: number, task: () => Promise<void>, log: Logger, name: string): NodeJS.Timeout {
  let running = false
  const timer = setInterval(() => {
    if (running) return
    running = true
    task()
      .catch((error: Error) => {
        // An unreachable Postgres or Redis is logged once per outage by its status, not per pass.
        const outage = isPostgresConnectionError(error) || isRedisConnectionError(error)
        log[outage ? 'debug' : 'warn']({ err: error.message, task: name }, 'periodic task failed; it runs again next interval')
      })
      .finally(() => (running = false))
  }, intervalMs)
  timer.unref()
  return timer
}

main().catch((error: Error) => {
  process.stderr.write(`postee ingest failed to start: ${error.message}\n`)
  process.exit(1)
})
