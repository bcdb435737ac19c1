import type { Integration, OutputKind } from '../config/types.js'
import type { ScanDiff } from '../scan/diff.js'
import type { Scan, ScanOutcome } from '../scan/model.js'

/** Why a delivery attempt failed; finite, so it is also a metric label. */
export type FailureReason =
  'timeout' | 'network' | 'rate-limited' | 'server-error' | 'client-error' | 'auth' | 'payload-too-large' | 'config' | 'unknown'

/**
 * The one error an output throws. Outputs never retry, sleep or rate-limit: they say what went
 * wrong and whether trying again can help, and the dispatcher decides what happens next.
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly reason: FailureReason,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'DeliveryError'
  }
}

/** One scan inside a delivery: the model, the original body, and its place in the history. */
export interface DeliveryItem {
  readonly deliveryId: string
  readonly scanId: string
  readonly scan: Scan
  /** The body exactly as received; the webhook output forwards it unchanged. */
  readonly rawBody: string
  /**
   * The same body as a byte stream, when it can be read without holding it whole (a stored scan):
   * the webhook output streams it, so a 20 MB body never sits in memory as text.
   */
  readonly openBody?: () => AsyncIterable<Uint8Array>
  readonly outcome: ScanOutcome
  /** The diff against the base scan, when there was a base. */
  readonly diff: ScanDiff | undefined
  readonly receivedAt: Date
}

/** What one send delivers: a single scan is a batch of one; an aggregation flush holds several. */
export interface DeliveryBatch {
  /** Stable across retries and replays (the delivery or batch id): the idempotency key. */
  readonly key: string
  readonly items: readonly DeliveryItem[]
  /**
   * An aggregation flush (Aggregate-Issues-*): sent as one aggregated message even when it holds a
   * single scan (title `Vulnerability scan report`; webhook and Splunk get a JSON array).
   */
  readonly aggregated: boolean
}

/** What an output needs besides the batch. */
export interface DeliveryContext {
  /** Aborted when the attempt times out or the process drains. */
  readonly signal: AbortSignal
  readonly timeoutMs: number
  /** The AquaServer console URL, for links to the full report. */
  readonly aquaServer: string | undefined
}

/** What a successful send reports back to the ledger. */
export interface DeliveryResult {
  /** The target's id for what was created: a Jira issue key, a ServiceNow sys_id, a Message-ID. */
  readonly externalId?: string
  /** What went out short of what was asked (an invalid recipient left out): logged as warnings. */
  readonly warnings?: readonly string[]
}

/** What a preview needs: no signal or timeout, since nothing goes over the network. */
export interface PreviewContext {
  /** The AquaServer console URL, for links to the full report (as in DeliveryContext). */
  readonly aquaServer: string | undefined
}

/** One measured part of a message: its size against the target's limit, in the limit's unit. */
export interface MessagePart {
  readonly name: string
  readonly size: number
  /** Undefined when the target states no limit for this part (a generic webhook). */
  readonly limit: number | undefined
  readonly unit: 'bytes' | 'characters' | 'blocks'
}

/** What an output would send for a batch: the wire format, its measured parts and the body itself. */
export interface MessagePreview {
  /** The wire format in words, e.g. `Block Kit message` or `Jira wiki markup (REST API v2)`. */
  readonly format: string
  readonly parts: readonly MessagePart[]
  /** The request body (or, for email, the rendered parts as JSON) exactly as `send` builds it. */
  readonly body: string
}

/** One configured integration, able to deliver. */
export interface Output {
  readonly kind: OutputKind
  readonly name: string
  send(ctx: DeliveryContext, batch: DeliveryBatch): Promise<DeliveryResult>
  /**
   * What `send` would deliver for this batch, built by the same code and without any IO, so
   * `postee explain` shows sizes against limits before a message is ever sent. Parts of a request
   * that only the target can supply (a Jira user lookup, sprint ids) are left out.
   */
  preview(ctx: PreviewContext, batch: DeliveryBatch): MessagePreview
}

/** Builds the Output for one integration; one per kind, listed in the dispatcher's registry. */
export type OutputFactory<I extends Integration = Integration> = (integration: I) => Output
