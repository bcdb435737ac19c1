import type { NodemailerError } from 'nodemailer'
import { DeliveryError, redactSecrets, type DeliveryContext, type FailureReason, type Secret } from '@postee/shared'

/**
 * SMTP outcomes as DeliveryErrors: the SMTP counterpart of classify.ts. RFC 5321 4.2.1: a 4yz
 * reply is a transient failure (try again later), a 5yz reply a permanent one, except 503 (bad
 * sequence of commands), which a new session can get past. Error fields (code, responseCode,
 * command, response, rejectedErrors, timeoutType) are nodemailer's (https://nodemailer.com/errors).
 */

/** A reply class as a DeliveryError reason and whether trying again can help. */
interface ReplyClass {
  readonly reason: FailureReason
  readonly retryable: boolean
  readonly hint: string
}

// Why each of these is permanent: 530 "authentication required", 534/538 "mechanism too weak or
// needs encryption", 535 "credentials invalid" (RFC 4954 6); 552 "exceeded storage allocation",
// which servers use for a message over their SIZE (RFC 1870 6).
const AUTH_CODES = new Set([530, 534, 535, 538])

/** How an SMTP reply code is handled. */
export function classifyReply(code: number): ReplyClass {
  if (code >= 400 && code < 500)
    return { reason: 'server-error', retryable: true, hint: 'a temporary refusal; the delivery is tried again' }
  if (code === 503) return { reason: 'server-error', retryable: true, hint: 'the session got out of step; a new one is tried again' }
  if (AUTH_CODES.has(code))
    return {
      reason: 'auth',
      retryable: false,
      hint: 'the server refused the login: check user and password (AUTH is sent only when both are set)',
    }
  if (code === 552) return { reason: 'payload-too-large', retryable: false, hint: 'the server refused the message size' }
  return { reason: 'client-error', retryable: false, hint: 'the server refused for good: check sender and recipients' }
}

/**
 * Turns whatever one SMTP session threw into a DeliveryError naming the server (`peer`), with
 * every secret removed from the text. An abort or a timeout can succeed later; so can a refused or
 * dropped connection.
 */
export function smtpFailure(error: unknown, peer: string, ctx: DeliveryContext, secrets: readonly (Secret | undefined)[]): DeliveryError {
  const failure = classifyFailure(error as NodemailerError, peer, ctx)
  failure.message = redactSecrets(failure.message, secrets)
  return failure
}

function classifyFailure(error: NodemailerError, peer: string, ctx: DeliveryContext): DeliveryError {
  const options = { cause: error }
  const text = oneLine(error?.message ?? String(error))
  if (ctx.signal.aborted || error?.code === 'EABORT') {
    return new DeliveryError(
      `${peer}: aborted, the attempt timed out or the dispatcher is stopping: ${text}`,
      'timeout',
      true,
      undefined,
      options,
    )
  }
  if (typeof error?.responseCode === 'number' && error.responseCode >= 400) return replyFailure(error, error.responseCode, peer)
  if (error?.code === 'ETIMEDOUT') {
    const what = error.timeoutType ? ` (${error.timeoutType.toLowerCase().replace('_', ' ')})` : ''
    return new DeliveryError(`${peer}: timed out${what}: ${text}`, 'timeout', true, undefined, options)
  }
  if (error?.code === 'EAUTH' || error?.code === 'ENOAUTH') {
    return new DeliveryError(`${peer}: login failed: ${text}; check user and password`, 'auth', false, undefined, options)
  }
  // The mail library's own recipient cap: the same message would be refused again, so it is final.
  if (error?.code === 'EMAXRECIPIENTS') {
    return new DeliveryError(
      `${peer}: too many recipients for one message: ${text}; lower owners_max or the recipients list`,
      'config',
      false,
      undefined,
      options,
    )
  }
  if (error?.code === 'EENVELOPE' || error?.code === 'ECONFIG') {
    return new DeliveryError(
      `${peer}: the message was not accepted for sending: ${text}; check sender and recipients`,
      'config',
      false,
      undefined,
      options,
    )
  }
  const code = error?.originalCode ?? error?.code ?? 'error'
  return new DeliveryError(`${peer}: network error: ${code}: ${text}${tlsHint(error)}`, 'network', true, undefined, options)
}

// "All recipients were rejected" carries one reply, but each recipient has its own: when any of
// them was only deferred (4yz), the whole message can still go through later.
function replyFailure(error: NodemailerError, code: number, peer: string): DeliveryError {
  const deferred = (error.rejectedErrors ?? []).find(
    (rejected) => (rejected.responseCode ?? 0) >= 400 && (rejected.responseCode ?? 0) < 500,
  )
  const effective = deferred?.responseCode ?? code
  const { reason, retryable, hint } = classifyReply(effective)
  const reply = oneLine(error.response ?? error.message).replace(/^\d{3}[ -]/, '')
  const command = error.command ? ` to ${error.command}` : ''
  return new DeliveryError(`${peer} answered ${code}${command}: ${reply} (${hint})`, reason, retryable, undefined, { cause: error })
}

function tlsHint(error: NodemailerError): string {
  const text = `${error?.code ?? ''} ${error?.originalCode ?? ''} ${error?.message ?? ''}`
  return /ETLS|CERT|certificate|self[- ]signed/i.test(text)
    ? "; the server's TLS certificate is not trusted: use the host name on the certificate, add its CA (NODE_EXTRA_CA_CERTS), or set tls_verify: false for a lab server"
    : ''
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length <= 500 ? flat : `${flat.slice(0, 500)}…`
}
