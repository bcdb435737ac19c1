import { OWNER_PLACEHOLDER, selectOwners, type DeliveryItem, type OwnerFence } from '@postee/shared'

export { OWNER_PLACEHOLDER }

/** An address left out of a message, and why. */
export interface DroppedRecipient {
  readonly address: string
  readonly reason: string
}

/** Who a message goes to: the usable addresses in order, and the ones left out with their reasons. */
export interface RecipientPlan {
  readonly addresses: readonly string[]
  readonly dropped: readonly DroppedRecipient[]
}

// RFC 5321 4.5.3.1: 64 octets of local part, 255 of domain; 254 for the whole path without <>.
const MAX_LOCAL = 64
const MAX_ADDRESS = 254
// RFC 5322 3.2.3 atext, plus non-ASCII for SMTPUTF8 (RFC 6531); quoted local parts are not
// accepted: nobody configures them, and an owner address from a payload has no need for them.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uffff-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uffff-]+)*$/u
const LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u

// Without a fence (a direct caller), every owner is taken as before.
const NO_FENCE: OwnerFence = { ownersMax: Number.MAX_SAFE_INTEGER, ownersDomains: undefined }

/**
 * Expands `<%application_scope_owner%>` to the owners of every scan of the batch (in order, each
 * once, compared without case; per scan at most `ownersMax`, only in `ownersDomains` when set)
 * and checks every address. Owners come from the scan payload, so an address that could break a
 * header or the SMTP envelope is dropped, never sent.
 */
export function planRecipients(configured: readonly string[], items: readonly DeliveryItem[], fence: OwnerFence = NO_FENCE): RecipientPlan {
  const seen = new Set<string>()
  const addresses: string[] = []
  const dropped: DroppedRecipient[] = []
  const owners = (): string[] =>
    items.flatMap((item) => {
      const selection = selectOwners(item.scan.owners, fence)
      dropped.push(...selection.dropped)
      return [...selection.used]
    })
  for (const entry of configured) {
    const candidates = entry.trim() === OWNER_PLACEHOLDER ? owners() : [entry]
    for (const candidate of candidates) {
      const address = candidate.trim()
      const problem = addressProblem(address)
      if (problem !== undefined) {
        dropped.push({ address: candidate, reason: problem })
        continue
      }
      const key = address.toLowerCase()
      if (seen.has(key)) continue
      seen.add(key)
      addresses.push(address)
    }
  }
  return { addresses, dropped }
}

/** Why an address cannot be used as a recipient or sender, or undefined when it can. */
export function addressProblem(address: string): string | undefined {
  if (address === '') return 'is empty'
  if (/[\s\p{Cc}\u2028\u2029]/u.test(address)) return 'contains white space or a control character'
  if (address.length > MAX_ADDRESS) return `is longer than ${MAX_ADDRESS} characters`
  const at = address.lastIndexOf('@')
  if (at < 0) return 'has no @domain'
  const local = address.slice(0, at)
  const domain = address.slice(at + 1)
  if (local === '') return 'has nothing before the @'
  if (Buffer.byteLength(local) > MAX_LOCAL) return `has a part before the @ longer than ${MAX_LOCAL} bytes`
  if (!LOCAL_PART.test(local)) return 'has a character that is not allowed before the @ (or a misplaced dot)'
  return domainProblem(domain)
}

function domainProblem(domain: string): string | undefined {
  if (domain === '') return 'has no domain after the @'
  const labels = domain.replace(/\.$/, '').split('.')
  if (!labels.every((label) => LABEL.test(label))) return `has ${JSON.stringify(domain)} after the @, which is not a host name`
  return undefined
}

/** The domain of an address, lower-cased (domains are case-insensitive; local parts are not). */
export function domainOf(address: string): string {
  return address
    .slice(address.lastIndexOf('@') + 1)
    .replace(/\.$/, '')
    .toLowerCase()
}

/** Groups addresses by their domain, each group in the order of the list. */
export function groupByDomain(addresses: readonly string[]): Map<string, string[]> {
  const groups = new Map<string, string[]>()
  for (const address of addresses) {
    const domain = domainOf(address)
    const group = groups.get(domain)
    if (group) group.push(address)
    else groups.set(domain, [address])
  }
  return groups
}

/** Lists dropped recipients for an error message: each address with its reason. */
export function describeDropped(dropped: readonly DroppedRecipient[]): string {
  return dropped.map((entry) => `${JSON.stringify(entry.address)} ${entry.reason}`).join('; ')
}
