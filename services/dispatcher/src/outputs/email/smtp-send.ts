import { createTransport, type SendMailOptions, type SMTPSentMessageInfo, type SMTPTransportOptions } from 'nodemailer'
import { DeliveryError, type DeliveryContext, type Secret } from '@postee/shared'
import { smtpFailure } from './smtp-errors.js'

/** One SMTP server to hand a message to. */
export interface SmtpTarget {
  /** Host name or IP address to connect to. */
  readonly host: string
  readonly port: number
  /** The name the TLS certificate must carry when `host` is an address (an MX host's name). */
  readonly servername?: string
  /** How errors name this server, e.g. `smtp.example.com:25` or `mx1.example.com[192.0.2.1]:25`. */
  readonly label: string
  /** Sent only when set: never to a recipient's MX host, which would learn our credentials. */
  readonly auth?: { readonly user: string; readonly pass: string }
  readonly tlsVerify: boolean
  /** The session must be encrypted (STARTTLS, or TLS from the start on 465) before AUTH or mail. */
  readonly requireTls?: boolean
}

/**
 * Delivers one message in one SMTP session, with no retries, and closes the connection whatever
 * happens. Throws a DeliveryError (via smtpFailure) with the secrets removed.
 *
 * Transport options per https://nodemailer.com/smtp/: STARTTLS is used whenever the server offers
 * it (`requireTLS` and `ignoreTLS` false) and a failed upgrade is an error, never a silent
 * downgrade (`opportunisticTLS` false); port 465 means TLS from the start (nodemailer's default
 * for that port). With `requireTls`, nodemailer's `requireTLS` makes STARTTLS mandatory: a server
 * that does not offer it ends the session before AUTH, so the password never crosses in clear.
 * Every wait is bounded by what is left of the attempt's time.
 */
export async function sendOnce(
  ctx: DeliveryContext,
  target: SmtpTarget,
  mail: SendMailOptions,
  deadline: number,
  secrets: readonly (Secret | undefined)[],
): Promise<SMTPSentMessageInfo> {
  const transport = createTransport(transportOptions(target, Math.max(1, deadline - Date.now())))
  try {
    return await transport.sendMail({ ...mail, signal: ctx.signal })
  } catch (error) {
    if (target.requireTls && startTlsRefused(error)) {
      throw new DeliveryError(
        `${target.label}: the server does not offer STARTTLS, and require_tls is on (user and password are sent only over TLS): ` +
          'enable STARTTLS on the server, or use port 465 (TLS from the start); set require_tls: false only to send the password in cleartext on a trusted network',
        'config',
        false,
        undefined,
        { cause: error },
      )
    }
    throw smtpFailure(error, target.label, ctx, secrets)
  } finally {
    transport.close()
  }
}

function transportOptions(target: SmtpTarget, remainingMs: number): SMTPTransportOptions {
  return {
    host: target.host,
    port: target.port,
    ...(target.servername !== undefined ? { servername: target.servername } : {}),
    requireTLS: target.requireTls === true,
    ignoreTLS: false,
    opportunisticTLS: false,
    ...(target.auth ? { auth: { user: target.auth.user, pass: target.auth.pass } } : {}),
    tls: { rejectUnauthorized: target.tlsVerify },
    connectionTimeout: remainingMs,
    greetingTimeout: remainingMs,
    socketTimeout: remainingMs,
    dnsTimeout: remainingMs,
    // The QUIT handshake must not outlive the attempt either.
    socketCloseTimeout: Math.min(remainingMs, 1_000),
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
  }
}

// nodemailer sends STARTTLS when requireTLS is set even if EHLO did not offer it; the refusal
// (or a server that only speaks HELO) comes back as an ETLS/ECONNECTION error naming STARTTLS,
// whereas a failed handshake after a 220 says "Error initiating TLS" and stays a TLS problem.
function startTlsRefused(error: unknown): boolean {
  const e = error as { code?: string; command?: string; message?: string } | undefined
  if (!e || e.message?.includes('Error initiating TLS')) return false
  return (e.code === 'ETLS' && e.command === 'STARTTLS') || (e.code === 'ECONNECTION' && /required STARTTLS/.test(e.message ?? ''))
}
