import type { SendMailOptions } from 'nodemailer'
import { DeliveryError, type DeliveryContext, type Secret } from '@postee/shared'
import { addressesOf, mailHostsOf, type MxResolver } from './mx.js'
import { sendOnce } from './smtp-send.js'

/** What direct delivery needs besides the message. */
export interface MxSettings {
  readonly resolver: MxResolver
  readonly port: number
  readonly tlsVerify: boolean
  readonly secrets: readonly (Secret | undefined)[]
}

/**
 * Delivers a message straight to one recipient domain (UseMX): its mail hosts in order of
 * preference, each address of a host in turn, until one accepts. A permanent refusal (5yz) from a
 * host of the domain is final, as an MTA treats it: a backup MX would refuse the same. When no
 * host accepts, the error names every host tried and what it answered.
 */
export async function deliverToDomain(
  ctx: DeliveryContext,
  domain: string,
  recipients: readonly string[],
  mail: SendMailOptions,
  deadline: number,
  settings: MxSettings,
): Promise<void> {
  const envelope = { from: mail.from as string, to: [...recipients] }
  const failures: DeliveryError[] = []
  for (const host of await mailHostsOf(domain, settings.resolver, ctx.signal)) {
    let addresses: string[]
    try {
      addresses = await addressesOf(host, settings.resolver, ctx.signal)
    } catch (error) {
      if (ctx.signal.aborted) throw error
      failures.push(prefixed(error as DeliveryError, `${host}: `))
      continue
    }
    for (const address of addresses) {
      const target = {
        host: address,
        port: settings.port,
        servername: host,
        label: `${host}[${address}]:${settings.port}`,
        tlsVerify: settings.tlsVerify,
      }
      try {
        // No auth: the configured credentials are for a relay, never for someone else's MX.
        await sendOnce(ctx, target, { ...mail, envelope }, deadline, settings.secrets)
        return
      } catch (error) {
        const failure = error as DeliveryError
        if (!failure.retryable) throw prefixed(failure, `${domain}: `)
        if (ctx.signal.aborted) throw failure
        failures.push(failure)
      }
    }
  }
  throw noHostAccepted(domain, failures)
}

function noHostAccepted(domain: string, failures: readonly DeliveryError[]): DeliveryError {
  const retryable = failures.length === 0 || failures.some((failure) => failure.retryable)
  const reason = failures.find((failure) => failure.retryable)?.reason ?? failures[0]?.reason ?? 'network'
  const detail = failures.map((failure) => failure.message).join('; ')
  return new DeliveryError(`no mail host of ${domain} accepted the message: ${detail}`, reason, retryable)
}

function prefixed(error: DeliveryError, prefix: string): DeliveryError {
  return new DeliveryError(`${prefix}${error.message}`, error.reason, error.retryable, error.retryAfterMs, { cause: error.cause ?? error })
}
