import type { SendMailOptions } from 'nodemailer'
import { buildReport, renderHtml, renderText, type DeliveryBatch, type PreviewContext } from '@postee/shared'
import { addressProblem, domainOf } from './recipients.js'

const FALLBACK_ID_DOMAIN = 'postee.local'

/**
 * The Message-ID of a batch: `<postee-{key}@{sender domain}>`. The key is the delivery (or batch)
 * id, stable across retries and replays, so a retried message keeps its id and a mail system that
 * de-duplicates by Message-ID (RFC 5322 3.6.4: "unique" per message) drops the second copy.
 */
export function messageIdFor(key: string, sender: string | undefined): string {
  const safeKey = key.replace(/[^A-Za-z0-9._-]/g, '-')
  const domain = sender !== undefined && addressProblem(sender) === undefined ? domainOf(sender) : FALLBACK_ID_DOMAIN
  return `<postee-${safeKey}@${domain}>`
}

/**
 * The message of a batch: From, To, Date, Message-ID, the subject (nodemailer writes it as an RFC
 * 2047 encoded word when it is not plain ASCII) and a multipart/alternative body with the plain
 * text part first and the HTML part last (RFC 2046 5.1.4: the preferred, richest form last).
 */
export function composeMessage(ctx: PreviewContext, batch: DeliveryBatch, from: string, to: readonly string[]): SendMailOptions {
  const { subject, text, html } = renderContent(ctx, batch)
  return {
    from,
    to: [...to],
    subject,
    text,
    html,
    messageId: messageIdFor(batch.key, from),
    date: new Date(),
    // RFC 3834 5: marks the message as machine-made, so vacation responders do not answer it.
    headers: { 'Auto-Submitted': 'auto-generated' },
    // The bodies are strings we rendered; never let content be read from a path or a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  }
}

/** The rendered content of a message: what `send` mails and `preview` measures. */
export interface MessageContent {
  readonly subject: string
  readonly text: string
  readonly html: string
}

/** Renders a batch's subject, plain-text part and HTML part, each within its size budget. */
export function renderContent(ctx: PreviewContext, batch: DeliveryBatch): MessageContent {
  const reports = batch.items.map((item) => buildReport(item, { aquaServer: ctx.aquaServer, aggregated: batch.aggregated }))
  const { subject, html } = renderHtml(reports)
  return { subject, text: renderText(reports), html }
}
