import { DeliveryError, type DeliveryBatch, type DeliveryContext, type JiraIntegration } from '@postee/shared'
import type { JiraClient } from './jira-client.js'
import { isAccountId } from './jira-values.js'

/** The seed's placeholder for "the first application scope owner of the scan". */
export const OWNER_PLACEHOLDER = '<%application_scope_owner%>'

/** The `assignee` field of a new issue: Cloud takes `{ accountId }`, Data Center `{ name }`. */
export type AssigneeRef = { readonly accountId: string } | { readonly name: string }

interface JiraUser {
  readonly accountId?: string
  readonly accountType?: string
  readonly name?: string
  readonly emailAddress?: string
  readonly active?: boolean
}

/**
 * Resolves the configured assignee for this batch; undefined leaves the issue to the project's
 * default assignee.
 *
 * - `<%application_scope_owner%>` is the first owner of the batch's scans, looked up as a user.
 *   When there is no owner, or Jira knows no such user, or the lookup is refused, the issue is
 *   created unassigned rather than lost: the ticket matters more than who holds it. A lookup that
 *   may succeed later (5xx, 429, timeout) still fails the attempt, so the retry can assign it.
 * - A fixed name on Data Center is sent as `{ name }`, and Jira's own 400 names a wrong one. On
 *   Cloud a name must become an accountId: a fixed assignee Jira cannot find is a config error.
 *
 * User search: Cloud `GET /rest/api/{2|3}/user/search?query=` (matches display name and email),
 * Data Center `GET /rest/api/2/user/search?username=` (matches username, name and email).
 * https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-user-search/#api-rest-api-3-user-search-get
 * https://developer.atlassian.com/server/jira/platform/rest/v10005/api-group-user/
 */
export async function resolveAssignee(
  ctx: DeliveryContext,
  client: JiraClient,
  integration: JiraIntegration,
  batch: DeliveryBatch,
): Promise<AssigneeRef | undefined> {
  const assignee = integration.assignee?.trim()
  if (!assignee) return undefined
  if (assignee === OWNER_PLACEHOLDER) return ownerOf(ctx, client, batch)
  if (!client.cloud) return { name: assignee }
  if (isAccountId(assignee)) return { accountId: assignee }
  const user = await findUser(ctx, client, assignee)
  if (!user?.accountId) {
    throw new DeliveryError(
      `assignee: Jira Cloud finds no single user matching "${assignee}"; write the user's email address as Jira shows it, or their accountId`,
      'config',
      false,
    )
  }
  return { accountId: user.accountId }
}

async function ownerOf(ctx: DeliveryContext, client: JiraClient, batch: DeliveryBatch): Promise<AssigneeRef | undefined> {
  const owner = batch.items
    .flatMap((item) => item.scan.owners)
    .find((o) => o.trim().length > 0)
    ?.trim()
  if (!owner) return undefined
  let user: JiraUser | undefined
  try {
    user = await findUser(ctx, client, owner)
  } catch (error) {
    if (error instanceof DeliveryError && !error.retryable) return undefined
    throw error
  }
  if (client.cloud) return user?.accountId ? { accountId: user.accountId } : undefined
  return user?.name ? { name: user.name } : undefined
}

async function findUser(ctx: DeliveryContext, client: JiraClient, text: string): Promise<JiraUser | undefined> {
  const query: Record<string, string | number> = client.cloud ? { query: text, maxResults: 10 } : { username: text, maxResults: 10 }
  const found = await client.get<JiraUser[]>(ctx, client.api('/user/search'), query)
  const users = (Array.isArray(found) ? found : []).filter(
    (u) => u.active !== false && (u.accountType === undefined || u.accountType === 'atlassian'),
  )
  const wanted = text.toLowerCase()
  const exact = users.find((u) => u.emailAddress?.toLowerCase() === wanted || u.name?.toLowerCase() === wanted)
  // A partial match is only trusted when it is the only one: a wrong assignee is worse than none.
  return exact ?? (users.length === 1 ? users[0] : undefined)
}
