/**
 * The BullMQ queue of one output. Integration names are free text (spaces, colons), and BullMQ
 * uses `:` as its key separator, so the name is percent-encoded.
 */
export function deliveryQueueName(outputName: string): string {
  return `deliver.${encodeURIComponent(outputName)}`
}

/** The data of a delivery job; its job id is the delivery id, so enqueueing twice is harmless. */
export interface DeliveryJobData {
  readonly deliveryId: string
  readonly output: string
}

/** The data of an aggregation flush job, on the output's own queue under the job name `flush`. */
export interface FlushJobData {
  readonly output: string
  /** The window's audience (absent in jobs of older versions: the fixed audience ''). */
  readonly audience?: string
}

/** Job name of deliveries. */
export const DELIVER_JOB = 'deliver'

/** Job name of aggregation flushes. */
export const FLUSH_JOB = 'flush'

/**
 * The id of the flush job of the window of `audience` opened at `openedAt`: deterministic, so every
 * replica and the relay schedule the same window's flush once.
 */
export function windowFlushJobId(openedAt: Date, audience = ''): string {
  return audience === '' ? `flush.${openedAt.getTime()}` : `flush.${audience}.${openedAt.getTime()}`
}
