import { isRedisConnectionError, type DependencyStatus, type Logger } from '@postee/store'

const VANISHED = /Missing (key|lock) for job|job .* (does not exist|not found)/i

/**
 * True when BullMQ could not move a job because Redis no longer has it (Redis restarted empty,
 * or its data was lost): nothing to do in Redis; the ledger still holds the delivery and the relay
 * queues it again if it is not final.
 */
export function isVanishedJobError(error: unknown): boolean {
  return error instanceof Error && VANISHED.test(error.message)
}

/**
 * Logs an 'error' event of a BullMQ worker or queue as what it is: a Redis outage is reported to
 * the Redis status (one line per outage), a vanished job gets its own explanation, and anything
 * else is a warning.
 */
export function reportQueueError(
  error: Error,
  context: { readonly output: string },
  redis: DependencyStatus | undefined,
  log: Logger,
): void {
  if (isRedisConnectionError(error) && redis) return redis.lost(error)
  if (isVanishedJobError(error)) {
    log.warn(
      { ...context, err: error.message },
      'a job vanished from Redis (Redis restarted or lost its data); the ledger keeps the delivery and the relay queues it again unless it is final',
    )
    return
  }
  log.warn({ ...context, err: error.message }, 'worker error')
}

/**
 * A queue operation (moving a job, pausing a queue) failed, as opposed to a ledger write: the
 * two call for different handling, and their network errors look alike (ECONNRESET…).
 */
export class QueueOperationError extends Error {
  constructor(override readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause), { cause })
    this.name = 'QueueOperationError'
  }
}

/** Runs a BullMQ operation, marking its failure as a QueueOperationError. */
export async function inQueue<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation
  } catch (error) {
    throw new QueueOperationError(error)
  }
}
