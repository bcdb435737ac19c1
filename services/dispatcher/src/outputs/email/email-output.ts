import { Resolver } from 'node:dns/promises'
import type { SendMailOptions } from 'nodemailer'
import {
  DEFAULT_BODY_BYTES,
  DeliveryError,
  SUBJECT_MAX,
  Secret,
  type DeliveryBatch,
  type DeliveryContext,
  type EmailIntegration,
  type Output,
} from '@postee/shared'
import { bytesPart, charactersPart } from '../preview-parts.js'
import { composeMessage, renderContent } from './message.js'
import { deliverToDomain, type MxSettings } from './mx-delivery.js'
import type { MxResolver } from './mx.js'
import { addressProblem, describeDropped, groupByDomain, OWNER_PLACEHOLDER, planRecipients } from './recipients.js'
import { sendOnce, type SmtpTarget } from './smtp-send.js'

/** What the email output can be given besides its integration. */
export interface EmailOutputOptions {
  /** DNS for UseMX; the system's resolver when not given. */
  readonly resolver?: MxResolver
}

/**
 * The email output: one MIME message per batch (see message.ts), handed to the configured SMTP
 * server, or with `UseMX: true` straight to each recipient domain's mail hosts. The Message-ID is
 * derived from the batch key and is the externalId, so a retry sends the same Message-ID.
 */
export function createEmailOutput(integration: EmailIntegration, options: EmailOutputOptions = {}): Output {
  const secrets = secretsOf(integration)
  let resolver = options.resolver
  return {
    kind: 'email',
    name: integration.name,
    async send(ctx, batch) {
      const deadline = Date.now() + ctx.timeoutMs
      const from = senderOf(integration)
      const recipients = recipientsOf(integration, batch)
      const mail = composeMessage(ctx, batch, from, recipients.addresses)
      if (integration.useMX) {
        // Bounded per query; the attempt's abort signal still cuts any wait short.
        resolver ??= new Resolver({ timeout: 5_000, tries: 2 })
        await sendDirect(ctx, mail, deadline, { resolver, port: integration.port, tlsVerify: integration.tlsVerify, secrets })
      } else {
        await sendOnce(ctx, relayOf(integration), mail, deadline, secrets)
      }
      const warnings = recipients.dropped.length > 0 ? [`recipients left out: ${describeDropped(recipients.dropped)}`] : []
      return { externalId: mail.messageId!, ...(warnings.length > 0 ? { warnings } : {}) }
    },
    // The MIME envelope (boundaries, Date) changes on every send, so the preview is the content:
    // the subject and both parts exactly as they go into the message.
    preview(ctx, batch) {
      const content = renderContent(ctx, batch)
      return {
        format: 'MIME multipart/alternative: a plain-text and an HTML part',
        parts: [
          charactersPart('subject', content.subject, SUBJECT_MAX),
          bytesPart('text part', content.text, DEFAULT_BODY_BYTES),
          bytesPart('html part', content.html, DEFAULT_BODY_BYTES),
        ],
        body: JSON.stringify(content),
      }
    },
  }
}

// A server may echo what we sent: AUTH LOGIN sends the password in base64, AUTH PLAIN
// base64("\0user\0password"); those forms are as secret as the password itself.
function secretsOf(integration: EmailIntegration): Secret[] {
  const password = integration.password
  if (!password || password.isEmpty()) return []
  const plain = password.reveal()
  const base64 = (text: string): Secret => new Secret(Buffer.from(text).toString('base64'))
  return [password, base64(plain), base64(`\0${integration.user ?? ''}\0${plain}`)]
}

function senderOf(integration: EmailIntegration): string {
  const from = integration.sender ?? integration.user
  if (from === undefined) {
    throw new DeliveryError(
      'no From address: set sender (e.g. sender: postee@example.com), or a user that is an email address',
      'config',
      false,
    )
  }
  const problem = addressProblem(from)
  if (problem !== undefined) {
    const key = integration.sender !== undefined ? 'sender' : 'user, since sender is not set'
    throw new DeliveryError(
      `the From address ${JSON.stringify(from)} (from ${key}) ${problem}: set sender to an email address, e.g. sender: postee@example.com`,
      'config',
      false,
    )
  }
  return from
}

function recipientsOf(integration: EmailIntegration, batch: DeliveryBatch): ReturnType<typeof planRecipients> {
  const plan = planRecipients(integration.recipients, batch.items, integration)
  if (plan.addresses.length > 0) return plan
  const wantsOwners = integration.recipients.some((recipient) => recipient.trim() === OWNER_PLACEHOLDER)
  const noOwners =
    wantsOwners && batch.items.every((item) => item.scan.owners.length === 0)
      ? ` the scans name no application scope owners for ${OWNER_PLACEHOLDER};`
      : ''
  const dropped = plan.dropped.length > 0 ? ` dropped: ${describeDropped(plan.dropped)};` : ''
  throw new DeliveryError(`no recipient left to send to:${noOwners}${dropped} add a fixed address to recipients`, 'config', false)
}

function relayOf(integration: EmailIntegration): SmtpTarget {
  if (integration.host === undefined) {
    throw new DeliveryError(
      "no SMTP host: set host (e.g. host: smtp.example.com), or UseMX: true to deliver to the recipients' mail hosts",
      'config',
      false,
    )
  }
  const password = integration.password
  // AUTH only when both are set: a relay that takes mail without a login must not be sent one.
  const auth =
    integration.user !== undefined && integration.user !== '' && password && !password.isEmpty()
      ? { user: integration.user, pass: password.reveal() }
      : undefined
  return {
    host: integration.host,
    port: integration.port,
    label: `${integration.host}:${integration.port}`,
    ...(auth ? { auth } : {}),
    tlsVerify: integration.tlsVerify,
    requireTls: integration.requireTls,
  }
}

// One SMTP transaction per recipient domain, each with only that domain's recipients in its
// envelope (the To header still lists everyone). Every domain is tried even when one fails; a
// retry sends again to the domains that accepted, under the same Message-ID.
async function sendDirect(ctx: DeliveryContext, mail: SendMailOptions, deadline: number, settings: MxSettings): Promise<void> {
  const delivered: string[] = []
  const failures: DeliveryError[] = []
  for (const [domain, recipients] of groupByDomain(mail.to as string[])) {
    try {
      await deliverToDomain(ctx, domain, recipients, mail, deadline, settings)
      delivered.push(domain)
    } catch (error) {
      if (!(error instanceof DeliveryError) || ctx.signal.aborted) throw error
      failures.push(error)
    }
  }
  if (failures.length === 0) return
  const retryable = failures.some((failure) => failure.retryable)
  const reason = failures.find((failure) => failure.retryable === retryable)!.reason
  const accepted = delivered.length > 0 ? ` (delivered to ${delivered.join(', ')})` : ''
  throw new DeliveryError(`${failures.map((failure) => failure.message).join(' | ')}${accepted}`, reason, retryable)
}
