import {
  DeliveryError,
  TARGET_LIMITS,
  buildReport,
  classifyHttpStatus,
  redactSecrets,
  renderTeams,
  type DeliveryBatch,
  type Output,
  type PreviewContext,
  type TeamsIntegration,
} from '@postee/shared'
import type { Response } from 'got'
import { callTarget } from '../http.js'
import { bytesPart } from '../preview-parts.js'

/**
 * What to do about the errors the two Teams endpoints are known to answer.
 *
 * Workflows ("When a Teams webhook request is received", a Power Automate request trigger) answer
 * errors as JSON `{"error":{"code","message"}}`: 401 DirectApiAuthorizationRequired when the flow
 * may only be triggered by signed-in users, 400 TriggerInputSchemaMismatch when the body does not
 * match the trigger's schema (it requires `contentUrl` on every attachment); see
 * https://learn.microsoft.com/en-us/connectors/teams/#microsoft-teams-webhook.
 */
const HINTS: readonly (readonly [RegExp, string])[] = [
  [
    /DirectApiAuthorizationRequired/,
    'in the workflow\'s trigger set "Who can trigger the flow" to Anyone, and use the whole URL including its sig= parameter',
  ],
  [
    /TriggerInputSchemaMismatch/,
    'the workflow\'s trigger expects another body: create it from the "Send webhook alerts to a channel" template',
  ],
  [/^HTTP 404\b/, 'the webhook or workflow was deleted or turned off: create a new one and put its URL in url'],
]

/**
 * The legacy connector reports some failures as HTTP 200 with a body such as "Webhook message
 * delivery failed with error: Microsoft Teams endpoint returned HTTP error 429 with ContextId …"
 * ("Connectors do not throw 429s", Rate limiting for connectors,
 * https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using#rate-limiting-for-connectors).
 */
const EMBEDDED_ERROR = /returned HTTP error (\d{3})/

/**
 * A Microsoft Teams webhook, in the configured `format`:
 * - `adaptive`: a Workflows webhook gets `{ type: 'message', attachments: [Adaptive Card] }`; it
 *   answers 202 Accepted (200 when the flow has a Response action), so any 2xx is success. The
 *   flow posts the card afterwards: a card the flow cannot post fails in the flow's run history,
 *   not here.
 * - `legacy`: an Office 365 connector gets a MessageCard; it answers 200 with body `1` on success
 *   (https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using,
 *   "If the POST succeeds, you should see a simple 1"), and some failures as 200 with the error
 *   in the body, which is classified by the status it names. Any other body is a failure.
 * Neither has an idempotency key nor returns a message id: a retry after an ambiguous failure can
 * post twice, and there is no external id.
 */
export function createTeamsOutput(integration: TeamsIntegration): Output {
  return {
    kind: 'teams',
    name: integration.name,
    async send(ctx, batch) {
      const response = await callTarget(ctx, {
        method: 'POST',
        url: integration.url.reveal(),
        headers: { 'content-type': 'application/json' },
        body: teamsBody(ctx, batch, integration),
        tlsVerify: integration.tlsVerify,
        secrets: [integration.url],
      }).catch((error: unknown) => {
        throw withHint(error)
      })
      if (integration.format === 'legacy') checkConnectorAnswer(response, integration)
      return {}
    },
    preview(ctx, batch) {
      const body = teamsBody(ctx, batch, integration)
      const format = integration.format === 'adaptive' ? 'Adaptive Card (Workflows)' : 'MessageCard (legacy connector)'
      return { format, parts: [bytesPart('body', body, TARGET_LIMITS.teamsBytes)], body }
    },
  }
}

/** The JSON body of a batch in the configured format: what `send` posts and `preview` measures. */
function teamsBody(ctx: PreviewContext, batch: DeliveryBatch, integration: TeamsIntegration): string {
  const reports = batch.items.map((item) => buildReport(item, { aquaServer: ctx.aquaServer, aggregated: batch.aggregated }))
  return JSON.stringify(renderTeams(reports, { format: integration.format }))
}

function checkConnectorAnswer(response: Response<string>, integration: TeamsIntegration): void {
  const body = redactSecrets(response.body.trim(), [integration.url])
  if (body === '1') return
  const shown = JSON.stringify(body.length > 300 ? `${body.slice(0, 300)}…` : body)
  const embedded = EMBEDDED_ERROR.exec(body)
  const inner = embedded === null ? undefined : classifyHttpStatus(Number(embedded[1]), undefined, '')
  if (inner !== undefined) {
    throw new DeliveryError(`HTTP ${response.statusCode} reporting error ${embedded![1]}: ${shown}`, inner.reason, inner.retryable)
  }
  throw new DeliveryError(
    `HTTP ${response.statusCode} with body ${shown} instead of "1": the message may not have been posted; ` +
      'check that url is an Office 365 connector URL, or set format: adaptive for a Workflows URL',
    'unknown',
    false,
  )
}

function withHint(error: unknown): unknown {
  if (!(error instanceof DeliveryError)) return error
  const hint = HINTS.find(([pattern]) => pattern.test(error.message))?.[1]
  if (hint !== undefined) error.message = `${error.message} (${hint})`
  return error
}
