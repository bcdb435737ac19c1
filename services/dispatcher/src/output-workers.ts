import { createHash } from 'node:crypto'
import { Queue, Worker, type ConnectionOptions, type Job } from 'bullmq'
import type { Kysely } from 'kysely'
import {
  FLUSH_JOB,
  Secret,
  deliveryQueueName,
  type Config,
  type DeliveryJobData,
  type FlushJobData,
  type Integration,
} from '@postee/shared'
import { STALL_LIMIT, type Database, type DeliveryQueues, type DependencyStatus, type Logger } from '@postee/store'
import { createFlushProcessor } from './aggregation/flush-processor.js'
import { DeliveryLedger } from './ledger.js'
import type { DispatcherMetrics } from './metrics.js'
import { createOutput } from './outputs/registry.js'
import { createDeliveryProcessor } from './process-delivery.js'
import { reportQueueError } from './worker-errors.js'

/** Worker tuning shared by every output (see docs/configuration.md, "Environment"). */
export interface WorkerTuning {
  readonly lockMs: number
  readonly stalledCheckMs: number
}

/** What every output's worker is built from. */
export interface OutputWorkersDependencies {
  readonly db: Kysely<Database>
  readonly connection: ConnectionOptions
  readonly prefix: string
  readonly producer: DeliveryQueues
  readonly log: Logger
  readonly metrics: DispatcherMetrics
  readonly tuning: WorkerTuning
  /** Aborted when a draining process gives up waiting for in-flight sends. */
  readonly shutdown: AbortSignal
  /** Told about Redis connection errors of the workers and queues (one log line per outage). */
  readonly redis?: DependencyStatus
}

interface Running {
  readonly integration: Integration
  readonly fingerprint: string
  readonly worker: Worker<DeliveryJobData | FlushJobData>
  readonly queue: Queue
}

// Secrets print as <secret>, so they are revealed into the hash: a rotated token is a change too.
function fingerprintOf(integration: Integration): string {
  const json = JSON.stringify(integration, (_key, value: unknown) => (value instanceof Secret ? `secret:${value.reveal()}` : value))
  return createHash('sha256').update(json).digest('hex')
}

/**
 * One BullMQ worker per enabled output, reconciled with the config on start and on every reload:
 * new outputs get a worker, removed ones drain theirs, changed ones are drained and started again
 * with the new settings, unchanged ones are left alone.
 */
export class OutputWorkers {
  readonly #running = new Map<string, Running>()
  readonly #ledger: DeliveryLedger
  #config: Config | undefined

  constructor(private readonly deps: OutputWorkersDependencies) {
    this.#ledger = new DeliveryLedger(deps.db)
  }

  /** The config in force. */
  get config(): Config | undefined {
    return this.#config
  }

  /** The queues of the outputs being served, by output name. */
  get queues(): ReadonlyMap<string, Queue> {
    return new Map([...this.#running].map(([name, running]) => [name, running.queue]))
  }

  /** The integrations being served, by name. */
  get integrations(): ReadonlyMap<string, Integration> {
    return new Map([...this.#running].map(([name, running]) => [name, running.integration]))
  }

  /** Brings the running workers in line with `config`; returns what changed. */
  async apply(config: Config): Promise<{ started: string[]; stopped: string[]; restarted: string[] }> {
    this.#config = config
    const wanted = new Map(config.integrations.filter((i) => i.enabled).map((i) => [i.name, i]))
    const started: string[] = []
    const stopped: string[] = []
    const restarted: string[] = []
    for (const [name, running] of this.#running) {
      const next = wanted.get(name)
      if (next && fingerprintOf(next) === running.fingerprint) continue
      await this.#stop(name)
      ;(next ? restarted : stopped).push(name)
    }
    for (const [name, integration] of wanted) {
      if (this.#running.has(name)) continue
      this.#start(integration)
      if (!restarted.includes(name)) started.push(name)
    }
    return { started, stopped, restarted }
  }

  /** Stops every worker, letting in-flight deliveries finish (see `shutdown`). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#running.keys()].map((name) => this.#stop(name)))
  }

  async #stop(name: string): Promise<void> {
    const running = this.#running.get(name)
    if (!running) return
    this.#running.delete(name)
    await running.worker.close()
    await running.queue.close()
  }

  #start(integration: Integration): void {
    const { deps } = this
    const output = createOutput(integration)
    if (!output) throw new Error(`no output definition for ${integration.name} (type ${integration.kind})`)
    const queueName = deliveryQueueName(integration.name)
    const queue = new Queue(queueName, { connection: deps.connection, prefix: deps.prefix })
    // Without a listener BullMQ prints each connection error to stderr as a stack trace.
    queue.on('error', (error) => reportQueueError(error, { output: integration.name }, deps.redis, deps.log))
    const secrets = Object.values(integration).filter((value): value is Secret => value instanceof Secret)
    const deliver = createDeliveryProcessor({
      db: deps.db,
      ledger: this.#ledger,
      integration,
      output,
      queue,
      secrets,
      aquaServer: () => this.#config?.common.aquaServer,
      log: deps.log,
      metrics: deps.metrics,
      shutdown: deps.shutdown,
    })
    const flush = createFlushProcessor({ db: deps.db, integration, queues: deps.producer, log: deps.log })
    const processor = (job: Job<DeliveryJobData | FlushJobData>, token?: string) =>
      job.name === FLUSH_JOB ? flush(job as Job<FlushJobData>, token) : deliver(job as Job<DeliveryJobData>, token)
    const { rateLimit, concurrency } = integration.delivery
    const worker = new Worker<DeliveryJobData | FlushJobData>(queueName, processor, {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency,
      lockDuration: deps.tuning.lockMs,
      stalledInterval: deps.tuning.stalledCheckMs,
      // The ledger counts stalls and makes the delivery dead at STALL_LIMIT (when a claim finds it
      // still `sending`); BullMQ's own limit is a backstop just beyond it, so a job is never
      // failed by BullMQ before the ledger has recorded why.
      maxStalledCount: STALL_LIMIT + 1,
      ...(rateLimit ? { limiter: { max: rateLimit.max, duration: rateLimit.perMs } } : {}),
    })
    worker.on('error', (error) => reportQueueError(error, { output: integration.name }, deps.redis, deps.log))
    this.#running.set(integration.name, { integration, fingerprint: fingerprintOf(integration), worker, queue })
  }
}
