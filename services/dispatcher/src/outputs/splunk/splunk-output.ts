import {
  buildReport,
  renderSplunkEvent,
  type DeliveryBatch,
  type Output,
  type PreviewContext,
  type SplunkEventBody,
  type SplunkIntegration,
} from '@postee/shared'
import { callTarget } from '../http.js'
import { bytesPart } from '../preview-parts.js'
import { checkHecSuccess, explainHecError } from './hec-response.js'

/**
 * Splunk over the HTTP Event Collector: one `POST <url>/services/collector/event` per delivery with
 * `Authorization: Splunk <token>` and the body of `renderSplunkEvent` (at most `SizeLimit` bytes).
 * Wire format: https://help.splunk.com/en/splunk-enterprise/get-data-in/collect-http-event-data/http-event-collector-rest-api-endpoints
 * ("services/collector/event") and "Format events for HTTP Event Collector" (`event`, `index`,
 * `source`, `sourcetype`).
 *
 * An aggregated batch sends ONE event whose `event` is the array of per-scan events (the renderer's
 * shed summaries), also for a batch of one; not the original payloads, which would ignore
 * `SizeLimit` and give Splunk searches a second schema. HEC has no idempotency key, so a retry
 * after a lost answer can index an event twice; searches can deduplicate on `digest`.
 */
export function createSplunkOutput(integration: SplunkIntegration): Output {
  const url = eventEndpoint(integration.url)
  return {
    kind: 'splunk',
    name: integration.name,
    async send(ctx, batch) {
      const body = JSON.stringify(eventBody(ctx, batch, integration))
      const response = await callTarget(ctx, {
        method: 'POST',
        url,
        headers: { authorization: `Splunk ${bareToken(integration.token.reveal())}`, 'content-type': 'application/json' },
        body,
        tlsVerify: integration.tlsVerify,
        secrets: [integration.token],
      }).catch((error: unknown) => {
        throw explainHecError(error)
      })
      const answer = checkHecSuccess(response.statusCode, response.body)
      // With indexer acknowledgement the ackId names this event in HEC's ack endpoint.
      return answer.ackId === undefined ? {} : { externalId: String(answer.ackId) }
    },
    preview(ctx, batch) {
      const body = JSON.stringify(eventBody(ctx, batch, integration))
      return { format: 'HEC event (JSON)', parts: [bytesPart('body', body, integration.sizeLimit)], body }
    },
  }
}

/**
 * The event endpoint for a configured URL: the base URL gets `/services/collector/event`; a URL that
 * already names `/services/collector` (HEC's alias of the event endpoint) or `/services/collector/event`
 * is used as is, so neither spelling in cfg.yaml is doubled.
 */
export function eventEndpoint(configured: string): string {
  const url = new URL(configured)
  const path = url.pathname.replace(/\/+$/, '')
  if (path.endsWith('/services/collector/event')) url.pathname = path
  else if (path.endsWith('/services/collector')) url.pathname = `${path}/event`
  else url.pathname = `${path}/services/collector/event`
  return url.toString()
}

// The event of a batch: what `send` posts and `preview` measures.
function eventBody(ctx: PreviewContext, batch: DeliveryBatch, integration: SplunkIntegration): SplunkEventBody {
  const reports = batch.items.map((item) => buildReport(item, { aquaServer: ctx.aquaServer, aggregated: batch.aggregated }))
  const options = {
    sizeLimit: integration.sizeLimit,
    index: integration.index,
    source: integration.source,
    sourcetype: integration.sourcetype,
  }
  if (!(batch.aggregated && reports.length === 1)) return renderSplunkEvent(reports, options)
  // The renderer sends one scan as an object; an aggregated batch is always an array, and the two
  // brackets come out of the size budget so the body still fits SizeLimit.
  const single = renderSplunkEvent(reports, { ...options, sizeLimit: Math.max(1, integration.sizeLimit - 2) })
  return { ...single, event: Array.isArray(single.event) ? single.event : [single.event] }
}

// A token pasted with its scheme ("Splunk 1234-...") would otherwise be sent as "Splunk Splunk ...",
// which HEC answers with code 3 (invalid authorization).
function bareToken(token: string): string {
  return token.replace(/^\s*splunk\s+/i, '').trim()
}
