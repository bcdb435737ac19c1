import {
  DEFAULT_SLACK_CHARS,
  DeliveryError,
  TARGET_LIMITS,
  buildReport,
  redactSecrets,
  renderSlack,
  slackTextLength,
  type DeliveryBatch,
  type FailureReason,
  type Output,
  type PreviewContext,
  type SlackIntegration,
  type SlackMessage,
} from '@postee/shared'
import { callTarget } from '../http.js'
import { bytesPart } from '../preview-parts.js'

/**
 * What a Slack incoming webhook answers, and what to do about each error (the body of an error is
 * one of these codes). Sources: "Sending messages using incoming webhooks", Handling errors
 * (https://api.slack.com/messaging/webhooks#handling_errors) and the changelog that introduced the
 * status codes (https://api.slack.com/changelog/2016-05-17-changes-to-errors-for-incoming-webhooks):
 * 400 invalid_payload / user_not_found, 403 action_prohibited, 404 channel_not_found, 410
 * channel_is_archived, 500 rollup_error; plus no_service / no_team / invalid_token for a revoked
 * webhook and invalid_blocks / msg_too_long / msg_blocks_too_long for a message Slack refuses.
 * Rate limits: 429 with Retry-After (https://api.slack.com/docs/rate-limits), which the one
 * classifier already turns into a rate-limited error.
 */
const HINTS: Readonly<Record<string, string>> = {
  invalid_payload: 'Slack could not read the message; report this with the delivery id, it is a Postee bug',
  invalid_blocks: 'Slack refused a Block Kit block; report this with the delivery id, it is a Postee bug',
  invalid_blocks_format: 'Slack refused the Block Kit layout; report this with the delivery id, it is a Postee bug',
  msg_too_long: 'the message is longer than Slack accepts; report this with the delivery id, it is a Postee bug',
  msg_blocks_too_long: 'the blocks hold more text than Slack accepts; report this with the delivery id, it is a Postee bug',
  no_service: 'the webhook was removed or disabled: create a new incoming webhook and put its URL in url',
  no_team: 'the workspace of this webhook is gone: create a new incoming webhook and put its URL in url',
  invalid_token: 'the webhook was revoked: create a new incoming webhook and put its URL in url',
  channel_not_found: "the webhook's channel was deleted: create a webhook for an existing channel and put its URL in url",
  channel_is_archived: "the webhook's channel is archived: unarchive it, or create a webhook for another channel",
  action_prohibited: 'a workspace admin restricts posting to that channel: ask them, or create a webhook for another channel',
  posting_to_general_channel_denied: 'only admins may post to that channel: create a webhook for another channel',
}

/**
 * The failure reason of each Slack error code, whatever the HTTP status it came with (Slack has
 * answered some with 200, and a proxy may change the status): a revoked or removed webhook is an
 * auth failure, a channel that is gone is config, a message Slack refuses is client-error or
 * payload-too-large. Only permanent failures are relabelled: 429 and 5xx keep their reason.
 */
const REASONS: Readonly<Record<string, FailureReason>> = {
  invalid_token: 'auth',
  token_revoked: 'auth',
  token_expired: 'auth',
  no_service: 'auth',
  no_team: 'auth',
  team_disabled: 'auth',
  action_prohibited: 'auth',
  posting_to_general_channel_denied: 'auth',
  channel_not_found: 'config',
  channel_is_archived: 'config',
  user_not_found: 'config',
  invalid_payload: 'client-error',
  invalid_blocks: 'client-error',
  invalid_blocks_format: 'client-error',
  missing_text_or_fallback_or_attachments: 'client-error',
  msg_too_long: 'payload-too-large',
  msg_blocks_too_long: 'payload-too-large',
}

// Incoming webhooks answer exactly `ok` on success (https://api.slack.com/messaging/webhooks).
const SUCCESS_BODY = 'ok'

/**
 * A Slack incoming webhook: the reports as a Block Kit message with its plain `text` fallback
 * (`renderSlack`), POSTed as JSON to the webhook URL. Success is a 2xx whose body is `ok`; any
 * other 2xx is a permanent failure, since Slack (or a proxy in between) did not say it posted.
 * Slack has no idempotency key, so a retry after an ambiguous failure (a timeout after Slack took
 * the message) can post it twice; Slack returns no message id, so there is no external id.
 */
export function createSlackOutput(integration: SlackIntegration): Output {
  return {
    kind: 'slack',
    name: integration.name,
    async send(ctx, batch) {
      const response = await callTarget(ctx, {
        method: 'POST',
        url: integration.url.reveal(),
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(slackMessage(ctx, batch)),
        tlsVerify: integration.tlsVerify,
        secrets: [integration.url],
      }).catch((error: unknown) => {
        throw withHint(error)
      })
      if (response.body.trim() !== SUCCESS_BODY) throw notOk(response.statusCode, redactSecrets(response.body, [integration.url]))
      return {}
    },
    preview(ctx, batch) {
      const message = slackMessage(ctx, batch)
      const body = JSON.stringify(message)
      return {
        format: 'Block Kit message with a text fallback',
        parts: [
          { name: 'blocks', size: message.blocks.length, limit: TARGET_LIMITS.slack.blocks, unit: 'blocks' },
          { name: 'text', size: slackTextLength(message), limit: DEFAULT_SLACK_CHARS, unit: 'characters' },
          bytesPart('body', body, undefined),
        ],
        body,
      }
    },
  }
}

/** The message of a batch: what `send` posts and `preview` measures. */
function slackMessage(ctx: PreviewContext, batch: DeliveryBatch): SlackMessage {
  return renderSlack(batch.items.map((item) => buildReport(item, { aquaServer: ctx.aquaServer, aggregated: batch.aggregated })))
}

// Adds what to do to a failure whose text holds one of Slack's error codes.
function withHint(error: unknown): unknown {
  if (!(error instanceof DeliveryError)) return error
  const hint = hintFor(error.message)
  const message = hint === undefined ? error.message : `${error.message} (${hint})`
  const reason = error.retryable ? undefined : reasonFor(error.message)
  if (reason === undefined || reason === error.reason) {
    error.message = message
    return error
  }
  return new DeliveryError(message, reason, false, undefined, { cause: error })
}

function codeIn(text: string, codes: readonly string[]): string | undefined {
  return codes.find((key) => new RegExp(`\\b${key}\\b`).test(text))
}

function hintFor(text: string): string | undefined {
  const code = codeIn(text, Object.keys(HINTS))
  return code === undefined ? undefined : HINTS[code]
}

function reasonFor(text: string): FailureReason | undefined {
  const code = codeIn(text, Object.keys(REASONS))
  return code === undefined ? undefined : REASONS[code]
}

function notOk(status: number, body: string): DeliveryError {
  const shown = body.length > 200 ? `${body.slice(0, 200)}…` : body
  const hint = hintFor(body)
  return new DeliveryError(
    `HTTP ${status} with body ${JSON.stringify(shown)} instead of "ok": the message may not have been posted; ` +
      (hint ?? 'check that url is a Slack incoming-webhook URL (https://hooks.slack.com/services/…)'),
    reasonFor(body) ?? 'unknown',
    false,
  )
}
