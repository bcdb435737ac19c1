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
