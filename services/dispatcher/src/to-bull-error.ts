import { DelayedError, RateLimitError, UnrecoverableError } from 'bullmq'
import { DeliveryError } from '@postee/shared'

/** What the ledger and the queue do after a failed attempt. */
export type FailurePlan =
  | { readonly kind: 'retry'; readonly delayMs: number }
  | { readonly kind: 'pause-output'; readonly pauseMs: number }
  | { readonly kind: 'failed' }
  | { readonly kind: 'dead' }

/** Attempts so far and the output's retry settings. */
export interface RetryState {
  readonly attempts: number
  readonly maxAttempts: number
  readonly backoffMs: (attempt: number) => number
}

/**
 * The only place a failure becomes queue behaviour: a 429 with Retry-After pauses the whole
 * output without spending an attempt; other retryable errors back off until attempts run out
 * (`dead`); permanent ones are `failed` at once.
 */
export function planFailure(error: DeliveryError, state: RetryState): FailurePlan {
  if (error.reason === 'rate-limited' && error.retryAfterMs !== undefined) return { kind: 'pause-output', pauseMs: error.retryAfterMs }
  if (!error.retryable) return { kind: 'failed' }
  if (state.attempts >= state.maxAttempts) return { kind: 'dead' }
  return { kind: 'retry', delayMs: Math.max(state.backoffMs(state.attempts), error.retryAfterMs ?? 0) }
}

/** Turns anything thrown by an output into a DeliveryError; an unexpected throw is a bug but retryable. */
export function asDeliveryError(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new DeliveryError(`unexpected error: ${message}`, 'unknown', true, undefined, { cause: error })
}

/** The BullMQ error that makes the worker do what the plan says (after the job was moved, if needed). */
export function bullErrorFor(plan: FailurePlan): Error {
  switch (plan.kind) {
    case 'retry':
      return new DelayedError()
    case 'pause-output':
      return new RateLimitError()
    case 'failed':
    case 'dead':
      return new UnrecoverableError(plan.kind)
  }
}
