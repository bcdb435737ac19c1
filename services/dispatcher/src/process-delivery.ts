import { DelayedError, type Job, type Queue } from 'bullmq'
import type { Kysely } from 'kysely'
import { redactSecrets, type DeliveryJobData, type DeliveryResult, type Integration, type Output, type Secret } from '@postee/shared'
import { markAttemptFailed, releaseClaim, type ClaimedDelivery, type Database, type DeliveryView, type Logger } from '@postee/store'
import { backoffDelay } from './backoff.js'
import type { DeliveryLedger } from './ledger.js'
import { batchOfClaim } from './load-batch.js'
import type { DispatcherMetrics } from './metrics.js'
import { asDeliveryError, bullErrorFor, planFailure, type FailurePlan } from './to-bull-error.js'
import { QueueOperationError, inQueue, isVanishedJobError } from './worker-errors.js'

/** How long a job waits when the ledger (Postgres) cannot be read or written. */
const LEDGER_RETRY_MS = 5_000

/** Everything one output's worker needs to process its jobs. */
export interface DeliveryProcessorDependencies {
  readonly db: Kysely<Database>
  /** Claims and records sends in group commits shared by every output of the process. */
  readonly ledger: DeliveryLedger
  readonly integration: Integration
  readonly output: Output
  /** The output's own queue, to pause it on a 429. */
  readonly queue: Queue
  readonly secrets: readonly Secret[]
  readonly aquaServer: () => string | undefined
  readonly log: Logger
  readonly metrics: DispatcherMetrics
  /** Aborted when a draining process gives up waiting for in-flight sends. */
  readonly shutdown: AbortSignal
}

/**
 * ledger claim → output.send → ledger record. The ledger decides whether there is anything to do
 * (a delivery already final is never sent again), so duplicate jobs and replays are harmless, and
 * nothing is marked sent that could not be recorded: a ledger failure puts the job back.
 */
export function createDeliveryProcessor(deps: DeliveryProcessorDependencies) {
  return async (job: Job<DeliveryJobData>, token?: string): Promise<void> => {
    const log = deps.log.child({ delivery: job.data.deliveryId, output: deps.integration.name })
    const later = async (ms: number): Promise<never> => {
      await job.moveToDelayed(Date.now() + ms, token)
      throw new DelayedError()
    }
    let claimed: ClaimedDelivery | undefined
    try {
      claimed = await deps.ledger.claim(job.data.deliveryId)
    } catch (error) {
      log.warn({ err: (error as Error).message }, 'ledger unavailable; the delivery waits')
      return later(LEDGER_RETRY_MS)
    }
    if (!claimed) {
      log.debug('delivery is not pending (already final, buffered or gone): nothing to do')
      return
    }
    if (claimed.delivery.status === 'dead') {
      // The claim found it `sending` for the STALL_LIMIT-th time: every worker that sent it died.
      deps.metrics.deliveries.inc({ output: deps.integration.name, status: 'dead' })
      log.error(
        { attempts: claimed.delivery.attempts, err: claimed.delivery.lastError },
        'delivery is dead: the worker stopped while sending it too many times',
      )
      return
    }
    if (claimed.delivery.attempts > deps.integration.delivery.attempts) {
      // Stalls count as attempts: a delivery whose worker stopped on its last attempt has none left.
      const reason = `retries exhausted: ${deps.integration.delivery.attempts} attempts, the last ended by the worker stopping while sending`
      await markAttemptFailed(deps.db, claimed.delivery.id, 'dead', reason).catch((error: Error) =>
        log.warn({ err: error.message }, 'could not record the dead delivery; it is claimed again later'),
      )
      deps.metrics.deliveries.inc({ output: deps.integration.name, status: 'dead' })
      log.error({ attempts: claimed.delivery.attempts - 1 }, reason)
      return
    }
    const delivery = claimed.delivery
    const outcome = await attempt(deps, claimed)
    try {
      await record(deps, job, token, delivery, outcome, log)
    } catch (error) {
      if (error instanceof DelayedError || isBullControl(error)) throw error
      if (error instanceof QueueOperationError) {
        // The ledger has the outcome; only the job could not be moved. Nothing more is asked of
        // Redis for it: a vanished job is queued again by the relay (unless final), and a job
        // whose Redis connection broke returns when its lock expires.
        const message = isVanishedJobError(error.cause)
          ? 'the job vanished from Redis (Redis restarted or lost its data); the ledger keeps the delivery and the relay queues it again unless it is final'
          : 'the job could not be moved in Redis (unreachable); the ledger keeps the delivery and the stalled-job check takes the job back'
        log.warn({ err: error.message }, message)
        throw new DelayedError()
      }
      log.warn({ err: (error as Error).message }, 'could not record the outcome in the ledger; the delivery waits')
      return later(LEDGER_RETRY_MS)
    }
  }
}

type AttemptOutcome =
  { readonly ok: true; readonly result: DeliveryResult; readonly receivedAt: Date } | { readonly ok: false; readonly error: unknown }

async function attempt(deps: DeliveryProcessorDependencies, claimed: ClaimedDelivery): Promise<AttemptOutcome> {
  const { timeoutMs } = deps.integration.delivery
  const signal = AbortSignal.any([AbortSignal.timeout(timeoutMs), deps.shutdown])
  try {
    const batch = await batchOfClaim(deps.db, claimed)
    const result = await deps.output.send({ signal, timeoutMs, aquaServer: deps.aquaServer() }, batch)
    return { ok: true, result, receivedAt: batch.items[0]!.receivedAt }
  } catch (error) {
    return { ok: false, error }
  }
}

async function record(
  deps: DeliveryProcessorDependencies,
  job: Job<DeliveryJobData>,
  token: string | undefined,
  delivery: DeliveryView,
  outcome: AttemptOutcome,
  log: DeliveryProcessorDependencies['log'],
): Promise<void> {
  const output = deps.integration.name
  if (outcome.ok) {
    await deps.ledger.sent(delivery.id, outcome.result.externalId)
    deps.metrics.deliveries.inc({ output, status: 'sent' })
    deps.metrics.latency.observe({ output }, (Date.now() - outcome.receivedAt.getTime()) / 1000)
    log.info({ attempts: delivery.attempts, externalId: outcome.result.externalId }, 'delivered')
    for (const warning of outcome.result.warnings ?? [])
      log.warn({ externalId: outcome.result.externalId }, redactSecrets(warning, deps.secrets))
    return
  }
  if (deps.shutdown.aborted) {
    // Draining: hand the delivery back unspent; another replica (or this one, restarted) takes it.
    await releaseClaim(deps.db, delivery.id)
    await inQueue(job.moveToDelayed(Date.now(), token))
    throw new DelayedError()
  }
  const error = asDeliveryError(outcome.error)
  const message = redactSecrets(error.message, deps.secrets)
  const plan = planFailure(error, {
    attempts: delivery.attempts,
    maxAttempts: deps.integration.delivery.attempts,
    backoffMs: (n) => backoffDelay(n, deps.integration.delivery.backoffBaseMs, deps.integration.delivery.backoffCapMs),
  })
  deps.metrics.failures.inc({ output, reason: error.reason })
  log.warn({ attempts: delivery.attempts, reason: error.reason, err: message, next: plan.kind }, 'delivery attempt failed')
  await applyPlan(deps, job, token, delivery, plan, message)
  throw bullErrorFor(plan)
}

async function applyPlan(
  deps: DeliveryProcessorDependencies,
  job: Job<DeliveryJobData>,
  token: string | undefined,
  delivery: DeliveryView,
  plan: FailurePlan,
  message: string,
): Promise<void> {
  const output = deps.integration.name
  switch (plan.kind) {
    case 'pause-output':
      await releaseClaim(deps.db, delivery.id)
      await inQueue(deps.queue.rateLimit(plan.pauseMs))
      return
    case 'retry':
      await markAttemptFailed(deps.db, delivery.id, 'pending', message)
      await inQueue(job.moveToDelayed(Date.now() + plan.delayMs, token))
      deps.metrics.retries.inc({ output })
      return
    case 'failed':
    case 'dead':
      await markAttemptFailed(deps.db, delivery.id, plan.kind, message)
      deps.metrics.deliveries.inc({ output, status: plan.kind })
  }
}

function isBullControl(error: unknown): boolean {
  return error instanceof Error && ['RateLimitError', 'UnrecoverableError', 'DelayedError'].includes(error.name)
}
