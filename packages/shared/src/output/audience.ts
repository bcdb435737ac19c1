import { createHash } from 'node:crypto'
import type { EmailIntegration, Integration } from '../config/types.js'
import type { Scan } from '../scan/model.js'

/** The recipient (email) or assignee (Jira) that stands for a scan's application scope owners. */
export const OWNER_PLACEHOLDER = '<%application_scope_owner%>'

/** An owner address left out of a message, and why. */
export interface DroppedOwner {
  readonly address: string
  readonly reason: string
}

/** The owner addresses of one scan an email may use, and the ones left out with their reasons. */
export interface OwnerSelection {
  readonly used: readonly string[]
  readonly dropped: readonly DroppedOwner[]
}

/** The email settings that fence owner addresses taken from scan data. */
export type OwnerFence = Pick<EmailIntegration, 'ownersMax' | 'ownersDomains'>

/**
 * The owners of one scan that `<%application_scope_owner%>` may expand to: trimmed, each once
 * (compared without case), only those in `ownersDomains` when it is set (exact domain, without
 * case), and at most `ownersMax` of them. Owners come from whoever posts the scan, so without a
 * bound one scan could address thousands of people through the organisation's relay.
 */
export function selectOwners(owners: readonly string[], fence: OwnerFence): OwnerSelection {
  const domains = fence.ownersDomains === undefined ? undefined : new Set(fence.ownersDomains)
  const seen = new Set<string>()
  const used: string[] = []
  const dropped: DroppedOwner[] = []
  let overMax = 0
  for (const raw of owners) {
    const address = raw.trim()
    if (address === '') continue
    const key = address.toLowerCase()
    if (seen.has(key)) continue
    seen.add(key)
    if (domains !== undefined) {
      const domain = key.slice(key.lastIndexOf('@') + 1).replace(/\.$/, '')
      if (!key.includes('@') || !domains.has(domain)) {
        dropped.push({ address: raw, reason: 'is not in owners_domains' })
        continue
      }
    }
    if (used.length >= fence.ownersMax) {
      overMax++
      continue
    }
    used.push(address)
  }
  if (overMax > 0)
    dropped.push({ address: `${overMax} more owner${overMax === 1 ? '' : 's'}`, reason: `over owners_max (${fence.ownersMax} per scan)` })
  return { used, dropped }
}

/**
 * The audience of a scan for an output whose recipients or assignee depend on the scan: a stable
 * key of who would receive it, or '' when the output's audience is fixed. Aggregation batches
 * only scans of one audience together, so an aggregated message never shows one team's scan to
 * another team's owners.
 */
export function audienceKey(integration: Integration, scan: Pick<Scan, 'owners'>): string {
  if (integration.kind === 'email') {
    if (!integration.recipients.some((recipient) => recipient.trim() === OWNER_PLACEHOLDER)) return ''
    const owners = selectOwners(scan.owners, integration).used.map((owner) => owner.toLowerCase())
    return hashOf('email', [...new Set(owners)].sort())
  }
  if (integration.kind === 'jira' && integration.assignee?.trim() === OWNER_PLACEHOLDER) {
    const first = scan.owners
      .find((owner) => owner.trim().length > 0)
      ?.trim()
      .toLowerCase()
    return hashOf('jira', first === undefined ? [] : [first])
  }
  return ''
}

// A hash rather than the addresses: the key is stored with every held delivery and in job ids,
// and need not repeat personal data there. The prefix keeps the empty owner set apart from ''.
function hashOf(kind: string, owners: readonly string[]): string {
  return `${kind}-${createHash('sha256').update(owners.join('\n')).digest('hex').slice(0, 32)}`
}
