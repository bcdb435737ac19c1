import { sql } from 'kysely'
import {
  ConfigError,
  loadConfigFile,
  readEnvironment,
  type Config,
  type Environment,
  type Integration,
  type RelaySettings,
  type RuntimeEnv,
} from '@postee/shared'
import {
  DeliveryQueues,
  DependencyStatus,
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
import { relayAggregationWindows } from './aggregation/window-relay.js'
import { createHealthServer } from './health-server.js'
import { createDispatcherMetrics } from './metrics.js'
import { OutputWorkers } from './output-workers.js'
import { createOutput, supportedKinds } from './outputs/registry.js'

/** How long a readiness probe waits for each dependency: /readyz answers within 2 s. */
const PROBE_TIMEOUT_MS = 1_500

async function main(): Promise<void> {
  const { env, tuning, relaySettings } = readEnv()
  const log = createLogger('dispatcher', env.logLevel)
  const config = await loadConfig(env, log)
  if (!config) process.exit(1)
  const postgres = new DependencyStatus('postgres', env.databaseUrl, log)
  const redis = new DependencyStatus('redis', env.redisUrl, log)
  const db = openDatabase(env.databaseUrl, {
    connectTimeoutMs: env.postgresConnectTimeoutMs,
    queryTimeoutMs: env.postgresQueryTimeoutMs,
    status: postgres,
  })
  const connection = watchRedis(createRedis(env.redisUrl, { maxRetriesPerRequest: null }), redis)
  // Producing (relay, aggregation batches) fails fast while Redis is down; the workers' connection
  // would wait instead.
  const producerConnection = watchRedis(createRedis(env.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false }), redis)
  const producer = new DeliveryQueues(producerConnection, env.queuePrefix)
  const shutdown = new AbortController()
  const stopping = new AbortController()
  let workers: OutputWorkers | undefined // eslint-disable-line prefer-const -- assigned after the metrics that read it
  const metrics = createDispatcherMetrics({ db, queues: () => workers?.queues ?? new Map() })

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
  const health = createHealthServer({
    ready: async () => {
      const [pgOk, redisOk] = await Promise.all([
        withTimeout(sql`select 1`.execute(db), PROBE_TIMEOUT_MS, 'Postgres did not answer').then(
          () => true,
          () => false,
        ),
        redisAnswers(connection, PROBE_TIMEOUT_MS),
      ])
      return { postgres: pgOk, redis: redisOk }
    },
    metrics,
    reload,
    tokens: () => ({
      admin: [...env.adminTokens, ...(workers?.config?.common.adminTokens ?? [])],
      ingest: [...env.ingestTokens, ...(workers?.config?.common.ingestTokens ?? [])],
    }),
    httpLimits: env.httpLimits,
  })
  // The port first: a port in use ends the start before any worker takes a job.
  try {
    await listenOn(health, env.dispatcherHttp)
  } catch (error) {
    process.stderr.write(`postee dispatcher: ${listenProblem(error, env.dispatcherHttp, 'POSTEE_DISPATCHER_HTTP')}\n`)
    process.exit(1)
  }

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
    redis,
  })
  await workers.apply(config)
  log.info({ outputs: [...workers.integrations.keys()] }, 'dispatcher started')
  // Start-up log lines while Postgres or Redis is not there yet; the clients reconnect by themselves.
  void waitForDependency(postgres, () => sql`select 1`.execute(db), { signal: stopping.signal })
  void waitForDependency(redis, redisProbe(connection, redis), { signal: stopping.signal })

  const relay = startRelay(db, producer, () => workers.integrations, log, tuning.relayIntervalMs, relaySettings)
  process.on('SIGHUP', () => void reload())
  const drain = async (signal: string): Promise<void> => {
    log.info({ signal }, 'draining: no new jobs; in-flight deliveries finish or are handed back')
    stopping.abort()
    clearInterval(relay)
    // In-flight sends get drainGraceMs to finish; then they are aborted and handed back.
    const abortTimer = setTimeout(() => shutdown.abort(), tuning.drainGraceMs)
    // Whatever Redis or Postgres do, the process ends a little after the grace: a job that could
    // not be handed back explicitly returns when its lock expires (stalled-job check).
    setTimeout(() => {
      log.warn(
        { postgres: postgres.up ? 'ok' : 'down', redis: redis.up ? 'ok' : 'down' },
        'drain did not complete in time; exiting, unfinished jobs return to their queue when their lock expires',
      )
      process.exit(0)
    }, tuning.drainGraceMs + 3_000).unref()
    await workers.closeAll()
    clearTimeout(abortTimer)
    await withTimeout(producer.close(), 2_000, 'queues did not close').catch(() => undefined)
    health.close()
    producerConnection.disconnect()
    connection.disconnect()
    await withTimeout(db.destroy(), 2_000, 'the Postgres pool did not close').catch(() => undefined)
    log.info('drained')
    process.exit(0)
  }
  process.once('SIGTERM', (signal) => void drain(signal))
  process.once('SIGINT', (signal) => void drain(signal))
}

// Everything read from the environment, checked before anything starts.
function readEnv(): Environment {
  try {
    return readEnvironment(process.env)
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
    log.warn(
      'no admin token is configured: POST /reload is closed; to open it set POSTEE_ADMIN_TOKEN or Admin-Token in the common item of cfg.yaml',
    )
  }
  for (const integration of config.integrations) {
    if (integration.enabled && 'tlsVerify' in integration && !integration.tlsVerify) {
      log.warn({ output: integration.name }, "tls_verify is false: this output does not verify its target's TLS certificate")
    }
    if (
      integration.enabled &&
      integration.kind === 'email' &&
      !integration.requireTls &&
      !integration.useMX &&
      integration.user !== undefined &&
      integration.password &&
      !integration.password.isEmpty()
    ) {
      log.warn(
        { output: integration.name },
        'require_tls is false: this output may send its SMTP user and password without TLS when the server offers no STARTTLS',
      )
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

// Both relays; where each runs and why: docs/delivery-guarantees.md, "Where the relay runs".
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
      .catch((error: Error) => {
        // An unreachable Postgres or Redis is logged once per outage by its status, not per pass.
        const outage = isPostgresConnectionError(error) || isRedisConnectionError(error)
        log[outage ? 'debug' : 'warn']({ err: error.message }, 'relay pass failed; it runs again next interval')
      })
      .finally(() => (running = false))
  }, intervalMs)
  timer.unref()
  return timer
}

main().catch((error: Error) => {
  process.stderr.write(`postee dispatcher failed to start: ${error.message}\n`)
  process.exit(1)
})
