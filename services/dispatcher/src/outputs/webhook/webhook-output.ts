import type { Output, WebhookIntegration } from '@postee/shared'
import { callTarget } from '../http.js'

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
      const body = batch.aggregated ? `[${batch.items.map((item) => item.rawBody).join(',')}]` : batch.items[0]!.rawBody
      await callTarget(ctx, {
        method: 'POST',
        url: integration.url.reveal(),
        headers: { 'content-type': 'application/json', 'x-postee-delivery': batch.key },
        body,
        tlsVerify: integration.tlsVerify,
        secrets: [integration.url],
      })
      return {}
    },
  }
}
