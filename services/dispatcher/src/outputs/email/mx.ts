import { isIP } from 'node:net'
import type { Resolver } from 'node:dns/promises'
import { DeliveryError } from '@postee/shared'

/** The DNS look-ups UseMX needs; a `dns.promises.Resolver` (tests point one at a fake server). */
export type MxResolver = Pick<Resolver, 'resolveMx' | 'resolve4' | 'resolve6'>

// c-ares codes (node:dns): the name does not exist, or exists without records of that type.
const NO_SUCH_NAME = 'ENOTFOUND'
const NO_RECORDS = 'ENODATA'

/**
 * The mail hosts of a domain, most preferred first (RFC 5321 5.1): its MX records sorted by
 * preference, or, when it has none, the domain itself as an implicit MX of preference 0. A
 * domain that does not exist, or publishes a null MX (RFC 7505: "." alone), takes no mail: that is
 * permanent. Any other DNS failure can succeed later.
 */
export async function mailHostsOf(domain: string, resolver: MxResolver, signal: AbortSignal): Promise<string[]> {
  let records: { exchange: string; priority: number }[]
  try {
    records = await abortable(resolver.resolveMx(domain), signal)
  } catch (error) {
    const code = codeOf(error)
    if (code === NO_RECORDS) return [domain]
    if (code === NO_SUCH_NAME)
      throw new DeliveryError(`${domain} does not exist in DNS: check the recipient addresses`, 'client-error', false, undefined, {
        cause: error,
      })
    throw lookupFailure(`the MX records of ${domain}`, error)
  }
  const hosts = records.map((record) => ({ ...record, exchange: record.exchange.replace(/\.$/, '') }))
  if (hosts.length === 0) return [domain]
  if (hosts.length === 1 && hosts[0]!.exchange === '') {
    throw new DeliveryError(
      `${domain} publishes a null MX (RFC 7505): it accepts no mail; remove its addresses from recipients`,
      'client-error',
      false,
    )
  }
  // Array.prototype.sort is stable: equal preferences keep the order DNS gave them.
  return hosts
    .filter((host) => host.exchange !== '')
    .sort((a, b) => a.priority - b.priority)
    .map((host) => host.exchange)
}

/**
 * The addresses of a mail host, IPv4 first. Throws a DeliveryError that is permanent only when
 * the host has no address at all (no A and no AAAA record, or no such name).
 */
export async function addressesOf(host: string, resolver: MxResolver, signal: AbortSignal): Promise<string[]> {
  if (isIP(host) !== 0) return [host]
  const [v4, v6] = await Promise.allSettled([abortable(resolver.resolve4(host), signal), abortable(resolver.resolve6(host), signal)])
  const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])]
  if (addresses.length > 0) return addresses
  const errors = [v4, v6].flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []))
  if (errors.every((error) => [NO_RECORDS, NO_SUCH_NAME].includes(codeOf(error) ?? ''))) {
    throw new DeliveryError(`${host} has no A or AAAA record`, 'client-error', false)
  }
  throw lookupFailure(
    `the address of ${host}`,
    errors.find((error) => ![NO_RECORDS, NO_SUCH_NAME].includes(codeOf(error) ?? '')),
  )
}

function lookupFailure(what: string, error: unknown): DeliveryError {
  const detail = codeOf(error) ?? (error instanceof Error ? error.message : String(error))
  return new DeliveryError(`could not look up ${what}: ${detail}; the delivery is tried again`, 'network', true, undefined, {
    cause: error,
  })
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}

// A Resolver's queries take no AbortSignal; a draining process must not wait for a slow DNS server.
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(abortError(signal))
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal))
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function abortError(signal: AbortSignal): DeliveryError {
  return new DeliveryError(
    'aborted during a DNS look-up: the attempt timed out or the dispatcher is stopping',
    'timeout',
    true,
    undefined,
    { cause: signal.reason },
  )
}
