import { Queue, type ConnectionOptions } from 'bullmq'
import { DELIVER_JOB, FLUSH_JOB, deliveryQueueName, type DeliveryJobData, type FlushJobData } from '@postee/shared'

/** A delivery to put on its output's queue. */
export interface DeliveryToEnqueue {
  readonly id: string
  readonly output: string
}

/**
 * The producer side of the delivery queues: one BullMQ queue per output, created lazily and kept.
 * Job id = delivery id, so adding the same delivery twice (ingest and relay) queues it once.
 */
export class DeliveryQueues {
  readonly #queues = new Map<string, Queue<DeliveryJobData | FlushJobData>>()

  constructor(
    private readonly connection: ConnectionOptions,
    private readonly prefix: string,
  ) {}

  /** The queue of one output. */
  queue(output: string): Queue<DeliveryJobData | FlushJobData> {
    let queue = this.#queues.get(output)
    if (!queue) {
      queue = new Queue<DeliveryJobData | FlushJobData>(deliveryQueueName(output), { connection: this.connection, prefix: this.prefix })
      // Errors surface on the add() calls; an unhandled 'error' event would crash the process.
      queue.on('error', () => undefined)
      this.#queues.set(output, queue)
    }
    return queue
  }

  /** Adds one job per delivery, in one bulk call per output. */
  async enqueue(deliveries: readonly DeliveryToEnqueue[]): Promise<void> {
    const byOutput = new Map<string, DeliveryToEnqueue[]>()
    for (const delivery of deliveries) {
      const list = byOutput.get(delivery.output) ?? []
      list.push(delivery)
      byOutput.set(delivery.output, list)
    }
    await Promise.all(
      [...byOutput].map(([output, list]) =>
        this.queue(output).addBulk(
          list.map((d) => ({
            name: DELIVER_JOB,
            data: { deliveryId: d.id, output },
            opts: { jobId: d.id, removeOnComplete: { count: 1000 }, removeOnFail: { count: 5000 } },
          })),
        ),
      ),
    )
  }

  /**
   * Puts deliveries on their queues even when a finished job with the same id is still kept
   * (a replayed `failed` delivery, or a row whose job Redis reports done): that job is removed
   * first, since adding an existing job id is a no-op. Jobs waiting, delayed or active are left
   * alone. Returns the deliveries that were (re-)added.
   */
  async requeue(deliveries: readonly DeliveryToEnqueue[]): Promise<DeliveryToEnqueue[]> {
    const checked = await Promise.all(
      deliveries.map(async (delivery) => {
        const job = await this.queue(delivery.output).getJob(delivery.id)
        if (!job) return delivery
        const state = await job.getState()
        if (state !== 'completed' && state !== 'failed') return undefined
        await job.remove()
        return delivery
      }),
    )
    const toAdd = checked.filter((delivery): delivery is DeliveryToEnqueue => delivery !== undefined)
    await this.enqueue(toAdd)
    return toAdd
  }

  /**
   * Schedules an aggregation flush of `output` after `delayMs`. With a deterministic `jobId` every
   * replica schedules one window's flush once; a finished job of that id is replaced.
   */
  async scheduleFlush(output: string, jobId: string, delayMs: number, audience = ''): Promise<void> {
    const queue = this.queue(output)
    const existing = await queue.getJob(jobId)
    if (existing) {
      const state = await existing.getState()
      if (state !== 'completed' && state !== 'failed') return
      await existing.remove()
    }
    await queue.add(FLUSH_JOB, audience === '' ? { output } : { output, audience }, {
      jobId,
      delay: Math.max(0, Math.round(delayMs)),
      removeOnComplete: { count: 100 },
      removeOnFail: { count: 100 },
    })
  }

  /** Closes every queue connection. */
  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()))
    this.#queues.clear()
  }
}
