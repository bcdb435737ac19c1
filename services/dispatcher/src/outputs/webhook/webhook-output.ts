import { Readable } from 'node:stream'
import type { DeliveryBatch, Output, WebhookIntegration } from '@postee/shared'
import { callTarget } from '../http.js'
import { bytesPart } from '../preview-parts.js'

/**
 * The generic webhook: the original payload, unchanged, as JSON; an aggregated batch is the JSON
 * array of the original payloads. `X-Postee-Delivery` carries the delivery (or batch) id so the
 * receiver can drop a redelivery.
 */
export function createWebhookOutput(integration: WebhookIntegration): Output {
  return {
    kind: 'webhook',
    name: integration.name,
    async send(ctx, batch) {
      await callTarget(ctx, {
        method: 'POST',
        url: integration.url.reveal(),
        headers: { 'content-type': 'application/json', 'x-postee-delivery': batch.key },
        body: streamedBody(batch) ?? webhookBody(batch),
        tlsVerify: integration.tlsVerify,
        secrets: [integration.url],
      })
      return {}
    },
    preview(_ctx, batch) {
      const body = webhookBody(batch)
      // A generic receiver states no limit; only the ingest limit bounds what came in.
      return {
        format: batch.aggregated ? 'JSON array of the original payloads' : 'the original payload (JSON)',
        parts: [bytesPart('body', body, undefined)],
        body,
      }
    },
  }
}

/**
 * The same bytes as webhookBody, streamed from the stored (compressed) bodies as they are sent:
 * a 20 MB scan is never held as text. Undefined when an item has no stream (a preview, a test).
 */
function streamedBody(batch: DeliveryBatch): Readable | undefined {
  if (!batch.items.every((item) => item.openBody)) return undefined
  const comma = Buffer.from(',')
  async function* chunks(): AsyncGenerator<Uint8Array> {
    if (batch.aggregated) yield Buffer.from('[')
    for (const [i, item] of batch.items.entries()) {
      if (i > 0) yield comma
      yield* item.openBody!()
    }
    if (batch.aggregated) yield Buffer.from(']')
  }
  return Readable.from(chunks())
}

function webhookBody(batch: DeliveryBatch): string {
  return batch.aggregated ? `[${batch.items.map((item) => item.rawBody).join(',')}]` : batch.items[0]!.rawBody
}
